import AprKit
import Foundation
import XCTest

/// Child processes without a shell: stdin in, stdout and stderr out, the
/// exit status or signal, output limits, the environment, and time limits.
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

    func testAChildThatOutlivesItsLimitIsKilled() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "exec sleep 30"], timeoutSeconds: 1)
        XCTAssertTrue(result.timedOut)
        XCTAssertFalse(result.succeeded)
        XCTAssertEqual(result.summary, "timed out")
        XCTAssertNil(result.exitStatus, "ended by SIGKILL")
    }

    func testTheSummaryIsTheFirstLineOfStderr() throws {
        let failed = try Subprocess.run("/bin/sh", ["-c", "echo 'first line' >&2; echo second >&2; exit 4"])
        XCTAssertFalse(failed.succeeded)
        XCTAssertEqual(failed.summary, "first line")
    }

    func testArgumentsAreNotInterpretedByAShell() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-sub-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Split by a shell, this would be two missing files and an exit 7;
        // passed as given, it is one file that passes bash -n.
        let odd = dir + "/a file; exit 7 $(true)"
        try Data("echo fine\n".utf8).write(to: URL(fileURLWithPath: odd))
        let result = try Subprocess.run("/bin/bash", ["-n", odd])
        XCTAssertTrue(result.succeeded, result.summary)
    }

    func testACheckEnvironmentIsOnlyPathAndTheCLocale() throws {
        setenv("BASH_ENV", "/nonexistent/should-not-be-read", 1)
        defer { unsetenv("BASH_ENV") }
        let result = try Subprocess.run("/bin/bash", ["-c", "[ -z \"${BASH_ENV:-}\" ] && [ \"$LC_ALL\" = C ] || { env >&2; exit 1; }"],
                                        environment: Subprocess.checkEnvironment(), inheritEnvironment: false)
        XCTAssertTrue(result.succeeded, result.stderrText)
    }
}
