import AprKit
import XCTest
import _AprTestSupport

/// A security reviewer with psql and one of aprkit's roles tries what the
/// tools refuse; the database itself says no, and nothing changes.
final class BypassTests: XCTestCase {
    var db: TestDatabase!
    var code: String!

    override func setUpWithError() throws {
        db = try TestDatabase()
        code = try db.propose().code
    }
    override func tearDown() { db = nil }

    /// Runs `sql` as `role` and asserts the server refused it and nothing changed.
    /// `reason` is the registered reason aprkit raises; `sqlstate` the server's own (42501).
    func assertRefused(_ sql: String, _ params: [String?] = [], as role: String, sqlstate: String? = nil,
                       reason: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try db.contentDigest()
        let connection = try db.connect(as: role)
        XCTAssertThrowsError(try connection.executeScript(sql.replacingOccurrences(of: "$APR", with: code)),
                             file: file, line: line) { error in
            if let sqlstate { XCTAssertEqual((error as? PGError)?.sqlstate, sqlstate, "\(error)", file: file, line: line) }
            if let reason { XCTAssertEqual((error as? PGError)?.message, reason, "\(error)", file: file, line: line) }
        }
        XCTAssertEqual(try db.contentDigest(), before, "nothing written", file: file, line: line)
    }

    func testAnApproverCannotInsertAVoteDirectly() throws {
        try assertRefused("INSERT INTO apr_votes VALUES ('$APR', 'owner1', 'approve', repeat('a', 64), now())",
                          as: "owner1", sqlstate: "42501")
    }

    func testAnApproverCannotApproveAnAprByUpdatingIt() throws {
        try assertRefused("UPDATE apr_requests SET status = 'approved' WHERE apr_code = '$APR'", as: "owner1", sqlstate: "42501")
    }

    func testAProposerCannotChangeTheProposedAction() throws {
        try assertRefused("UPDATE apr_requests SET proposed_action = '{}' WHERE apr_code = '$APR'", as: "proposer", sqlstate: "42501")
    }

    /// The owner writing behind the functions meets the write guard; with
    /// the mark the functions set, the table's own guard still holds.
    func testEvenTheSchemaOwnerCannotChangeAProposalOrItsPayloadHash() throws {
        let marked = "SELECT set_config('aprkit.writer', 'on', false); "
        for change in ["proposed_action = proposed_action || '{\"ttl_seconds\": 9}'", "payload_sha256 = repeat('0', 64)"] {
            let sql = "UPDATE apr_requests SET \(change) WHERE apr_code = '$APR'"
            try assertRefused(sql, as: "postgres", reason: "direct_write_refused")
            try assertRefused(marked + sql, as: "postgres", reason: "apr_immutable")
        }
    }

    func testASecondVoteThroughSetRoleIsTheSameVoter() throws {
        try TestCluster.ensureRole("setrole_b")
        try TestCluster.ensureRole("setrole_a")
        try db.connect().executeScript("GRANT setrole_b TO setrole_a")
        try db.scalar("SELECT apr_approver_set('setrole_a', 'engineer')")
        try db.scalar("SELECT apr_approver_set('setrole_b', 'engineer')")
        try db.scalar("SELECT apr_vote($1, 'approve', NULL)", [code], as: "setrole_a")
        try assertRefused("SET ROLE setrole_b; SELECT apr_vote('$APR', 'reject', NULL)", as: "setrole_a", reason: "already_voted")
        // The same vote again is setrole_a's, unchanged: not a vote of setrole_b.
        let session = try db.connect(as: "setrole_a")
        try session.execute("SET ROLE setrole_b")
        XCTAssertEqual(try session.execute("SELECT apr_vote($1, 'approve', NULL) ->> 'unchanged'", [code]).value(0, 0), "true")
        XCTAssertEqual(try db.scalar("SELECT string_agg(approver, ',') FROM apr_votes"), "setrole_a")
    }

    func testNoGroupRoleCanWriteTheLedgerOrCallItsAppend() throws {
        for role in ["proposer", "owner1", "executor"] {
            try assertRefused("INSERT INTO gov_ledger VALUES (999, 'vote', NULL, NULL, 'x', '{}', now(), repeat('0', 64), repeat('1', 64))",
                              as: role, sqlstate: "42501")
            try assertRefused("SELECT gov_ledger_append('vote', NULL, NULL, '{}')", as: role, sqlstate: "42501")
            try assertRefused("SELECT gov_migration_record('999', 'x', repeat('0', 64))", as: role, sqlstate: "42501")
        }
    }

    func testTheLedgerRefusesUpdateDeleteAndTruncateEvenToItsOwner() throws {
        let marked = "SELECT set_config('aprkit.writer', 'on', false); "
        for sql in ["UPDATE gov_ledger SET actor = 'mallory'", "DELETE FROM gov_ledger", "TRUNCATE gov_ledger CASCADE"] {
            try assertRefused(sql, as: "postgres", reason: "direct_write_refused")
            try assertRefused(marked + sql, as: "postgres", reason: "ledger_append_only")
        }
    }

    func testAVoteIsNeverChangedOrWithdrawn() throws {
        try db.vote(code, by: ["eng1"])
        let marked = "SELECT set_config('aprkit.writer', 'on', false); "
        for sql in ["UPDATE apr_votes SET decision = 'reject'", "DELETE FROM apr_votes"] {
            try assertRefused(sql, as: "postgres", reason: "direct_write_refused")
            try assertRefused(marked + sql, as: "postgres", reason: "vote_immutable")
        }
    }

    func testAProposerCannotVoteAndAnApproverCannotPropose() throws {
        try assertRefused("SELECT apr_vote('$APR', 'approve', NULL)", as: "proposer", sqlstate: "42501")
        try assertRefused("SELECT apr_propose('x', 'y', '{}', 's', 'r')", as: "executor", sqlstate: "42501")
    }

    func testTamperingIsNamedByTheFirstBadRow() throws {
        try db.vote(code, by: ["eng1"])
        try db.vote(code, by: ["eng2"])
        XCTAssertEqual(try db.ledgerChain(), "intact")
        let seq = try db.scalar("SELECT seq FROM gov_ledger WHERE event = 'vote' ORDER BY seq LIMIT 1")!

        // A superuser switches the triggers off for the session and edits a row.
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        try admin.execute("UPDATE gov_ledger SET payload = jsonb_set(payload, '{decision}', '\"reject\"') WHERE seq = $1", [seq])
        XCTAssertEqual(try db.ledgerChain(), "hash_mismatch at seq \(seq)")
    }

    func testRecomputingTheTamperedHashBreaksTheNextLink() throws {
        try db.vote(code, by: ["eng1"])
        try db.vote(code, by: ["eng2"])
        let seq = try db.scalar("SELECT seq FROM gov_ledger WHERE event = 'vote' ORDER BY seq LIMIT 1")!
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        try admin.execute("""
            UPDATE gov_ledger SET actor = 'mallory',
                   hash = gov_ledger_link_hash_v2(prev_hash, seq, event, apr_code, subject, 'mallory', payload, created_at)
             WHERE seq = $1
            """, [seq])
        XCTAssertEqual(try db.ledgerChain(), "prev_hash_mismatch at seq \(Int(seq)! + 1)")
    }

    func testADeletedRowIsAGap() throws {
        try db.vote(code, by: ["eng1"])
        let seq = try db.scalar("SELECT min(seq) FROM gov_ledger WHERE event = 'propose'")!
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        try admin.execute("DELETE FROM gov_ledger WHERE seq = $1", [seq])
        XCTAssertEqual(try db.ledgerChain(), "sequence_gap at seq \(Int(seq)! + 1)", "the row after the hole")
    }
}
