import AprKit
import Foundation
import XCTest

final class SubprocessTests: XCTestCase {
    func testPassesStdinAndCollectsStdoutStderrAndTheExitStatus() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "cat; echo oops >&2; exit 7"], input: Array("hello\n".utf8))
        XCTAssertEqual(result.exitStatus, 7)
        XCTAssertNil(result.signal)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), "hello\n")
        XCTAssertEqual(String(decoding: result.stderr, as: UTF8.self), "oops\n")
    }

    func testAnInputLargerThanAPipeDoesNotDeadlockAgainstALargeAnswer() throws {
        let input = [UInt8](repeating: 0x61, count: 3 * 1024 * 1024)
        let result = try Subprocess.run("/bin/cat", input: input, maxOutputBytes: 4 * 1024 * 1024)
        XCTAssertEqual(result.exitStatus, 0)
        XCTAssertEqual(result.stdout.count, input.count)
        XCTAssertFalse(result.truncated)
    }

    func testKeepsAtMostTheLimitAndSaysSo() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "head -c 100000 /dev/zero"], maxOutputBytes: 1000)
        XCTAssertEqual(result.stdout.count, 1000)
        XCTAssertTrue(result.truncated)
    }

    func testReportsTheSignalThatEndedTheProgram() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "kill -9 $$"])
        XCTAssertNil(result.exitStatus)
        XCTAssertEqual(result.signal, SIGKILL)
    }

    func testAChildThatIgnoresItsStdinDoesNotKillTheParent() throws {
        let result = try Subprocess.run("/bin/true", input: [UInt8](repeating: 0, count: 1 << 20))
        XCTAssertEqual(result.exitStatus, 0)
    }

    func testAddsToTheEnvironment() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "printf %s \"$APR_CODE\""], environment: ["APR_CODE": "APR-000007"])
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), "APR-000007")
    }

    func testAMissingProgramIsASpawnError() {
        XCTAssertThrowsError(try Subprocess.run("/nonexistent/handler")) { error in
            XCTAssertEqual((error as? Subprocess.SpawnError)?.errno, ENOENT)
        }
    }
}
