import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The trust boundary, as a reviewer with psql and any role short of
/// superuser tries it: each test is one invariant, tried the way the attack
/// went, and proves nothing was written where it must not be.
final class TrustBoundaryTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.bindMintArm()
    }

    override func tearDown() { db = nil }

    /// Runs `sql` as `role`, which must fail with `reason` (a registered
    /// reason, or a SQLSTATE such as 42501), writing nothing.
    func assertRefused(_ sql: String, _ params: [String?] = [], as role: String, _ reason: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try db.contentDigest()
        XCTAssertThrowsError(try db.connect(as: role).executeScript(sql), file: file, line: line) { error in
            let pg = error as? PGError
            XCTAssertEqual(reason.contains("_") ? pg?.message : pg?.sqlstate, reason, "\(sql): \(error)", file: file, line: line)
        }
        XCTAssertEqual(try db.contentDigest(), before, "\(sql) wrote something", file: file, line: line)
    }

    // MARK: 1. outcomes are evidence

    /// The executor's old forgery: lock, claim, settle "applied". No function
    /// the executor may call marks the APR applied without its grant.
    func testNoAprIsAppliedWithoutItsEffect() throws {
        try TestCluster.ensureRole("executor", groups: ["apr_executor"])
        let apr = try db.approved().code
        let sha = String(repeating: "a", count: 64)
        try assertRefused("SELECT apr_dispatch_lock('\(apr)'); SELECT apr_dispatch_claim('\(apr)', 'authorize_build_step', '/tmp/x', '\(sha)')",
                          as: "executor", "handler_not_governed")
        try assertRefused("SELECT apr_dispatch_lock('\(apr)'); SELECT apr_dispatch_finish('\(apr)', 1, 0, false, '{\"forged\": true}')",
                          as: "executor", "dispatch_not_open")
        for forgery in ["SELECT apr_dispatch_settled(r, 'x', 'x', 'applied', '{}') FROM apr_requests r WHERE apr_code = '\(apr)'",
                        "SELECT apr_dispatch_settle('\(apr)', 'applied', 0, '{}')",
                        "UPDATE apr_requests SET status = 'applied', applied_at = now() WHERE apr_code = '\(apr)'"] {
            XCTAssertThrowsError(try db.connect(as: "executor").executeScript(forgery), forgery)
        }
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "approved")
        XCTAssertEqual(try db.grantCount(), 0)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_dispatches"), "0")
    }

    /// A patch is recorded only as evidence: the approved bytes, known-good
    /// decided by the database, one success per APR.
    func testAPatchRecordIsAcceptedOnlyWithTheApprovedBytes() throws {
        let root = "/srv/aprkit-trust/handlers"
        try db.scalar("SELECT patch_target_set($1, 'bash -n')", [root])
        let apr = try db.approved(Fixtures.patch(filePath: root + "/h.sh", content: "#!/bin/bash\necho new\n")).code
        let approved = try XCTUnwrap(db.scalar("SELECT proposed_action ->> 'new_content_sha256' FROM apr_requests WHERE apr_code = $1", [apr]))
        try assertRefused("SELECT patch_record('\(apr)', 'h', '\(root)/h.sh', NULL, '\(String(repeating: "b", count: 64))', NULL, 'success')",
                          as: "executor", "content_hash_mismatch")
        // The caller no longer says whether the deploy is known-good.
        try assertRefused("SELECT patch_record('\(apr)', 'h', '\(root)/h.sh', NULL, '\(approved)', NULL, 'success', true, '{}')",
                          as: "executor", "42883")
        _ = try db.scalar("SELECT patch_record($1, 'h', $2, NULL, $3, NULL, 'success')", [apr, root + "/h.sh", approved], as: "executor")
        XCTAssertEqual(try db.scalar("SELECT is_known_good FROM vps_deploy_log WHERE apr_code = $1", [apr]), "t")
        let before = try db.contentDigest()
        _ = try db.scalar("SELECT patch_record($1, 'h', $2, NULL, $3, NULL, 'success')", [apr, root + "/h.sh", approved], as: "executor")
        XCTAssertEqual(try db.contentDigest(), before, "a second success is the first, unchanged")
    }

    // MARK: 3. a vote binds to what the voter saw

    func quorum(_ args: [String], as role: String, stdin: String = "") throws -> ToolRun {
        try Tool.run("apr-quorum", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    /// A record that shows another payload than the APR's (or carries
    /// another hash) is refused: the vote would approve what the voter did
    /// not see.
    func testAVoteIsNeverRecordedForAPayloadTheVoterDidNotSee() throws {
        let apr = try db.propose()
        var shown = try JSONSerialization.jsonObject(with: Data(apr.line.utf8)) as! [String: Any]
        var action = shown["proposed_action"] as! [String: Any]
        action["target"] = "HARMLESS_DOCS_BUILD"
        shown["proposed_action"] = action
        shown["payload_sha256"] = String(repeating: "e", count: 64)
        for record in [Fixtures.line(shown), apr.line.replacingOccurrences(of: "DOT_C1_VOCAB_BUILD", with: "HARMLESS_DOCS_BUILD")] {
            let before = try db.contentDigest()
            let run = try quorum(["--vote", "approve"], as: "owner1", stdin: record)
            XCTAssertEqual(run.status, 1, run.description)
            XCTAssertEqual(run.json["reason"] as? String, "payload_changed")
            XCTAssertEqual(try db.contentDigest(), before, "nothing written")
        }
        let wrongHash = try quorum(["--apr", apr.code, "--vote", "approve", "--payload-sha256", String(repeating: "e", count: 64)],
                                   as: "owner1")
        XCTAssertEqual(wrongHash.json["reason"] as? String, "payload_changed", wrongHash.description)

        // The record as apr-propose printed it: the vote binds to its hash,
        // and the answer shows the payload approved.
        let run = try quorum(["--vote", "approve"], as: "owner1", stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        let vote = run.json["vote"] as? [String: Any]
        XCTAssertEqual(vote?["payload_sha256"] as? String, run.json["payload_sha256"] as? String)
        XCTAssertEqual((run.json["proposed_action"] as? [String: Any])?["target"] as? String, "DOT_C1_VOCAB_BUILD")
    }

    /// A role that may create schemas makes one named after itself, which
    /// is first on the default search_path, and plants a look-alike of
    /// apr_vote in it: the tools pin their search_path, so the vote is
    /// recorded by the real function.
    func testASchemaNamedAfterTheRoleCannotTakeItsVote() throws {
        let apr = try db.propose()
        try db.connect().executeScript("GRANT CREATE ON DATABASE \(db.name) TO owner1")
        try db.connect(as: "owner1").executeScript("""
            CREATE SCHEMA owner1;
            CREATE FUNCTION owner1.apr_vote(text, text, text) RETURNS jsonb LANGUAGE sql
                AS $$ SELECT '{"planted": true}'::jsonb $$;
            """)
        let run = try quorum(["--vote", "approve"], as: "owner1", stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertFalse(run.stdout.contains("planted"), run.description)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes WHERE apr_code = $1 AND approver = 'owner1'", [apr.code]), "1")
    }

    /// A CREATEROLE role renames an approver's role away and creates a new
    /// role under its name: the new role is not the approver, by its oid,
    /// and its vote is refused with nothing written.
    func testARoleCreatedUnderAnApproversNameIsNotTheApprover() throws {
        try TestCluster.ensureRole("trust_named", groups: [])
        try db.scalar("SELECT apr_approver_set('trust_named', 'owner')")
        let apr = try db.propose()
        let restore = try TestCluster.impersonate("trust_named")
        defer { restore() }
        let before = try db.contentDigest()
        let run = try quorum(["--vote", "approve"], as: "trust_named", stdin: apr.line)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "approver_role_replaced")
        XCTAssertEqual(try db.contentDigest(), before, "nothing written")
        // Registered again by the schema owner, the new role is the approver.
        try db.scalar("SELECT apr_approver_set('trust_named', 'owner')")
        XCTAssertEqual(try quorum(["--vote", "approve"], as: "trust_named", stdin: apr.line).status, 0)
    }

    /// An approver renamed while it proposes, then renamed back, is still
    /// the proposer: its own APR refuses its vote (own_apr), by identity.
    func testAnApproverRenamedToProposeCannotVoteOnItsOwnApr() throws {
        try TestCluster.ensureRole("trust_self", groups: ["apr_proposer"])
        try db.scalar("SELECT apr_approver_set('trust_self', 'owner')")
        let admin = try TestCluster.admin()
        try admin.executeScript("DROP ROLE IF EXISTS trust_self_alias; ALTER ROLE trust_self RENAME TO trust_self_alias")
        var renamedBack = false
        defer { if !renamedBack { _ = try? admin.executeScript("ALTER ROLE trust_self_alias RENAME TO trust_self") } }
        let apr = try Tool.run("apr-propose", ["-d", db.conninfo(as: "trust_self_alias")], stdin: Fixtures.line(Fixtures.buildStep()))
        XCTAssertEqual(apr.status, 0, apr.description)
        try admin.executeScript("ALTER ROLE trust_self_alias RENAME TO trust_self")
        renamedBack = true
        let before = try db.contentDigest()
        let run = try quorum(["--vote", "approve"], as: "trust_self", stdin: apr.stdout)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "own_apr")
        XCTAssertEqual(try db.contentDigest(), before, "nothing written")
    }

    // MARK: 4. privileged sessions and closed tables

    /// A role holding pg_write_all_data writes no table behind the functions:
    /// no vote, no status, no policy, no approver.
    func testAMemberOfPgWriteAllDataCannotChangeAVoteAStatusAPolicyOrAnApprover() throws {
        try TestCluster.ensureRole("trust_writer", groups: ["pg_write_all_data", "pg_read_all_data"])
        let apr = try db.propose().code
        for sql in [
            "INSERT INTO apr_votes VALUES ('\(apr)', 'owner1', 'approve', (SELECT payload_sha256 FROM apr_requests WHERE apr_code = '\(apr)'), now())",
            "UPDATE apr_requests SET status = 'approved' WHERE apr_code = '\(apr)'",
            "UPDATE apr_quorum_policies SET min_count = 1",
            "DELETE FROM apr_quorum_policies WHERE role = 'owner'",
            "UPDATE apr_approvers SET active = true, role = 'owner'",
            "INSERT INTO apr_approvers VALUES ('trust_writer', 'owner', true)",
            "INSERT INTO patch_targets (root, syntax_check) VALUES ('/etc', 'bash -n')",
            "UPDATE apr_action_types SET risk_level = 'low'",
            "INSERT INTO gov_ledger VALUES (9999, 'vote', NULL, NULL, 'x', '{}', now(), repeat('0', 64), repeat('1', 64))",
        ] {
            try assertRefused(sql, as: "trust_writer", "direct_write_refused")
        }
        // TRUNCATE is not among pg_write_all_data's privileges at all.
        try assertRefused("TRUNCATE apr_votes", as: "trust_writer", "42501")
        XCTAssertEqual(try db.scalar("SELECT quorum_passed($1)", [apr]), "f")
    }

    /// Proposing, voting and executing refuse a privileged session: a
    /// CREATEROLE role (which could grant itself pg_write_all_data), a member
    /// of pg_write_all_data, of a superuser role, of the roles that run
    /// programs or touch files as the server, and the database owner.
    func testPrivilegedSessionsCannotProposeVoteOrExecute() throws {
        try TestCluster.ensureRole("trust_creator", groups: ["apr_proposer", "apr_executor"])
        try db.connect().executeScript("ALTER ROLE trust_creator CREATEROLE")
        try TestCluster.ensureRole("trust_member", groups: ["pg_write_all_data", "apr_proposer", "apr_executor"])
        try TestCluster.ensureRole("trust_su_member", groups: ["postgres", "apr_proposer", "apr_executor"])
        try TestCluster.ensureRole("trust_program", groups: ["pg_execute_server_program", "apr_proposer", "apr_executor"])
        try TestCluster.ensureRole("trust_files", groups: ["pg_write_server_files", "apr_proposer", "apr_executor"])
        try TestCluster.ensureRole("trust_reader", groups: ["pg_read_server_files", "apr_proposer", "apr_executor"])
        try TestCluster.ensureRole("trust_dbowner", groups: ["apr_proposer", "apr_executor"])
        // CREATEROLE is never inherited, but SET ROLE reaches it.
        try TestCluster.admin().executeScript("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trust_admins') THEN CREATE ROLE trust_admins NOLOGIN CREATEROLE; END IF; END $$")
        try TestCluster.ensureRole("trust_admin_member", groups: ["trust_admins", "apr_proposer", "apr_executor"])
        try db.connect().executeScript("ALTER DATABASE \(db.name) OWNER TO trust_dbowner")
        let roles = ["trust_creator", "trust_member", "trust_su_member", "trust_program", "trust_files", "trust_reader", "trust_dbowner",
                     "trust_admin_member"]
        for role in roles {
            try db.scalar("SELECT apr_approver_set($1, 'owner')", [role])
        }
        let apr = try db.propose().code
        let approved = try db.approved().code
        for role in roles {
            try assertRefused("SELECT apr_vote('\(apr)', 'approve', NULL)", as: role, "privileged_session")
            try assertRefused("SELECT apr_propose('authorize_build_step', 'authorize_build_step', '{\"target\": \"X\", \"manifest_hash\": \"\(String(repeating: "a", count: 64))\", \"ttl_seconds\": 60}', 'S', 'r')",
                              as: role, "privileged_session")
            try assertRefused("SELECT grant_mint('\(approved)')", as: role, "privileged_session")
        }
    }

    // MARK: 5. the ledger says it unambiguously

    /// Moving a field boundary, or NULL to '', changes a row without
    /// changing its first-release link hash; the v2 link catches both.
    func testMovingAFieldBoundaryInALedgerRowIsDetected() throws {
        let apr = try db.propose().code
        try db.vote(apr, by: ["owner1"])
        let seq = try XCTUnwrap(db.scalar("SELECT seq FROM gov_ledger WHERE event = 'vote' AND apr_code = $1", [apr]))
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        // subject 'owner1' + actor 'owner1' → subject 'owner1|owner1' + actor ''? concat_ws keeps the same text:
        // move the boundary: subject || '|' || actor is unchanged.
        try admin.execute("""
            UPDATE gov_ledger SET subject = subject || '|' || split_part(actor, '|', 1), actor = ''
             WHERE seq = $1
            """, [seq])
        let v1Same = try db.scalar("""
            SELECT hash = gov_ledger_link_hash(prev_hash, seq, event, apr_code, subject, actor, payload, created_at)
                   OR true FROM gov_ledger WHERE seq = $1
            """, [seq])
        XCTAssertEqual(v1Same, "t")
        XCTAssertEqual(try db.ledgerChain(), "hash_mismatch at seq \(seq)")

        try admin.execute("UPDATE gov_ledger SET subject = split_part(subject, '|', 1), actor = split_part(subject, '|', 2) WHERE seq = $1", [seq])
        XCTAssertEqual(try db.ledgerChain(), "intact", "put back as it was")
        try admin.execute("UPDATE gov_ledger SET apr_code = NULL WHERE seq = (SELECT min(seq) FROM gov_ledger WHERE event = 'ledger_link_switch')")
        XCTAssertEqual(try db.ledgerChain(), "intact", "the switch row has no APR: NULL stays NULL")
    }

    /// Under link v1, NULL and '' hash alike; under v2 they differ.
    func testNullAndEmptyTextHashDifferentlyInALink() throws {
        XCTAssertEqual(try db.scalar("""
            SELECT gov_ledger_link_hash('0', 1, 'e', NULL, 's', 'a', '{}', now()) = gov_ledger_link_hash('0', 1, 'e', '', 's', 'a', '{}', now())
            """), "t")
        XCTAssertEqual(try db.scalar("""
            SELECT gov_ledger_link_hash_v2('0', 1, 'e', NULL, 's', 'a', '{}', now()) = gov_ledger_link_hash_v2('0', 1, 'e', '', 's', 'a', '{}', now())
            """), "f")
        XCTAssertEqual(try db.scalar("""
            SELECT gov_ledger_link_hash_v2('0', 1, 'e', NULL, 'a|b', 'c', '{}', now()) = gov_ledger_link_hash_v2('0', 1, 'e', NULL, 'a', 'b|c', '{}', now())
            """), "f")
    }

    // MARK: the ledger holds everything

    /// A row written with the guards off (a superuser) has no event: the
    /// ledger checklist names it, whichever table it is in.
    func testARowWithoutItsLedgerEventFailsReadbackAndIsNamed() throws {
        let apr = try db.propose().code
        let head = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-trust-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: head) }
        func failed() throws -> [String: String] {
            let run = try Tool.run("readback", ["-d", db.conninfo(), "--checklist", "ledger", "--ledger-head", "/dev/null"])
            var items: [String: String] = [:]
            for line in run.lines where line["ok"] as? Bool == false && line["item"] != nil {
                items[line["item"] as! String] = line["found"] as? String
            }
            return items
        }
        XCTAssertEqual(try failed(), [:])
        let cases: [(String, String, String)] = [
            ("INSERT INTO apr_votes VALUES ('\(apr)', 'owner1', 'approve', (SELECT payload_sha256 FROM apr_requests WHERE apr_code = '\(apr)'), now())",
             "state_votes_match_ledger", "apr_votes \(apr) by owner1: no vote event"),
            ("UPDATE apr_requests SET status = 'approved' WHERE apr_code = '\(apr)'",
             "state_aprs_match_ledger", "apr_requests \(apr): status approved, the ledger says proposed"),
            ("UPDATE apr_requests SET proposed_action = jsonb_set(proposed_action, '{target}', '\"HARMLESS_DOCS_BUILD\"') WHERE apr_code = '\(apr)'",
             "state_aprs_match_ledger", "apr_requests \(apr): its payload does not hash to its payload_sha256"),
            ("UPDATE apr_requests SET proposed_by = 'owner1' WHERE apr_code = '\(apr)'",
             "state_aprs_match_ledger", "apr_requests \(apr): proposed by owner1, the ledger says proposer"),
            ("UPDATE apr_approvers SET active = false WHERE approver = 'owner2'",
             "state_governance_matches_ledger", "apr_approvers owner2: not what the ledger says"),
            ("UPDATE apr_quorum_policies SET min_count = 1 WHERE risk_level = 'high' AND factor = 'approvers'",
             "state_governance_matches_ledger", "apr_quorum_policies high/approvers: not what the ledger says"),
            ("INSERT INTO patch_targets (root, syntax_check) VALUES ('/etc', 'bash -n')",
             "state_governance_matches_ledger", "patch_targets /etc: no event for this row"),
            ("INSERT INTO governance_build_authorization (auth_code, request_ref, scope, expires_at) VALUES ('GBA-C1-\(apr)', '\(apr)', '{}', now() + interval '1 hour')",
             "state_grants_match_ledger", "governance_build_authorization GBA-C1-\(apr): no mint event"),
            ("INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm, settled_at, outcome) VALUES ('\(apr)', 1, 'x:y', 'y', now(), 'applied')",
             "state_dispatches_match_ledger", "apr_dispatches \(apr) attempt 1: no dispatch or effect event"),
        ]
        for (sql, item, found) in cases {
            let database = try TestDatabase()
            db = database
            _ = try db.propose()
            try db.connect().executeScript("SET session_replication_role = replica; \(sql.replacingOccurrences(of: apr, with: "APR-000001"))")
            XCTAssertEqual(try failed()[item], found.replacingOccurrences(of: apr, with: "APR-000001"), sql)
        }
    }

    /// A superuser who disables a guard trigger, replaces a function or
    /// grants a privilege behind gov-migrate: the ledger checklist's schema
    /// item fails and says so; put back as it was, it passes again; a run of
    /// gov-migrate records the schema as it then is, as an event of its own.
    func testASchemaChangedOutsideGovMigrateFailsReadback() throws {
        func schemaItem() throws -> String? {
            let run = try Tool.run("readback", ["-d", db.conninfo(), "--checklist", "ledger", "--ledger-head", "/dev/null"])
            let line = run.lines.first { $0["item"] as? String == "schema_matches_last_migration" }
            return line?["ok"] as? Bool == true ? "ok" : line?["found"] as? String
        }
        XCTAssertEqual(try schemaItem(), "ok")
        let admin = try db.connect()
        let changes: [(String, String)] = [
            ("ALTER TABLE apr_votes DISABLE TRIGGER apr_votes_append_only",
             "ALTER TABLE apr_votes ENABLE TRIGGER apr_votes_append_only"),
            ("GRANT INSERT ON apr_votes TO apr_approver", "REVOKE INSERT ON apr_votes FROM apr_approver"),
            ("ALTER FUNCTION quorum_passed(text) SET work_mem = '64MB'", "ALTER FUNCTION quorum_passed(text) RESET work_mem"),
            ("GRANT UPDATE (status) ON apr_requests TO apr_executor", "REVOKE UPDATE (status) ON apr_requests FROM apr_executor"),
            ("CREATE RULE drop_deploys AS ON INSERT TO vps_deploy_log DO INSTEAD NOTHING", "DROP RULE drop_deploys ON vps_deploy_log"),
            ("CREATE POLICY hide_votes ON apr_votes USING (false)", "DROP POLICY hide_votes ON apr_votes"),
        ]
        for (change, undo) in changes {
            try admin.executeScript(change)
            let found = try schemaItem()
            XCTAssertTrue(found?.hasPrefix("the schema differs from what gov-migrate recorded") == true, "\(change): \(found ?? "nil")")
            try admin.executeScript(undo)
            XCTAssertEqual(try schemaItem(), "ok", undo)
        }
        let original = try XCTUnwrap(db.scalar("SELECT pg_get_functiondef('quorum_passed(text)'::regprocedure)"))
        try admin.executeScript(original.replacingOccurrences(of: "AS $function$", with: "AS $function$ -- replaced\n"))
        XCTAssertNotEqual(try schemaItem(), "ok", "a replaced function body")
        // A routine gov-migrate, with nothing to apply, does not accept it.
        let migrate = try Tool.run("gov-migrate", ["-d", db.conninfo()])
        XCTAssertEqual(migrate.status, 0, migrate.description)
        XCTAssertNil(migrate.json["schema_fingerprint"], migrate.description)
        XCTAssertNotEqual(try schemaItem(), "ok", "still named after a routine gov-migrate")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'schema_fingerprint'"), "1")
        try admin.executeScript(original)
        XCTAssertEqual(try schemaItem(), "ok", "put back")
    }
}
