import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// apr-cancel, run as a user runs it. The accepted case: the proposer (or an
/// active approver) cancels a proposed or approved APR with a reason. Each
/// refusal test changes one fact of it; afterwards no tool acts on the APR.
final class AprCancelTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.bindMintArm()
    }

    override func tearDown() { db = nil }

    func cancel(_ args: [String], stdin: String = "", as role: String? = "proposer") throws -> ToolRun {
        try Tool.run("apr-cancel", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    func status(_ code: String) throws -> String? {
        try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code])
    }

    // MARK: accepted

    func testTheProposerCancelsAProposedApr() throws {
        let apr = try db.propose()
        let run = try cancel(["--apr", apr.code, "--reason", "superseded by a newer manifest"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(run.json["apr_code"] as? String, apr.code)
        XCTAssertEqual(run.json["cancelled"] as? Bool, true)
        XCTAssertEqual(run.json["apr_status"] as? String, "cancelled")
        XCTAssertNil(run.json["unchanged"])
        let shown = try XCTUnwrap(run.json["apr"] as? [String: Any])
        XCTAssertEqual(shown["cancelled_by"] as? String, "proposer")
        XCTAssertEqual(shown["cancel_reason"] as? String, "superseded by a newer manifest")
        XCTAssertEqual(try db.scalar("""
            SELECT status || ' ' || (cancelled_at IS NOT NULL) || ' ' || cancelled_by || ' ' || cancel_reason
              FROM apr_requests WHERE apr_code = $1
            """, [apr.code]), "cancelled true proposer superseded by a newer manifest")
        XCTAssertEqual(try db.scalar("""
            SELECT event || ' ' || actor || ' ' || (payload ->> 'apr_status') || ' ' || (payload ->> 'reason')
              FROM gov_ledger WHERE apr_code = $1 ORDER BY seq DESC LIMIT 1
            """, [apr.code]), "cancel proposer cancelled superseded by a newer manifest")
        XCTAssertEqual(try db.ledgerChain(), "intact")
        let head = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-head-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: head, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: head) }
        let readback = try Tool.run("readback", ["-d", db.conninfo(), "--checklist", "ledger", "--ledger-head", head])
        XCTAssertEqual(readback.status, 0, readback.description)
    }

    func testAnActiveApproverCancelsAnApprovedAprFromItsRecord() throws {
        let apr = try db.approved()
        let run = try cancel(["--reason", "wrong target"], stdin: apr.line + "\n", as: "eng1")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["cancelled"] as? Bool, true)
        XCTAssertEqual(try status(apr.code), "cancelled")
        XCTAssertEqual(try db.scalar("SELECT cancelled_by FROM apr_requests WHERE apr_code = $1", [apr.code]), "eng1")
    }

    func testAReRunIsUnchanged() throws {
        let apr = try db.propose()
        XCTAssertEqual(try cancel(["--apr", apr.code, "--reason", "first"]).status, 0)
        let digest = try db.contentDigest()
        let again = try cancel(["--apr", apr.code, "--reason", "second"])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(again.json["cancelled"] as? Bool, false)
        XCTAssertEqual((again.json["apr"] as? [String: Any])?["cancel_reason"] as? String, "first")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testDryRunWritesNothing() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try cancel(["--apr", apr.code, "--reason", "rehearsal", "--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["dry_run"] as? Bool, true)
        XCTAssertEqual((run.json["would_cancel"] as? [String: Any])?["status"] as? String, "cancelled")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    /// An approved APR whose grant is active (a state an earlier release's
    /// dispatch could leave): the grant is revoked with the cancellation,
    /// in the same transaction, each with its ledger event.
    func testCancellingRevokesTheActiveGrantOfAnApprovedApr() throws {
        let apr = try db.approved()
        XCTAssertEqual(try Tool.run("grant-mint", ["-d", db.conninfo(as: "executor"), "--apr", apr.code]).status, 0)
        try db.bypassingTriggers("UPDATE apr_requests SET status = 'approved', applied_at = NULL WHERE apr_code = '\(apr.code)'")
        let run = try cancel(["--apr", apr.code, "--reason", "stop the build"], as: "owner1")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["revoked_grant"] as? String, "GBA-C1-\(apr.code)")
        XCTAssertEqual(try db.scalar("""
            SELECT status || ' ' || (revoked_at IS NOT NULL) || ' ' || revoked_reason
              FROM governance_build_authorization WHERE request_ref = $1
            """, [apr.code]), "revoked true cancelled: stop the build")
        XCTAssertEqual(try status(apr.code), "cancelled")
        XCTAssertEqual(try db.scalar("""
            SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1 AND event IN ('revoke', 'cancel')
            """, [apr.code]), "revoke,cancel")
        let remint = try Tool.run("grant-mint", ["-d", db.conninfo(as: "executor"), "--apr", apr.code])
        XCTAssertEqual(remint.status, 1, remint.description)
        XCTAssertEqual(remint.json["reason"] as? String, "apr_cancelled")
    }

    func testPsqlAsTheProposerMeetsTheSameFunction() throws {
        let apr = try db.propose()
        let answer = try db.scalar("SELECT apr_cancel($1, 'by hand') ->> 'apr_status'", [apr.code], as: "proposer")
        XCTAssertEqual(answer, "cancelled")
        XCTAssertThrowsError(try db.scalar("SELECT apr_cancel($1, 'by hand')", [apr.code], as: "executor")) { error in
            XCTAssertEqual((error as? PGError)?.sqlstate, "42501")
        }
    }

    // MARK: refused, nothing written

    func testAnOutsiderIsRefused() throws {
        try TestCluster.ensureRole("outsider", groups: ["apr_proposer"])
        let apr = try db.propose()
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "not mine"], as: "outsider"),
                          by: "apr-cancel", "cancel_not_allowed", 1, in: db, unchangedFrom: digest)
    }

    func testADeactivatedApproverIsAnOutsider() throws {
        let apr = try db.propose()
        try db.scalar("SELECT apr_approver_set('eng3', 'engineer', false)")
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "x"], as: "eng3"),
                          by: "apr-cancel", "cancel_not_allowed", 1, in: db, unchangedFrom: digest)
    }

    func testAnAppliedAprIsRolledBackNotCancelled() throws {
        let apr = try db.approved()
        XCTAssertEqual(try Tool.run("grant-mint", ["-d", db.conninfo(as: "executor"), "--apr", apr.code]).status, 0)
        let digest = try db.contentDigest()
        let run = try cancel(["--apr", apr.code, "--reason", "too late"])
        try assertRefusal(run, by: "apr-cancel", "apr_not_cancellable", 1, in: db, unchangedFrom: digest)
        XCTAssertTrue(run.stderr.contains("was applied: roll it back (rollback(1)) instead"), run.stderr)
    }

    func testARejectedAprIsNotCancellable() throws {
        let apr = try db.propose()
        try db.vote(apr.code, "reject", by: ["owner1"])
        let digest = try db.contentDigest()
        let run = try cancel(["--apr", apr.code, "--reason", "x"])
        try assertRefusal(run, by: "apr-cancel", "apr_not_cancellable", 1, in: db, unchangedFrom: digest)
        XCTAssertTrue(run.stderr.contains("is rejected"), run.stderr)
    }

    func testAnUnknownAprIsRefused() throws {
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", "APR-999999", "--reason", "x"]),
                          by: "apr-cancel", "unknown_apr", 1, in: db, unchangedFrom: digest)
    }

    func testABlankOrOversizedReasonIsBadInput() throws {
        let apr = try db.propose()
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "  "]),
                          by: "apr-cancel", "empty_reason", 65, in: db, unchangedFrom: digest)
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", String(repeating: "é", count: 2049)]),
                          by: "apr-cancel", "field_too_long", 65, in: db, unchangedFrom: digest)
        XCTAssertEqual(try status(apr.code), "proposed")
    }

    func testAPrivilegedSessionIsRefused() throws {
        let apr = try db.propose()
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "x"], as: nil),
                          by: "apr-cancel", "privileged_session", 1, in: db, unchangedFrom: digest)
    }

    func testAnAprBeingDispatchedIsRefused() throws {
        let apr = try db.approved()
        let dispatcher = try db.connect(as: "executor")
        try dispatcher.execute("SELECT apr_dispatch_lock($1)", [apr.code])
        let digest = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "x"]),
                          by: "apr-cancel", "dispatch_in_progress", 75, in: db, unchangedFrom: digest)
        try dispatcher.execute("SELECT apr_dispatch_unlock($1)", [apr.code])

        // An attempt still open (its handler may be running).
        try db.bypassingTriggers("""
            INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm) VALUES ('\(apr.code)', 1, 'apr-execute:x', 'x')
            """)
        let open = try db.contentDigest()
        try assertRefusal(try cancel(["--apr", apr.code, "--reason", "x"]),
                          by: "apr-cancel", "dispatch_in_progress", 75, in: db, unchangedFrom: open)
    }

    // MARK: a cancelled APR is never acted on

    func testACancelledAprIsNeverVotedDispatchedMintedOrApplied() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-cancel-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try db.scalar("SELECT patch_target_set($1, 'bash -n')", [root])
        let build = try db.approved()
        let open = try db.propose(Fixtures.buildStep(target: "OTHER_TARGET"))
        let patch = try db.approved(Fixtures.patch(filePath: root + "/ops.sh", content: "echo new\n"))
        for apr in [build, open, patch] {
            XCTAssertEqual(try cancel(["--apr", apr.code, "--reason", "withdrawn"], as: "owner1").status, 0)
        }
        let digest = try db.contentDigest()
        let executor = db.conninfo(as: "executor")
        try assertRefusal(try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", open.code, "--vote", "approve"]),
                          by: "apr-quorum", "apr_cancelled", 1, in: db, unchangedFrom: digest)
        // Its quorum state says why it will never pass.
        try assertRefusal(try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1"), "--apr", open.code]),
                          by: "apr-quorum", "apr_cancelled", 1, in: db, unchangedFrom: digest)
        try assertRefusal(try Tool.run("grant-mint", ["-d", executor, "--apr", build.code]),
                          by: "grant-mint", "apr_cancelled", 1, in: db, unchangedFrom: digest)
        try assertRefusal(try Tool.run("apr-execute", ["-d", executor, "--apr", build.code]),
                          by: "apr-execute", "apr_cancelled", 1, in: db, unchangedFrom: digest)
        try assertRefusal(try Tool.run("patch-apply", ["-d", executor, "--apr", patch.code]),
                          by: "patch-apply", "apr_cancelled", 1, in: db, unchangedFrom: digest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/ops.sh"))
    }

    /// A role created under an approver's name (after the approver's role
    /// was renamed away) is not the approver: it cancels nothing.
    func testARoleCreatedUnderAnApproversNameCannotCancel() throws {
        try TestCluster.ensureRole("cancel_named", groups: [])
        try db.scalar("SELECT apr_approver_set('cancel_named', 'owner')")
        let apr = try db.propose()
        let restore = try TestCluster.impersonate("cancel_named")
        defer { restore() }
        let before = try db.contentDigest()
        let run = try cancel(["--apr", apr.code, "--reason", "impostor"], as: "cancel_named")
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "cancel_not_allowed")
        XCTAssertEqual(try db.contentDigest(), before, "nothing written")
    }
}
