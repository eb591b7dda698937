import Foundation
import XCTest
import _AprTestSupport

/// apr-quorum --wait: blocks until the APR is decided, woken by the
/// ledger's notification of the deciding event (no polling), at its expiry
/// even when nothing happens, and after its connection was ended.
final class QuorumWaitTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    /// Starts `apr-quorum ARGS` as `role` in the background and returns once
    /// it sleeps on its connection (LISTENing, its state read).
    func startWaiter(_ args: [String], as role: String = "eng3", stdin: String = "") throws -> LaunchedTool {
        let tool = try LaunchedTool("apr-quorum", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        return tool
    }

    /// Casts a vote the way an approver does, by running apr-quorum, and
    /// returns when its COMMIT is confirmed (the tool has exited).
    func castVote(_ code: String, _ decision: String = "approve", as role: String) throws {
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: role), "--apr", code, "--vote", decision])
        XCTAssertEqual(run.status, 0, run.description)
    }

    func testAVoteFromAnotherProcessWakesTheWaiterWithinASecond() throws {
        let code = try db.propose().code
        try db.vote(code, by: ["owner1"])
        let waiter = try startWaiter(["--apr", code, "--wait", "60"])
        // Measured from the start of the voter's process: an upper bound of
        // the time from the deciding commit to the waiter's exit.
        let voting = Date()
        try castVote(code, as: "owner2")
        let run = waiter.wait()
        let latency = Date().timeIntervalSince(voting)
        XCTAssertLessThan(latency, 1.0, "woken by the vote's notification, not by a poll")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 2, "the state as it was, then as decided: \(run.stdout)")
        XCTAssertEqual(run.lines[0]["reason"] as? String, "quorum_not_met")
        XCTAssertEqual(run.lines[1]["ok"] as? Bool, true)
        XCTAssertEqual(run.lines[1]["quorum_passed"] as? Bool, true)
        XCTAssertEqual(run.lines[1]["status"] as? String, "approved")
        XCTAssertEqual(Set(run.lines[0].keys).subtracting(["ok", "result", "reason", "message"]),
                       Set(run.lines[1].keys).subtracting(["ok"]), "one shape for both lines")
        XCTAssertEqual(run.stderr, "", "nothing on stderr while waiting, nor once passed")
        print("apr-quorum --wait ended \(Int(latency * 1000)) ms after the deciding voter started")
    }

    func testVotingThenWaitingWaitsForTheOthers() throws {
        let code = try db.propose().code
        let waiter = try LaunchedTool("apr-quorum", ["-d", db.conninfo(as: "owner1"), "--apr", code,
                                                     "--vote", "approve", "--wait", "60"])
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes WHERE apr_code = $1", [code]), "1")
        try castVote(code, as: "owner2")
        let run = waiter.wait()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 2, run.stdout)
        XCTAssertEqual((run.lines[0]["vote"] as? [String: Any])?["approver"] as? String, "owner1")
        XCTAssertEqual(run.lines[1]["quorum_passed"] as? Bool, true)
    }

    func testARejectDecidesItExitOne() throws {
        let code = try db.propose().code
        let waiter = try startWaiter(["--apr", code, "--wait", "60"])
        try castVote(code, "reject", as: "eng1")
        let run = waiter.wait()
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.lines.last?["reason"] as? String, "apr_rejected")
        XCTAssertEqual(run.lines.last?["status"] as? String, "rejected")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("apr-quorum: "), run.stderr)
    }

    func testTheWaitRunsOutExit75() throws {
        let code = try db.propose().code
        let before = try db.contentDigest()
        let started = Date()
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", code, "--wait", "1"])
        let took = Date().timeIntervalSince(started)
        XCTAssertEqual(run.status, 75, run.description)
        XCTAssertEqual(run.lines.count, 2, run.stdout)
        XCTAssertEqual(run.lines[1]["reason"] as? String, "wait_timed_out")
        XCTAssertEqual(run.lines[1]["result"] as? String, "FAIL")
        XCTAssertEqual(run.lines[1]["status"] as? String, "proposed", "the state as it last was")
        XCTAssertGreaterThanOrEqual(took, 1.0)
        XCTAssertLessThan(took, 3.0)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertEqual(try db.contentDigest(), before, "waiting writes nothing")
    }

    func testAWaitOfZeroLooksOnce() throws {
        let code = try db.propose().code
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", code, "--wait", "0"])
        XCTAssertEqual(run.status, 75, run.description)
    }

    func testAnAprDecidedAlreadyPrintsOneLineWithoutWaiting() throws {
        let passed = try db.approved().code
        // --wait with no value: indefinitely, which an APR decided already never needs.
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", passed, "--wait"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 1, run.stdout)
        XCTAssertEqual(run.json["quorum_passed"] as? Bool, true)
        let rejected = try db.propose().code
        try db.vote(rejected, "reject", by: ["eng1"])
        let second = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng2"), "--wait", "--apr", rejected])
        XCTAssertEqual(second.status, 1, second.description)
        XCTAssertEqual(second.json["reason"] as? String, "apr_rejected")
    }

    func testItSurvivesTheTerminationOfItsBackend() throws {
        let code = try db.propose().code
        try db.vote(code, by: ["owner1"])
        let waiter = try startWaiter(["--apr", code, "--wait", "60"])
        XCTAssertEqual(try db.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'apr-quorum'"),
            "1")
        // It re-opens its connection, LISTENs again and reads the state again.
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        try castVote(code, as: "owner2")
        let voted = Date()
        let run = waiter.wait()
        XCTAssertLessThan(Date().timeIntervalSince(voted), 1.0)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.last?["quorum_passed"] as? Bool, true)
        XCTAssertEqual(run.stderr, "", "reconnecting is quiet without -v")
    }

    func testADecisionWhileTheConnectionIsDownIsReadOnReconnect() throws {
        let code = try db.propose().code
        try db.vote(code, by: ["owner1"])
        let waiter = try startWaiter(["-v", "--apr", code, "--wait", "60"])
        // The vote commits in the same breath as the termination: whichever
        // the waiter meets first, it reads the state again after reconnecting.
        try db.scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'apr-quorum'")
        try db.vote(code, by: ["owner2"])
        let run = waiter.wait()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.last?["quorum_passed"] as? Bool, true)
        XCTAssertTrue(run.stderr.contains("connection lost"), "-v says what happened: \(run.stderr)")
    }

    func testItWakesAtExpiryWithoutAnyEvent() throws {
        let code = try db.propose().code
        try db.bypassingTriggers("UPDATE apr_requests SET expires_at = now() + interval '1.5 seconds' WHERE apr_code = '\(code)'")
        let started = Date()
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", code, "--wait", "60"])
        let took = Date().timeIntervalSince(started)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.lines.last?["reason"] as? String, "apr_expired")
        XCTAssertEqual(run.lines.last?["expired"] as? Bool, true)
        XCTAssertLessThan(took, 3.0, "woken at expires_at, not at the end of the wait")
    }

    func testACancelledAprIsDecidedExitOne() throws {
        let code = try db.propose().code
        let waiter = try startWaiter(["--apr", code, "--wait", "60"])
        // apr-cancel appends its ledger event, which notifies; here the row
        // is changed behind the functions, so the test notifies as it would.
        try db.bypassingTriggers("""
            UPDATE apr_requests SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'owner1',
                   cancel_reason = 'withdrawn' WHERE apr_code = '\(code)';
            SELECT pg_notify('aprkit_ledger', '{"event": "cancel", "apr_code": "\(code)"}')
            """)
        let run = waiter.wait()
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.lines.last?["reason"] as? String, "apr_cancelled")
        XCTAssertEqual(run.lines.last?["status"] as? String, "cancelled")
    }

    /// Records on stdin: each APR is waited for in turn, under one deadline
    /// for the run; the exit status is the worst of their final lines.
    func testSeveralAprsOnStdinAreWaitedForInTurn() throws {
        let passed = try db.approved()
        let open = try db.propose()
        let later = try db.propose()
        try db.vote(later.code, by: ["owner1"])
        let waiter = try LaunchedTool("apr-quorum", ["-d", db.conninfo(as: "eng3"), "--wait", "60"],
                                      stdin: [passed.line, open.line, later.line].joined(separator: "\n") + "\n")
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        try castVote(open.code, "reject", as: "eng1")
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        try castVote(later.code, as: "owner2")
        let run = waiter.wait()
        XCTAssertEqual(run.status, 1, "the worst: one rejected: \(run)")
        let finals = run.lines.filter { $0["reason"] as? String != "quorum_not_met" }
        XCTAssertEqual(finals.map { $0["apr_code"] as? String }, [passed.code, open.code, later.code], run.stdout)
        XCTAssertEqual(finals.map { $0["ok"] as? Bool }, [true, false, true])
        // One line for the APR decided already, two for each one still open
        // when its turn came (the last may be decided by then).
        XCTAssertTrue((4...5).contains(run.lines.count), run.stdout)

        // A run that times out on one of them exits 75, the worst.
        let pending = try db.propose()
        let timedOut = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng3"), "--wait", "1"],
                                    stdin: passed.line + "\n" + pending.line + "\n")
        XCTAssertEqual(timedOut.status, 75, timedOut.description)
        XCTAssertEqual(timedOut.lines.last?["reason"] as? String, "wait_timed_out")
    }

    /// apr-quorum(1)'s example: wait for the quorum, then execute.
    func testTheManPageExampleWaitsThenExecutes() throws {
        try db.bindMintArm()
        let code = try db.propose().code
        try db.vote(code, by: ["owner1"])
        let page = try String(contentsOfFile: Tool.packageRoot + "/man/apr-quorum.1", encoding: .utf8)
        let example = try XCTUnwrap(page.split(separator: "\n").first { $0.contains("--wait 3600 && PGUSER=executor apr-execute") })
        let script = example.replacingOccurrences(of: "APR-000001", with: code)
        let env = ["PATH": "\(Tool.binDir):/usr/bin:/bin", "PGDATABASE": db.name, "PGUSER": "executor"]
        nonisolated(unsafe) var run: ToolRun?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            run = try? Tool.run("/bin/bash", ["-c", "set -euo pipefail; " + script], env: env)
            done.signal()
        }
        try db.waitForIdleSession("apr-quorum", running: "%apr_quorum_state%")
        XCTAssertEqual(try db.grantCount(), 0, "nothing executed before the quorum")
        try castVote(code, as: "owner2")
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(run?.status, 0, run?.description ?? "")
        XCTAssertEqual(try db.grantCount(), 1, "executed once the quorum passed")
    }

    /// A bad --wait refuses the whole invocation before it connects: the
    /// vote it carries is not cast.
    func testABadWaitIsAUsageError() throws {
        let code = try db.propose().code
        let digest = try db.contentDigest()
        for value in ["-1", "nan", "soon"] {
            let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", code, "--vote", "approve", "--wait", value])
            XCTAssertEqual(run.status, 64, "--wait \(value): \(run)")
            XCTAssertEqual(run.json["reason"] as? String, "usage")
        }
        XCTAssertEqual(try db.contentDigest(), digest, "no vote was cast")
    }
}

extension TestDatabase {
    /// Waits until a session of `application` is idle after a statement like
    /// `query`: the tool has sent it and sleeps on its socket. Fails (never
    /// hangs) when none does within a minute.
    func waitForIdleSession(_ application: String, running query: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try scalar("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = $1 AND state = 'idle' AND query LIKE $2
                """, [application, query]) != "0" { return }
            usleep(10_000)
        }
        throw TestSupportError("no idle \(application) session after \(query) within a minute")
    }
}
