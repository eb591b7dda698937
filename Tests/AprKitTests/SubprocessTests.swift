@testable import AprKit
import Foundation
import XCTest

/// Checks run as child processes without a shell: the status, the first
/// line of stderr, the time limit, and arguments that reach the child as given.
final class SubprocessTests: XCTestCase {
    let bash = Subprocess.executable(["/usr/bin/bash", "/bin/bash"])!

    func run(_ script: String, timeout: Int = 30) throws -> Subprocess.Result {
        try Subprocess.run([bash, "-c", script], environment: Subprocess.checkEnvironment(), timeoutSeconds: timeout)
    }

    func testSuccessAndFailure() throws {
        XCTAssertTrue(try run("exit 0").succeeded)
        let failed = try run("echo 'first line' >&2; echo second >&2; exit 4")
        XCTAssertFalse(failed.succeeded)
        XCTAssertEqual(failed.exitStatus, 4)
        XCTAssertEqual(failed.summary, "first line")
    }

    func testAChildThatOutlivesItsLimitIsKilled() throws {
        let result = try run("exec sleep 30", timeout: 1)
        XCTAssertTrue(result.timedOut)
        XCTAssertFalse(result.succeeded)
        XCTAssertNil(result.exitStatus, "ended by SIGKILL")
    }

    func testArgumentsAreNotInterpretedByAShell() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-sub-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Split by a shell, this would be two missing files and an exit 7;
        // passed as given, it is one file that passes bash -n.
        let odd = dir + "/a file; exit 7 $(true)"
        try Data("echo fine\n".utf8).write(to: URL(fileURLWithPath: odd))
        let result = try Subprocess.run([bash, "-n", odd], environment: Subprocess.checkEnvironment(), timeoutSeconds: 30)
        XCTAssertTrue(result.succeeded, result.summary)
    }

    func testTheEnvironmentIsOnlyPathAndTheCLocale() throws {
        setenv("BASH_ENV", "/nonexistent/should-not-be-read", 1)
        defer { unsetenv("BASH_ENV") }
        let result = try run("[ -z \"${BASH_ENV:-}\" ] && [ \"$LC_ALL\" = C ] || { env >&2; exit 1; }")
        XCTAssertTrue(result.succeeded, result.stderr)
    }

    func testAProgramThatCannotBeRunIsRefused() throws {
        XCTAssertThrowsError(try Subprocess.run(["/nonexistent/program"], environment: [], timeoutSeconds: 5)) { error in
            XCTAssertEqual((error as? Refusal)?.reason, "spawn_failed")
        }
    }
}
