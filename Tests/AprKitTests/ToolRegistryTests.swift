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
        let code = try db.propose(proposal(sha256: sha256)).code
        try db.vote(code, by: ["owner1"])
        return code
    }

    func advance(_ code: String, _ stage: String, observed: String? = nil) throws -> String? {
        try db.scalar("SELECT gov_tool_advance($1, $2, $3)", [code, stage, observed], as: "executor")
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

    func testTheFourStagesInOrderApplyTheApr() throws {
        let code = try approvedRegistration(sha256: hash)
        for stage in ["birth", "admit", "register", "catalog"] {
            XCTAssertNotNil(try advance(code, stage, observed: hash))
        }
        XCTAssertEqual(try db.scalar("SELECT stage FROM gov_tools WHERE tool_name = 'grant-mint'"), "catalog")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "applied")
        XCTAssertEqual(try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1 AND event LIKE 'tool_%'", [code]),
                       "tool_birth,tool_admit,tool_register,tool_catalog")
        let again = try advance(code, "catalog")
        XCTAssertTrue(again?.contains("\"unchanged\": true") ?? false, again ?? "nil")
    }

    func testAStageOutOfOrderIsRefused() throws {
        let code = try approvedRegistration()
        try assertRefused("stage_out_of_order") { _ = try advance(code, "admit") }
    }

    func testAnUnapprovedAprRegistersNothing() throws {
        let code = try db.propose(proposal()).code
        try assertRefused("not_approved") { _ = try advance(code, "birth") }
    }

    func testADeactivatedApproverTakesTheQuorumAway() throws {
        let code = try approvedRegistration()
        try db.scalar("SELECT apr_approver_set('owner1', 'owner', false)")
        try assertRefused("quorum_not_met") { _ = try advance(code, "birth") }
    }

    func testAdmissionChecksTheBytesOnDisk() throws {
        let code = try approvedRegistration(sha256: hash)
        _ = try advance(code, "birth")
        try assertRefused("tool_hash_mismatch") { _ = try advance(code, "admit", observed: String(repeating: "d", count: 64)) }
    }

    func testAnotherActionsAprRegistersNothing() throws {
        let code = try db.approved().code
        try assertRefused("wrong_action") { _ = try advance(code, "birth") }
    }

    func testOnlyTheExecutorMayAdvanceAndNeverASuperuser() throws {
        let code = try approvedRegistration()
        try assertRefused("42501") { _ = try db.scalar("SELECT gov_tool_advance($1, 'birth')", [code], as: "proposer") }
        try assertRefused("privileged_session") { _ = try db.scalar("SELECT gov_tool_advance($1, 'birth')", [code]) }
    }
}
