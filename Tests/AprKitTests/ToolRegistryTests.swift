import AprKit
import XCTest
import _AprTestSupport

/// Step 5 of the owner runbook: a tool is registered only through its own
/// approved register_tool APR, one stage after another.
final class ToolRegistryTests: XCTestCase {
    var db: TestDatabase!
    let hash = String(repeating: "c", count: 64)

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func proposal(sha256: String? = nil) -> [String: Any] {
        var action: [String: Any] = ["tool_name": "grant-mint", "tool_path": "/usr/local/bin/grant-mint", "catalog": "CAT-006"]
        action["tool_sha256"] = sha256
        return ["request_type": "register_tool", "action_code": "register_tool", "proposed_action": action,
                "session_code": "S-C1-ABS-001", "reason": "ticket OPS-5: register the grant issuer"]
    }

    func approvedRegistration(sha256: String? = nil) throws -> String {
        try db.approved(proposal(sha256: sha256 ?? hash)).code
    }

    func register(_ code: String, observed: String?, as role: String = "executor") throws -> String? {
        try db.scalar("SELECT gov_tool_register($1, $2)", [code, observed], as: role)
    }

    /// `expected` is the reason code aprkit raises, or a SQLSTATE such as 42501.
    func assertRefused(_ expected: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try db.contentDigest()
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let pg = error as? PGError
            XCTAssertEqual(expected.contains("_") ? pg?.message : pg?.sqlstate, expected, "\(error)", file: file, line: line)
        }
        XCTAssertEqual(try db.contentDigest(), before, "nothing written", file: file, line: line)
    }

    func testRegistrationIsHighRiskAndNeedsTheToolsHash() throws {
        XCTAssertEqual(try db.scalar("SELECT risk_level FROM apr_action_types WHERE action_code = 'register_tool'"), "high")
        var withoutHash = proposal()
        var action = withoutHash["proposed_action"] as! [String: Any]
        action["tool_sha256"] = nil
        withoutHash["proposed_action"] = action
        XCTAssertThrowsError(try db.propose(withoutHash)) { error in
            XCTAssertEqual((error as? PGError)?.message, "missing_field")
        }
        // One approver of any role is not enough: two, one an owner.
        let code = try db.propose(proposal(sha256: hash)).code
        try db.vote(code, by: ["eng1"])
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "proposed")
        try db.vote(code, by: ["owner1"])
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "approved")
    }

    func testEveryStageInOneTransactionAppliesTheApr() throws {
        let code = try approvedRegistration()
        XCTAssertNotNil(try register(code, observed: hash))
        XCTAssertEqual(try db.scalar("SELECT stage FROM gov_tools WHERE tool_name = 'grant-mint'"), "catalog")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "applied")
        XCTAssertEqual(try db.scalar("SELECT outcome || ' ' || arm FROM apr_dispatches WHERE apr_code = $1", [code]), "applied register_tool")
        XCTAssertEqual(try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1 AND event LIKE 'tool_%'", [code]),
                       "tool_birth,tool_admit,tool_register,tool_catalog")
        let before = try db.contentDigest()
        let again = try register(code, observed: hash)
        XCTAssertTrue(again?.contains("\"unchanged\": true") ?? false, again ?? "nil")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testAnUnapprovedAprRegistersNothing() throws {
        let code = try db.propose(proposal(sha256: hash)).code
        try assertRefused("not_approved") { _ = try register(code, observed: hash) }
    }

    func testADeactivatedApproverTakesTheQuorumAway() throws {
        let code = try approvedRegistration()
        try db.scalar("SELECT apr_approver_set('owner1', 'owner', false)")
        try assertRefused("quorum_not_met") { _ = try register(code, observed: hash) }
    }

    /// Admission holds the bytes on disk (the arm hashes them itself)
    /// against the approved hash: other bytes, or no file, register nothing.
    func testAdmissionChecksTheBytesOnDisk() throws {
        let code = try approvedRegistration()
        try assertRefused("tool_hash_mismatch") { _ = try register(code, observed: String(repeating: "d", count: 64)) }
        try assertRefused("tool_hash_mismatch") { _ = try register(code, observed: nil) }
    }

    func testAnotherActionsAprRegistersNothing() throws {
        let code = try db.approved().code
        try assertRefused("wrong_action") { _ = try register(code, observed: hash) }
    }

    func testOnlyTheExecutorMayRegisterAndNeverASuperuser() throws {
        let code = try approvedRegistration()
        try assertRefused("42501") { _ = try register(code, observed: hash, as: "proposer") }
        try assertRefused("privileged_session") { _ = try db.scalar("SELECT gov_tool_register($1, $2)", [code, hash]) }
    }
}
