import AprKit
import Foundation
import XCTest
import _AprTestSupport

extension TestDatabase {
    /// Binds the built-in mint arm as test set-up, directly as the schema
    /// owner; binding through handler-bind is what HandlerBindTests test.
    func bindMintArm() throws {
        try bind("authorize_build_step", to: "apr-execute:authorize_build_step")
    }

    func grantCount() throws -> Int { Int(try scalar("SELECT count(*) FROM governance_build_authorization")!)! }

    /// Runs SQL as the superuser with triggers off, for set-up the guards
    /// refuse (an APR's expiry in the past).
    func bypassingTriggers(_ sql: String) throws {
        try connect().executeScript("SET session_replication_role = replica; \(sql); RESET session_replication_role")
    }

    /// Waits until `count` sessions of `application` wait on a lock: the way
    /// the race tests know every process has reached the held lock. Fails
    /// (never hangs) when they do not within a minute.
    func waitForLockWaiters(_ application: String, count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let waiting = Int(try scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'",
                [application]) ?? "0") ?? 0
            if waiting >= count { return }
            usleep(10_000)
        }
        XCTFail("\(count) \(application) sessions never waited on the lock", file: file, line: line)
        throw TestSupportError("lock waiters missing")
    }

    /// Waits until no session of `application` is left (a killed client's
    /// backend takes a moment to notice).
    func waitForNoSessions(_ application: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
                          [application]) == "0" { return }
            usleep(5_000)
        }
        throw TestSupportError("\(application) sessions still there after a minute")
    }
}

/// A tool started in the background: its output goes to files, so any
/// number can run at once without a reader thread each, and a test can read
/// what it has printed so far.
final class LaunchedTool {
    let process = Process()
    private let outURL: URL
    private let errURL: URL

    /// `name` is a tool of this build, or a program by its absolute path.
    init(_ name: String, _ args: [String], stdin: String = "", env: [String: String] = [:]) throws {
        let dir = FileManager.default.temporaryDirectory
        outURL = dir.appendingPathComponent("aprkit-\(UUID().uuidString).out")
        errURL = dir.appendingPathComponent("aprkit-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: name.hasPrefix("/") ? name : "\(Tool.binDir)/\(name)")
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try? input.fileHandleForWriting.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    /// What it has printed so far.
    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }

    func kill9() { kill(process.processIdentifier, SIGKILL) }

    /// Ends it (SIGTERM) and returns what it printed.
    func stop() -> ToolRun {
        kill(process.processIdentifier, SIGTERM)
        return wait()
    }

    /// Waits for the tool to end and returns what it printed.
    func wait() -> ToolRun {
        process.waitUntilExit()
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        // A signal shows as status 128 + n, as in the shell.
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ToolRun(status: status, stdout: stdout, stderr: err)
    }
}

extension ToolRun {
    /// A raw database error reached the user: a refusal that is not one of
    /// aprkit's reason codes, or stderr without the tool's prefix.
    func leaksRawDatabaseError(tool: String) -> Bool {
        let rawReasons: Set = ["database_error", "internal_error"]
        if lines.contains(where: { rawReasons.contains($0["reason"] as? String ?? "") }) { return true }
        return stderr.split(separator: "\n").contains { !$0.hasPrefix("\(tool): ") }
    }
}

/// A refusal as every aprkit tool gives it: the exit status, one JSON line
/// with `ok: false`, the reason and its result word, one stderr line
/// `tool: … (reason)`, and not one row written.
func assertRefusal(_ run: ToolRun, by tool: String, _ reason: String, _ status: Int32, in db: TestDatabase,
                   unchangedFrom digest: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let word = [2: "SKIP", 3: "STOP"][status] ?? "FAIL"
    XCTAssertEqual(run.status, status, run.description, file: file, line: line)
    XCTAssertEqual(run.lines.count, 1, run.stdout, file: file, line: line)
    XCTAssertEqual(run.json["ok"] as? Bool, false, file: file, line: line)
    XCTAssertEqual(run.json["reason"] as? String, reason, run.description, file: file, line: line)
    XCTAssertEqual(run.json["result"] as? String, word, file: file, line: line)
    XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
    XCTAssertTrue(run.stderr.hasPrefix("\(tool): ") && run.stderr.hasSuffix("(\(reason))\n"), run.stderr, file: file, line: line)
    XCTAssertEqual(try db.contentDigest(), digest, "nothing written", file: file, line: line)
}
