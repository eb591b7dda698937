import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// Many processes at once against one database: each change applies once,
/// the ledger stays one chain, and no raw database error reaches a user.
final class ConcurrencyTests: XCTestCase {
    /// Runs `count` invocations truly at once: one thread each (not a pool
    /// the width of the machine), all released together by one gate.
    func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) throws -> ToolRun) -> [ToolRun] {
        let lock = NSLock()
        let gate = DispatchGroup()
        gate.enter()
        let done = DispatchGroup()
        nonisolated(unsafe) var runs: [ToolRun] = []
        for i in 0..<count {
            done.enter()
            Thread.detachNewThread {
                gate.wait()
                let run = (try? body(i)) ?? ToolRun(status: -1, stdout: "", stderr: "could not start")
                lock.lock()
                runs.append(run)
                lock.unlock()
                done.leave()
            }
        }
        gate.leave()
        done.wait()
        return runs
    }

    func testThirtyTwoApproversVotingAtOnceAreAllRecordedAndApproveOnce() throws {
        let db = try TestDatabase()
        let approvers = (1...32).map { "voter\($0)" }
        for name in approvers {
            try TestCluster.ensureRole(name)
            try db.scalar("SELECT apr_approver_set($1, 'engineer')", [name])
        }
        // A medium-risk action of the test's own, and a policy that needs
        // every one of the 32 votes.
        try db.addActionType("ops_note", risk: "medium", fields: [("note", "string")])
        try db.scalar("UPDATE apr_quorum_policies SET min_count = 32 WHERE risk_level = 'medium'")
        let code = try db.propose([
            "request_type": "ops_note", "action_code": "ops_note", "proposed_action": ["note": "rotate the keys"],
            "session_code": "S-1", "reason": "ticket OPS-3",
        ]).code
        let conninfos = approvers.map { db.conninfo(as: $0) }
        let runs = concurrently(32) { i in
            try Tool.run("apr-quorum", ["-d", conninfos[i], "--apr", code, "--vote", "approve"])
        }
        XCTAssertEqual(runs.filter { $0.status == 0 }.count, 32, runs.filter { $0.status != 0 }.map(\.description).joined())
        XCTAssertTrue(runs.allSatisfy { !$0.stderr.contains("ERROR") && !$0.stderr.contains("deadlock") })
        XCTAssertEqual(runs.filter { $0.json["status"] as? String == "approved" }.count, 1, "exactly one vote completes the quorum")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes WHERE apr_code = $1", [code]), "32")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "approved")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'vote'"), "32")
        XCTAssertEqual(try db.ledgerChain(), "intact")
    }

    func testEightMigratorsAtOnceApplyEachMigrationOnce() throws {
        let db = try TestDatabase(migrate: false)
        let conninfo = db.conninfo()
        let runs = concurrently(8) { _ in try Tool.run("gov-migrate", ["-d", conninfo]) }
        XCTAssertEqual(runs.map(\.status), Array(repeating: 0, count: 8), runs.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(runs.filter { $0.json["unchanged"] as? Bool != true }.count, 1, "one run applies, seven find it done")
        XCTAssertTrue(runs.allSatisfy { $0.stderr.isEmpty }, runs.map(\.stderr).joined())
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations"), String(Schema.versioned.count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'migrate'"), String(Schema.versioned.count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_repeatables"), String(Schema.repeatables.count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'migrate_repeatable'"), String(Schema.repeatables.count))
    }

    func testSixtyFourConcurrentAppendsFormOneChain() throws {
        let db = try TestDatabase()
        let conninfo = db.conninfo(as: "proposer")
        let line = Fixtures.line(Fixtures.buildStep())
        let runs = concurrently(64) { _ in try Tool.run("apr-propose", ["-d", conninfo], stdin: line) }
        XCTAssertEqual(runs.filter { $0.status == 0 }.count, 64, runs.filter { $0.status != 0 }.map(\.description).joined())
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'propose'"), "64")
        XCTAssertEqual(try db.scalar("SELECT count(DISTINCT prev_hash) = count(*) FROM gov_ledger"), "t", "no two rows share a parent: no fork")
        XCTAssertEqual(try db.ledgerChain(), "intact")
    }
}
