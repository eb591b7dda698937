import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The patch functions hold their invariants for a psql user too: the
/// executor role cannot write around them, and cannot record a deploy the
/// tool would refuse.
final class PatchSchemaTests: XCTestCase {
    var db: TestDatabase!
    let root = "/srv/aprkit-test/handlers"
    var file: String { root + "/handler.sh" }
    let content = "#!/bin/bash\necho new\n"
    var contentSha: String { SHA256.hexDigest(Array(content.utf8)) }
    let oldSha = String(repeating: "a", count: 64)

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.scalar("SELECT patch_target_set($1, 'bash -n')", [root])
    }

    override func tearDown() { db = nil }

    func propose(filePath: String? = nil) throws -> String {
        let action: [String: Any] = [
            "dot_code": "DOT-310", "file_path": filePath ?? file, "patch_mode": "full_replace",
            "new_content_base64": Data(content.utf8).base64EncodedString(), "session_code": "S-1", "test_plan": "bash -n",
        ]
        return try db.propose(["request_type": "fix_repair_dot", "action_code": "patch_ops_code", "proposed_action": action,
                               "session_code": "S-1", "reason": "ticket OPS-2"]).code
    }

    func approved(filePath: String? = nil) throws -> String {
        let apr = try propose(filePath: filePath)
        try db.vote(apr, by: ["owner1", "owner2"])
        return apr
    }

    /// Calls patch_record as `role`; returns the refusal's reason (the
    /// message), or nil when it succeeded.
    func record(_ apr: String, path: String? = nil, after: String? = nil, status: String = "success",
                as role: String = "executor") throws -> String? {
        do {
            try db.scalar("SELECT patch_record($1, 'host1', $2, $3, $4, NULL, $5)",
                          [apr, path ?? file, oldSha, after ?? contentSha, status], as: role)
            return nil
        } catch let error as PGError {
            return error.message
        }
    }

    func assertRefused(_ reason: String, _ body: () throws -> String?, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try db.contentDigest()
        XCTAssertEqual(try body(), reason, file: file, line: line)
        XCTAssertEqual(try db.contentDigest(), before, "a refused record wrote something", file: file, line: line)
    }

    func testTheExecutorCannotWriteAroundThePatchFunctions() throws {
        let apr = try approved()
        let attempts = [
            "INSERT INTO vps_deploy_log (apr_code, host, file_path, status) VALUES ('\(apr)', 'h', '\(file)', 'success')",
            "UPDATE apr_requests SET status = 'applied', applied_at = now() WHERE apr_code = '\(apr)'",
            "INSERT INTO patch_targets (root, syntax_check) VALUES ('/etc', 'bash -n')",
            "SELECT patch_target_set('/etc', 'bash -n')",
            "SELECT patch_log('patch', '\(apr)', 'h', '\(file)', NULL, NULL, NULL, 'success', true, 'applied', '{}')",
        ]
        let before = try db.contentDigest()
        for sql in attempts {
            XCTAssertThrowsError(try db.scalar(sql, as: "executor"), sql) { error in
                XCTAssertEqual((error as? PGError)?.sqlstate, "42501", "\(sql): \(error)")
            }
        }
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testOnlyTheExecutorMayRecordAPatch() throws {
        let apr = try approved()
        try assertRefused("permission denied for function patch_record") { try record(apr, as: "proposer") }
    }

    func testARecordOfAnUnapprovedAprIsRefused() throws {
        let apr = try propose()
        try assertRefused("not_approved") { try record(apr) }
    }

    func testASuccessWhoseBytesAreNotTheApprovedOnesIsRefused() throws {
        let apr = try approved()
        try assertRefused("content_hash_mismatch") { try record(apr, after: oldSha) }
    }

    func testARecordOfAnotherFileIsRefused() throws {
        let apr = try approved()
        try assertRefused("file_path_mismatch") { try record(apr, path: root + "/other.sh") }
    }

    func testARecordOfAFileBelowNoRegisteredRootIsRefused() throws {
        let apr = try approved(filePath: "/etc/cron.daily/handler.sh")
        try assertRefused("unregistered_target") { try record(apr, path: "/etc/cron.daily/handler.sh") }
    }

    func testARecordWritesTheRowTheLedgerEventAndTheStatusTogetherAndOnce() throws {
        let apr = try approved()
        XCTAssertNil(try record(apr))
        // Known-good is the database's verdict: a success with the approved bytes.
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM vps_deploy_log WHERE apr_code = $1 AND status = 'success' AND is_known_good", [apr]), "1")
        XCTAssertEqual(try db.scalar("SELECT outcome FROM apr_dispatches WHERE apr_code = $1", [apr]), "applied")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'patch' AND apr_code = $1", [apr]), "1")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "applied")
        let before = try db.contentDigest()
        XCTAssertNil(try record(apr), "a second record reports the first")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testARestoreThatDoesNotPutBackTheOldBytesIsRefused() throws {
        let apr = try approved()
        XCTAssertNil(try record(apr))
        try assertRefused("restore_hash_mismatch") {
            do {
                try db.scalar("SELECT patch_restore_record($1, 'host1', $2, $3, $4, NULL)",
                              [apr, file, contentSha, String(repeating: "b", count: 64)], as: "executor")
                return nil
            } catch let error as PGError {
                return error.message
            }
        }
    }
}
