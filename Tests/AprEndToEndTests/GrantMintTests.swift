import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// grant-mint, run as a user runs it. The accepted case: an approved
/// authorize_build_step APR, its handler bound, minted by `executor` from the
/// APR line apr-propose printed. Each refusal test changes one fact of it.
final class GrantMintTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.bindMintArm()
    }

    override func tearDown() { db = nil }

    func grantMint(_ args: [String] = [], stdin: String = "", as role: String? = "executor") throws -> ToolRun {
        try Tool.run("grant-mint", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    /// The refusal (see assertRefusal), and the grant count unchanged.
    func assertRefused(_ run: ToolRun, _ reason: String, _ status: Int32, unchangedFrom digest: String,
                       grants: Int = 0, file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRefusal(run, by: "grant-mint", reason, status, in: db, unchangedFrom: digest, file: file, line: line)
        XCTAssertEqual(try db.grantCount(), grants, "count(governance_build_authorization)", file: file, line: line)
    }

    // MARK: the positive fixture

    func testMintsExactlyOneGrantAndARerunLeavesIt() throws {
        let apr = try db.approved()
        XCTAssertEqual(try db.grantCount(), 0)
        let run = try grantMint(stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(run.json["minted"] as? Bool, true)
        XCTAssertNil(run.json["unchanged"])
        let grant = try XCTUnwrap(run.json["grant"] as? [String: Any])
        XCTAssertEqual(grant["auth_code"] as? String, "GBA-C1-\(apr.code)")
        XCTAssertEqual(grant["request_ref"] as? String, apr.code)
        XCTAssertEqual(grant["status"] as? String, "active")
        XCTAssertEqual(grant["commit_allowed"] as? Bool, false)
        XCTAssertEqual(grant["requires_sovereign_esign"] as? Bool, false)
        XCTAssertEqual(grant["scope"] as? [String: String], ["target": "DOT_C1_VOCAB_BUILD", "manifest_hash": Fixtures.manifestHash])

        // SPEC §6 step 7, read back from the database.
        XCTAssertEqual(try db.grantCount(), 1)
        XCTAssertEqual(try db.scalar("""
            SELECT auth_code = 'GBA-C1-' || $1 AND status = 'active' AND NOT commit_allowed AND NOT requires_sovereign_esign
               AND scope->>'target' = 'DOT_C1_VOCAB_BUILD' AND request_ref = $1
               AND expires_at - granted_at = interval '3600 seconds'
              FROM governance_build_authorization
            """, [apr.code]), "t")
        XCTAssertEqual(try db.scalar("SELECT status || ' ' || (applied_at IS NOT NULL) FROM apr_requests WHERE apr_code = $1", [apr.code]), "applied true")
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [apr.code]), "t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'mint' AND apr_code = $1", [apr.code]), "1")
        XCTAssertEqual(try db.scalar("SELECT outcome FROM apr_dispatches WHERE apr_code = $1", [apr.code]), "applied")

        let digest = try db.contentDigest()
        let again = try grantMint(stdin: apr.line)
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(again.json["minted"] as? Bool, false)
        XCTAssertEqual((again.json["grant"] as? [String: Any])?["auth_code"] as? String, "GBA-C1-\(apr.code)")
        XCTAssertEqual(try db.grantCount(), 1)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testMintsByAprCodeToo() throws {
        let apr = try db.approved()
        let run = try grantMint(["--apr", apr.code])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.grantCount(), 1)
    }

    func testDryRunPrintsTheRowItWouldMintAndWritesNothing() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try grantMint(["--dry-run"], stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["dry_run"] as? Bool, true)
        let row = try XCTUnwrap(run.json["would_mint"] as? [String: Any])
        XCTAssertEqual(row["auth_code"] as? String, "GBA-C1-\(apr.code)")
        XCTAssertEqual(row["status"] as? String, "active")
        XCTAssertEqual(try db.grantCount(), 0)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    // MARK: the fail-closed matrix: one fact changed each

    func testRefusesASuperuserSession() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line, as: nil), "privileged_session", 1, unchangedFrom: digest)
    }

    func testRefusesAnUnknownApr() throws {
        _ = try db.approved()
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(["--apr", "APR-999999"]), "unknown_apr", 1, unchangedFrom: digest)
    }

    func testRefusesAnotherAction() throws {
        let apr = try db.approved([
            "request_type": "register_tool", "action_code": "register_tool",
            "proposed_action": ["tool_name": "grant-mint", "tool_path": "/usr/local/bin/grant-mint",
                                "tool_sha256": String(repeating: "c", count: 64)],
            "session_code": "S-C1-ABS-001", "reason": "ticket OPS-3",
        ])
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "wrong_action", 1, unchangedFrom: digest)
    }

    func testSkipsAnAprNotApprovedYet() throws {
        let apr = try db.propose(Fixtures.buildStep())
        try db.vote(apr.code, by: ["owner1"])
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "not_approved", 2, unchangedFrom: digest)
    }

    func testSkipsWhenTheQuorumNoLongerPasses() throws {
        let apr = try db.approved()
        try db.scalar("SELECT apr_approver_set('owner2', 'owner', false)")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "quorum_not_met", 2, unchangedFrom: digest)
    }

    func testRefusesAnExpiredApr() throws {
        let apr = try db.approved()
        try db.bypassingTriggers("UPDATE apr_requests SET created_at = now() - interval '8 days', expires_at = now() - interval '1 second' WHERE apr_code = '\(apr.code)'")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "apr_expired", 1, unchangedFrom: digest)
    }

    func testRefusesWhenTheHandlerIsUnbound() throws {
        let apr = try db.approved()
        try db.scalar("UPDATE apr_action_types SET handler_ref = NULL WHERE action_code = 'authorize_build_step'")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "handler_unbound", 1, unchangedFrom: digest)
    }

    func testRefusesWhenTheActionIsBoundToAnotherHandler() throws {
        let apr = try db.approved()
        try db.scalar("UPDATE apr_action_types SET handler_ref = 'apr-execute:register_tool' WHERE action_code = 'authorize_build_step'")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "handler_unbound", 1, unchangedFrom: digest)
    }

    func testRefusesAPayloadChangedBehindTheGuards() throws {
        // The stored payload no longer hashes to the approved hash (written
        // with the guard trigger off): what the approvers saw is not what
        // would be minted.
        let apr = try db.approved()
        try db.bypassingTriggers("UPDATE apr_requests SET proposed_action = jsonb_set(proposed_action, '{target}', '\"OTHER_TARGET\"') WHERE apr_code = '\(apr.code)'")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(["--apr", apr.code]), "payload_hash_mismatch", 1, unchangedFrom: digest)
    }

    func testNeverMintsARevokedGrantAgain() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        XCTAssertEqual(try grantMint(["--revoke", "--apr", apr.code, "--reason", "stop"]).status, 0)
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "apr_revoked", 1, unchangedFrom: digest, grants: 1)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM governance_build_authorization WHERE status = 'active'"), "0")
    }

    func testEvenTheSchemaOwnerCannotBringARevokedGrantBackOrDeleteIt() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        XCTAssertEqual(try grantMint(["--revoke", "--apr", apr.code, "--reason", "stop"]).status, 0)
        let owner = try db.connect()
        for sql in ["UPDATE governance_build_authorization SET status = 'active', revoked_at = NULL",
                    "DELETE FROM governance_build_authorization",
                    "TRUNCATE governance_build_authorization"] {
            XCTAssertThrowsError(try owner.execute(sql), sql) { error in
                XCTAssertEqual((error as? PGError)?.message, "grant_immutable", sql)
            }
        }
        XCTAssertEqual(try db.scalar("SELECT status FROM governance_build_authorization"), "revoked")
    }

    func testRefusesARejectedApr() throws {
        let apr = try db.propose(Fixtures.buildStep())
        try db.vote(apr.code, "reject", by: ["owner1"])
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "apr_rejected", 1, unchangedFrom: digest)
    }

    func testRefusesAPayloadHashThatIsNotTheApprovedOne() throws {
        let apr = try db.approved()
        let approved = try XCTUnwrap(db.scalar("SELECT payload_sha256 FROM apr_requests WHERE apr_code = $1", [apr.code]))
        let other = String(repeating: "0", count: 64)
        let line = apr.line.replacingOccurrences(of: approved, with: other)
        XCTAssertNotEqual(line, apr.line)
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: line), "payload_hash_mismatch", 1, unchangedFrom: digest)
    }

    func testRefusesATtlOverTheMaximumNow() throws {
        let apr = try db.approved(Fixtures.buildStep(ttl: 3600))
        try db.scalar("UPDATE apr_action_types SET max_ttl_seconds = 600 WHERE action_code = 'authorize_build_step'")
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "ttl_over_maximum", 1, unchangedFrom: digest)
    }

    func testRefusesAnAprWhoseDispatchFailed() throws {
        let apr = try db.approved()
        try db.scalar("UPDATE apr_requests SET status = 'failed' WHERE apr_code = $1", [apr.code])
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "apr_failed", 1, unchangedFrom: digest)
    }

    func testRefusesAnAprAlreadyDispatchedElsewhere() throws {
        let apr = try db.approved()
        try db.scalar("INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm) VALUES ($1, 1, 'apr-execute:other', 'other')", [apr.code])
        let digest = try db.contentDigest()
        try assertRefused(try grantMint(stdin: apr.line), "already_dispatched", 1, unchangedFrom: digest)
    }

    func testRefusesABadPayloadHashFieldAsBadData() throws {
        let apr = try db.approved()
        let approved = try XCTUnwrap(db.scalar("SELECT payload_sha256 FROM apr_requests WHERE apr_code = $1", [apr.code]))
        let digest = try db.contentDigest()
        let run = try grantMint(stdin: apr.line.replacingOccurrences(of: approved, with: "not-a-hash"))
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "invalid_field")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testPassesOnAnUpstreamRefusal() throws {
        _ = try db.approved()
        let digest = try db.contentDigest()
        let run = try grantMint(stdin: #"{"ok":false,"result":"SKIP","reason":"quorum_not_met","message":"x"}"#)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "upstream_refused")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    // MARK: revoke

    /// A NULL dry-run flag from psql is not a dry run that skips the APR's
    /// lock: a second revoke that waited for the first finds the grant
    /// revoked and writes nothing, so the ledger holds one revoke.
    func testTwoRevokesWithANullDryRunFlagRevokeOnce() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        let first = try db.connect(as: "executor")
        try first.execute("BEGIN")
        try first.execute("SELECT grant_revoke($1, 'first', NULL)", [apr.code])
        let second = try LaunchedTool("/usr/bin/psql", ["-X", "-d", db.conninfo(as: "executor"), "-c",
                                                         "SELECT grant_revoke('\(apr.code)', 'second', NULL)"])
        usleep(500_000)
        try first.execute("COMMIT")
        let run = second.wait()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'revoke' AND apr_code = $1", [apr.code]), "1")
        XCTAssertEqual(try db.scalar("SELECT revoked_reason FROM governance_build_authorization WHERE request_ref = $1", [apr.code]), "first")
    }

    func testRevokeRevokesOnceAndARerunChangesNothing() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        let run = try grantMint(["--revoke", "--reason", "rollback OPS-9"], stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["revoked"] as? Bool, true)
        XCTAssertEqual(try db.scalar("""
            SELECT status || ' ' || (revoked_at IS NOT NULL) || ' ' || revoked_reason
              FROM governance_build_authorization WHERE request_ref = $1
            """, [apr.code]), "revoked true rollback OPS-9")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "revoked")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'revoke' AND apr_code = $1", [apr.code]), "1")

        let digest = try db.contentDigest()
        let again = try grantMint(["--revoke", "--apr", apr.code, "--reason", "again"])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testRefusesASecondActiveGrantForTheSameTarget() throws {
        let first = try db.approved()
        XCTAssertEqual(try grantMint(["--apr", first.code]).status, 0)
        let second = try db.approved()
        let digest = try db.contentDigest()
        let run = try grantMint(stdin: second.line)
        try assertRefused(run, "target_has_active_grant", 1, unchangedFrom: digest, grants: 1)
        XCTAssertTrue(run.stderr.contains("\(second.code): target DOT_C1_VOCAB_BUILD has an active grant already, "
                                          + "GBA-C1-\(first.code) of \(first.code)"), run.stderr)
        let dry = try grantMint(["--apr", second.code, "--dry-run"])
        XCTAssertEqual(dry.json["reason"] as? String, "target_has_active_grant", dry.description)

        // psql as the executor meets the same refusal.
        XCTAssertThrowsError(try db.scalar("SELECT grant_mint($1)", [second.code], as: "executor")) { error in
            XCTAssertEqual((error as? PGError)?.sqlstate, Reasons.registry["target_has_active_grant"])
        }
        XCTAssertEqual(try db.contentDigest(), digest)

        // Another target is free; and once the first grant is revoked, so is this one.
        XCTAssertEqual(try grantMint(stdin: try db.approved(Fixtures.buildStep(target: "OTHER_TARGET")).line).status, 0)
        XCTAssertEqual(try grantMint(["--revoke", "--apr", first.code, "--reason", "superseded"]).status, 0)
        XCTAssertEqual(try grantMint(["--apr", second.code]).status, 0)
    }

    func testRevokeSkipsWhenThereIsNoGrant() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try grantMint(["--revoke", "--apr", apr.code, "--reason", "stop"])
        try assertRefused(run, "nothing_to_revoke", 1, unchangedFrom: digest)
        XCTAssertTrue(run.stderr.contains("\(apr.code) has no grant: cancel it with apr-cancel --apr \(apr.code) --reason ..."),
                      run.stderr)
    }

    func testRevokeDryRunWritesNothing() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        let digest = try db.contentDigest()
        let run = try grantMint(["--revoke", "--apr", apr.code, "--reason", "stop", "--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual((run.json["would_revoke"] as? [String: Any])?["status"] as? String, "revoked")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testRevokeWithoutAReasonIsAUsageError() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try grantMint(["--revoke", "--apr", apr.code])
        XCTAssertEqual(run.status, 64, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "usage")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testRevokeRefusesABlankReasonAsBadData() throws {
        let apr = try db.approved()
        XCTAssertEqual(try grantMint(stdin: apr.line).status, 0)
        let digest = try db.contentDigest()
        let run = try grantMint(["--revoke", "--apr", apr.code, "--reason", "  "])
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "empty_reason")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    // MARK: the expiry sweep

    func testExpireDueExpiresEachDueGrantOnceWithALineEach() throws {
        let due = try db.approved()
        let fresh = try db.approved(Fixtures.buildStep(target: "DOT_C1_OTHER_BUILD"))
        XCTAssertEqual(try grantMint(stdin: due.line).status, 0)
        XCTAssertEqual(try grantMint(stdin: fresh.line).status, 0)
        try db.bypassingTriggers("UPDATE governance_build_authorization SET granted_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE request_ref = '\(due.code)'")

        var digest = try db.contentDigest()
        let dry = try grantMint(["--expire-due", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.description)
        XCTAssertEqual(dry.lines.count, 1)
        XCTAssertEqual(dry.json["apr_code"] as? String, due.code)
        XCTAssertEqual(try db.contentDigest(), digest)

        let run = try grantMint(["--expire-due"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 1)
        XCTAssertEqual(run.json["expired"] as? Bool, true)
        XCTAssertEqual((run.json["grant"] as? [String: Any])?["auth_code"] as? String, "GBA-C1-\(due.code)")
        XCTAssertEqual(try db.scalar("SELECT string_agg(request_ref || '=' || status, ',' ORDER BY request_ref) FROM governance_build_authorization"),
                       "\(due.code)=expired,\(fresh.code)=active")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'expire'"), "1")

        digest = try db.contentDigest()
        let again = try grantMint(["--expire-due"])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.stdout, "")
        XCTAssertEqual(try db.contentDigest(), digest)
    }
}
