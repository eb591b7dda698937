import XCTest
import _AprTestSupport

/// apr-quorum: votes as the session user, the quorum state, and one test per
/// refusal reason, each proving that nothing was written.
final class QuorumTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func quorum(_ args: [String], as role: String, stdin: String = "") throws -> ToolRun {
        try Tool.run("apr-quorum", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    /// Votes by running apr-quorum as `role`, as an approver does.
    @discardableResult
    func castVote(_ code: String, _ decision: String = "approve", as role: String) throws -> ToolRun {
        try quorum(["--apr", code, "--vote", decision], as: role)
    }

    /// Runs `body`, asserting it refused with `reason` and `status` and wrote nothing.
    func assertRefused(_ reason: String, status: Int32, file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> ToolRun) throws {
        let before = try db.contentDigest()
        let run = try body()
        XCTAssertEqual(run.status, status, run.description, file: file, line: line)
        XCTAssertEqual(run.json["ok"] as? Bool, false, file: file, line: line)
        XCTAssertEqual(run.json["reason"] as? String, reason, run.description, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one stderr line: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("apr-quorum: "), run.stderr, file: file, line: line)
        XCTAssertEqual(try db.contentDigest(), before, "nothing written", file: file, line: line)
    }

    // MARK: the accepted path

    func testTwoOwnersApproveAHighRiskApr() throws {
        let code = try db.propose().code
        let first = try castVote(code, as: "owner1")
        XCTAssertEqual(first.status, 0, first.description)
        XCTAssertEqual(first.json["quorum_passed"] as? Bool, false)
        XCTAssertEqual(first.json["status"] as? String, "proposed")
        let state = try quorum(["--apr", code], as: "eng1")
        XCTAssertEqual(state.status, 2, "not yet: SKIP")
        XCTAssertEqual(state.json["reason"] as? String, "quorum_not_met")
        XCTAssertTrue(state.stderr.contains("1 more approval"), state.stderr)

        let second = try castVote(code, as: "owner2")
        XCTAssertEqual(second.status, 0, second.description)
        XCTAssertEqual(second.json["quorum_passed"] as? Bool, true)
        XCTAssertEqual(second.json["status"] as? String, "approved")
        XCTAssertEqual(try quorum(["--apr", code], as: "eng1").status, 0)
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [code]), "t", "SQL agrees with the tool")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'vote' AND apr_code = $1", [code]), "2")
    }

    func testTwoEngineersAreNotEnoughWithoutAnOwner() throws {
        let code = try db.propose().code
        try castVote(code, as: "eng1")
        let run = try castVote(code, as: "eng2")
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.json["quorum_passed"] as? Bool, false)
        let owners = (run.json["factors"] as? [[String: Any]])?.first { $0["factor"] as? String == "owners" }
        XCTAssertEqual(owners?["met"] as? Bool, false)
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [code]), "f")
    }

    func testReadsTheAprFromTheProposerOutputOnStdin() throws {
        let proposed = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: Fixtures.line(Fixtures.buildStep()))
        let run = try quorum(["--vote", "approve"], as: "owner1", stdin: proposed.stdout)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual((run.json["vote"] as? [String: Any])?["approver"] as? String, "owner1")
    }

    func testARejectBlocksAndTheStateExitsOne() throws {
        let code = try db.propose().code
        try castVote(code, as: "owner1")
        XCTAssertEqual(try castVote(code, "reject", as: "eng1").status, 0)
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "rejected")
        let state = try quorum(["--apr", code], as: "eng2")
        XCTAssertEqual(state.status, 1)
        XCTAssertEqual(state.json["reason"] as? String, "apr_rejected")
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [code]), "f")
    }

    func testADeactivatedApproverNoLongerCounts() throws {
        let code = try db.approved().code
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [code]), "t")
        try db.scalar("SELECT apr_approver_set('owner2', 'owner', false)")
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [code]), "f")
        XCTAssertEqual(try quorum(["--apr", code], as: "eng1").status, 2)
    }

    // MARK: one test per refusal reason

    func testRefusesAVoteOnOnesOwnApr() throws {
        let code = try db.propose(as: "owner1").code
        try assertRefused("own_apr", status: 1) { try castVote(code, as: "owner1") }
    }

    func testRefusesASecondVote() throws {
        let code = try db.propose().code
        try castVote(code, as: "eng1")
        try assertRefused("already_voted", status: 1) { try castVote(code, "reject", as: "eng1") }
    }

    /// A voter re-run after its answer was lost (a failover cut it after the
    /// commit) casts the same vote again: answered as recorded, unchanged,
    /// exit 0, nothing written; on the payload another hash names, refused.
    func testTheSameVoteAgainIsUnchangedAndWritesNothing() throws {
        let code = try db.propose().code
        let first = try castVote(code, as: "eng1")
        XCTAssertEqual(first.status, 0, first.description)
        XCTAssertNil(first.json["unchanged"])
        let before = try db.contentDigest()
        let again = try castVote(code, as: "eng1")
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.stderr, "")
        XCTAssertEqual(again.json["ok"] as? Bool, true)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual((again.json["vote"] as? [String: Any])?["decision"] as? String, "approve")
        XCTAssertEqual(again.json["apr_code"] as? String, code)
        XCTAssertEqual(try db.contentDigest(), before, "nothing written")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes WHERE apr_code = $1", [code]), "1")
        try assertRefused("already_voted", status: 1) {
            try quorum(["--apr", code, "--vote", "approve", "--payload-sha256", String(repeating: "0", count: 64)], as: "eng1")
        }
    }

    /// The same vote again on an APR whose payload was changed behind the
    /// guards (its hash kept) is never answered unchanged with that payload.
    func testTheSameVoteAgainOnAPayloadChangedBehindTheGuardsIsRefused() throws {
        let code = try db.propose().code
        XCTAssertEqual(try castVote(code, as: "eng1").status, 0)
        try db.bypassingTriggers(
            "UPDATE apr_requests SET proposed_action = jsonb_set(proposed_action, '{target}', '\"OTHER\"') WHERE apr_code = '\(code)'")
        try assertRefused("payload_changed", status: 1) { try castVote(code, as: "eng1") }
    }

    func testRefusesARoleThatIsNotAnApprover() throws {
        let code = try db.propose().code
        try TestCluster.ensureRole("stranger", groups: ["apr_approver"])
        try assertRefused("not_an_approver", status: 1) { try castVote(code, as: "stranger") }
    }

    func testRefusesAnInactiveApprover() throws {
        let code = try db.propose().code
        try db.scalar("SELECT apr_approver_set('eng3', 'engineer', false)")
        try assertRefused("not_an_approver", status: 1) { try castVote(code, as: "eng3") }
    }

    func testRefusesAVoteOnAnAprThatIsNotOpen() throws {
        let code = try db.approved().code
        try assertRefused("apr_not_open", status: 1) { try castVote(code, as: "eng1") }
    }

    func testRefusesAVoteOnAnExpiredApr() throws {
        let code = try db.propose().code
        try expire(code)
        try assertRefused("apr_expired", status: 1) { try castVote(code, as: "owner1") }
        let state = try quorum(["--apr", code], as: "eng1")
        XCTAssertEqual(state.status, 1)
        XCTAssertEqual(state.json["reason"] as? String, "apr_expired")
    }

    func testRefusesASuperuserSession() throws {
        let code = try db.propose().code
        try TestCluster.ensureRole("root_approver", superuser: true)
        try db.scalar("SELECT apr_approver_set('root_approver', 'owner')")
        try assertRefused("privileged_session", status: 1) { try castVote(code, as: "root_approver") }
    }

    func testRefusesABypassRLSSession() throws {
        let code = try db.propose().code
        try TestCluster.ensureRole("rls_approver", bypassRLS: true)
        try db.scalar("SELECT apr_approver_set('rls_approver', 'owner')")
        try assertRefused("privileged_session", status: 1) { try castVote(code, as: "rls_approver") }
    }

    func testRefusesAnUnknownApr() throws {
        try assertRefused("unknown_apr", status: 1) { try castVote("APR-999999", as: "owner1") }
        try assertRefused("unknown_apr", status: 1) { try quorum(["--apr", "APR-999999"], as: "owner1") }
    }

    func testRefusesAnAprCodeThatIsNotOne() throws {
        try assertRefused("invalid_apr_code", status: 65) { try quorum(["--apr", "x'; DROP TABLE apr_votes; --"], as: "owner1") }
    }

    func testRefusesAnUnknownDecisionAsAUsageError() throws {
        let code = try db.propose().code
        try assertRefused("usage", status: 64) { try quorum(["--apr", code, "--vote", "maybe"], as: "owner1") }
    }

    func testPassesAnUpstreamRefusalOnInsteadOfVoting() throws {
        let upstream = #"{"ok":false,"result":"FAIL","reason":"unknown_action","message":"no action type x"}"#
        try assertRefused("upstream_refused", status: 1) { try quorum(["--vote", "approve"], as: "owner1", stdin: upstream) }
    }

    /// Moves an APR's expiry into the past behind the tools' back: the
    /// superuser switches triggers off for this one session.
    func expire(_ code: String) throws {
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        try admin.execute("UPDATE apr_requests SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE apr_code = $1", [code])
    }
}
