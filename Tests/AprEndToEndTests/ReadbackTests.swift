import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// readback, run as cron and the runbook run it: the built-in checklists
/// pass after a governed run, and each names the one item changed behind
/// its back; parameters are bound, not spliced; nothing is ever written.
final class ReadbackTests: XCTestCase {
    var db: TestDatabase!
    var scenario: ReadbackScenario!

    override func setUpWithError() throws {
        db = try TestDatabase()
        scenario = try ReadbackScenario(db)
    }

    override func tearDown() {
        scenario?.remove()
        scenario = nil
        db = nil
    }

    func readback(_ args: [String], as role: String? = nil, stdin: String = "") throws -> ToolRun {
        try scenario.readback(args, as: role, stdin: stdin)
    }

    /// Runs `args` and checks it wrote nothing to the database.
    func readbackWritingNothing(_ args: [String], as role: String? = nil, stdin: String = "") throws -> ToolRun {
        let before = try db.contentDigest()
        let run = try readback(args, as: role, stdin: stdin)
        XCTAssertEqual(try db.contentDigest(), before, "readback wrote to the database")
        return run
    }

    // MARK: post-grant

    func testPostGrantPassesAfterAGovernedRun() throws {
        let run = try readbackWritingNothing(["--checklist", "post-grant"] + scenario.postGrantParams)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        let lines = run.lines
        XCTAssertEqual(lines.count, 16)
        XCTAssertEqual(lines.dropLast().filter { $0["ok"] as? Bool == true }.count, 15, run.description)
        XCTAssertEqual(lines[0]["item"] as? String, "grant_count")
        XCTAssertEqual(lines[0]["found"] as? String, "1")
        XCTAssertEqual(lines.last?["ok"] as? Bool, true)
        XCTAssertEqual(lines.last?["passed"] as? Int, 15)
    }

    func testASuperuserSettingCommitAllowedFailsThatItemAndNamesIt() throws {
        try db.scalar("UPDATE governance_build_authorization SET commit_allowed = true")
        let run = try readbackWritingNothing(["--checklist", "post-grant"] + scenario.postGrantParams)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(ReadbackScenario.failedItems(run), ["grant_commit_allowed"])
        XCTAssertEqual(run.lines.last?["reason"] as? String, "readback_failed")
        XCTAssertEqual(run.lines.last?["failed_items"] as? [String], ["grant_commit_allowed"])
        XCTAssertEqual(run.stderr.split(separator: "\n").first, "readback: grant_commit_allowed: expected = false, found t")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 2, "the item, then the run")
    }

    func testASecondGrantFailsTheCount() throws {
        let second = try db.approved(Fixtures.buildStep(target: "OTHER_BUILD")).code
        try db.connect().executeScript("""
            INSERT INTO governance_build_authorization (auth_code, request_ref, scope, expires_at)
            VALUES ('GBA-C1-\(second)', '\(second)', '{"target": "OTHER_BUILD"}', now() + interval '1 hour')
            """)
        let run = try readback(["--checklist", "post-grant"] + scenario.postGrantParams)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(ReadbackScenario.failedItems(run), ["grant_count"])
        XCTAssertEqual(run.lines[0]["found"] as? String, "2")
    }

    func testTheReaderRoleAloneCanReadBack() throws {
        try TestCluster.ensureRole("reader", groups: ["apr_reader"])
        let run = try readbackWritingNothing(["--checklist", "post-grant"] + scenario.postGrantParams, as: "reader")
        XCTAssertEqual(run.status, 0, run.description)
    }

    // MARK: prewrite

    func testPrewritePassesAfterAGovernedRun() throws {
        let run = try readbackWritingNothing(["--checklist", "prewrite"] + scenario.prewriteParams)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 10)
        XCTAssertEqual(run.lines[6]["item"] as? String, "W7_handler_bound_and_implemented")
        XCTAssertEqual(run.lines[6]["found"] as? String, "ok")
    }

    /// Runs the gate, and checks that exactly `items` failed, finding `found`.
    func assertGateFails(_ items: [String], found: [String: String] = [:],
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try readback(["--checklist", "prewrite"] + scenario.prewriteParams)
        XCTAssertEqual(run.status, 1, run.description, file: file, line: line)
        XCTAssertEqual(ReadbackScenario.failedItems(run), items, file: file, line: line)
        for (item, value) in found {
            let result = run.lines.first { $0["item"] as? String == item }
            XCTAssertEqual(result?["found"] as? String, value, item, file: file, line: line)
        }
    }

    func testAnotherOpenAprForTheTargetFailsW5Only() throws {
        let other = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: Fixtures.line(Fixtures.buildStep()))
        XCTAssertEqual(other.status, 0, other.description)
        try assertGateFails(["W5_no_other_open_apr"], found: ["W5_no_other_open_apr": "1"])
    }

    func testAChangedMigrationChecksumFailsW1Only() throws {
        try db.scalar("UPDATE gov_migrations SET checksum = repeat('0', 64) WHERE version = '001'")
        try assertGateFails(["W1_schema_current"], found: ["W1_schema_current": "001 checksum differs"])
    }

    func testAnUnboundHandlerFailsW7Only() throws {
        try db.scalar("UPDATE apr_action_types SET handler_ref = NULL WHERE action_code = 'authorize_build_step'")
        try assertGateFails(["W7_handler_bound_and_implemented"], found: ["W7_handler_bound_and_implemented": "unbound"])
    }

    func testAHandlerFileChangedOnDiskFailsTheGate() throws {
        try Data("#!/usr/bin/env bash\necho changed\n".utf8).write(to: URL(fileURLWithPath: scenario.handlerFile))
        try assertGateFails(["W6_handler_syntax_checked", "W7_handler_bound_and_implemented", "W8_handler_deploy_known_good"],
                            found: ["W8_handler_deploy_known_good": "bytes on disk differ from the deploy log"])
    }

    func testAnExpiredActiveGrantFailsW9Only() throws {
        try db.connect().executeScript("""
            UPDATE governance_build_authorization
               SET granted_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
            """)
        try assertGateFails(["W9_no_stale_or_duplicate_grant"],
                            found: ["W9_no_stale_or_duplicate_grant": "GBA-C1-\(scenario.apr) is active past its expiry"])
    }

    // MARK: ledger

    var headFile: String { scenario.directory.appendingPathComponent("ledger.head").path }

    func saveHead() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: headFile, contents: Data()))
        let run = try readback(["--checklist", "ledger", "--ledger-head", headFile, "--write-ledger-head", headFile])
        XCTAssertEqual(run.status, 0, run.description)
    }

    func testLedgerPassesAndSavesTheHeadItRead() throws {
        try saveHead()
        let head = try db.connect().execute("SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq DESC LIMIT 1").value(0, 0)!
        XCTAssertEqual(try String(contentsOfFile: headFile, encoding: .utf8), head + "\n")
        let again = try readbackWritingNothing(["--checklist", "ledger", "--ledger-head", headFile])
        XCTAssertEqual(again.status, 0, again.description)
    }

    func testALedgerRowEditedBehindTheToolsBackIsNamedBySeq() throws {
        try saveHead()
        let saved = try Data(contentsOf: URL(fileURLWithPath: headFile))
        try db.connect().executeScript("""
            SET session_replication_role = replica;
            UPDATE gov_ledger SET payload = '{"decision": "reject"}' WHERE seq = 3;
            """)
        // Seq 3 is below the saved head: the chain from the head on does
        // not read it again, but migration 003's record no longer has the
        // event it had.
        let incremental = try readback(["--checklist", "ledger", "--ledger-head", headFile, "--write-ledger-head", headFile])
        XCTAssertEqual(ReadbackScenario.failedItems(incremental), ["state_records_match_ledger"])
        // --full reads every row: the chain breaks at seq 3.
        let run = try readback(["--checklist", "ledger", "--ledger-head", headFile, "--write-ledger-head", headFile, "--full"])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(ReadbackScenario.failedItems(run), ["ledger_chain_intact", "state_records_match_ledger"])
        XCTAssertEqual(run.lines[0]["found"] as? String, "hash_mismatch at seq 3")
        XCTAssertTrue(run.stderr.contains("ledger_chain_intact: expected = intact, found hash_mismatch at seq 3"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: headFile)), saved, "a failed run does not save its head")
    }

    func testATruncatedTailIsCaughtByTheSavedHead() throws {
        try saveHead()
        let saved = try Data(contentsOf: URL(fileURLWithPath: headFile))
        // Drop the last two events and rewind the head: the chain that is
        // left is intact, so only the outside copy can tell.
        try db.connect().executeScript("""
            SET session_replication_role = replica;
            DELETE FROM gov_ledger WHERE seq > (SELECT max(seq) - 2 FROM gov_ledger);
            UPDATE gov_ledger_head SET (seq, hash) = (SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1);
            """)
        let last = try db.scalar("SELECT max(seq) FROM gov_ledger")!
        let run = try readback(["--checklist", "ledger", "--ledger-head", headFile, "--write-ledger-head", headFile])
        XCTAssertEqual(run.status, 1, run.description)
        // The head saved outside names the loss (the chain, verified from
        // it, finds no checkpoint row); the rows whose events went with the
        // tail are named too.
        XCTAssertEqual(Array(ReadbackScenario.failedItems(run).prefix(2)), ["ledger_chain_intact", "ledger_head_matches_saved"])
        XCTAssertEqual(run.lines[0]["found"] as? String,
                       "checkpoint_missing at seq \(Int(last)! + 2) (the ledger ends at seq \(last))")
        XCTAssertEqual(run.lines[1]["found"] as? String, "seq \(Int(last)! + 2) is gone: the ledger ends at seq \(last)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: headFile)), saved)
    }

    // MARK: binding and read-only

    func testParametersAreBoundNeverSpliced() throws {
        let checklist = """
            -- name: no_such_apr
            -- expect: = 0
            SELECT count(*) FROM apr_requests WHERE apr_code = :apr;
            """
        let hostile = "x' OR '1'='1'; DROP TABLE apr_votes; --"
        let run = try readbackWritingNothing(["--checklist", "-", "--param", "apr=\(hostile)"], stdin: checklist)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('apr_votes') IS NOT NULL"), "t")
        let postGrant = try readbackWritingNothing(["--checklist", "post-grant", "--param", "apr=\(hostile)",
                                                    "--param", "target=t", "--param", "handler_ref=h", "--param", "handler_file=f",
                                                    "--param", "grants_before=0"])
        XCTAssertEqual(postGrant.status, 1, postGrant.description)
        guard postGrant.lines.count > 2 else { return XCTFail("no item lines: \(postGrant)") }
        XCTAssertEqual(postGrant.lines[2]["found"] as? NSNull, NSNull(), "grant_auth_code finds no row for that text")
    }

    func testItemsThatTryToWriteFailAndWriteNothing() throws {
        let checklist = """
            -- name: delete_votes
            -- expect: = 0
            WITH gone AS (DELETE FROM apr_votes RETURNING 1) SELECT count(*) FROM gone;

            -- name: take_a_code
            -- expect: is not null
            SELECT nextval('apr_code_seq');

            -- name: switch_off_read_only
            -- expect: = off
            SELECT set_config('default_transaction_read_only', 'off', false);

            -- name: insert_after_that
            -- expect: = 1
            WITH added AS (INSERT INTO apr_approvers (approver, role) VALUES ('mallory', 'owner') RETURNING 1)
            SELECT count(*) FROM added;

            -- name: still_reading
            -- expect: > 0
            SELECT count(*) FROM apr_votes;
            """
        let sequence = try db.scalar("SELECT last_value FROM apr_code_seq")
        let run = try readbackWritingNothing(["--checklist", "-"], stdin: checklist)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(ReadbackScenario.failedItems(run), ["delete_votes", "take_a_code", "insert_after_that"])
        XCTAssertTrue((run.lines[0]["problem"] as? String ?? "").contains("read-only transaction"), run.description)
        XCTAssertEqual(try db.scalar("SELECT last_value FROM apr_code_seq"), sequence)
    }

    func testAFailingQueryFailsItsItemAndTheRestStillRun() throws {
        let checklist = """
            -- name: missing_table
            -- expect: = 0
            SELECT count(*) FROM no_such_table;
            -- name: two_rows
            -- expect: = 1
            SELECT 1 FROM generate_series(1, 2);
            -- name: two_columns
            -- expect: = 1
            SELECT 1, 2;
            -- name: no_row_is_null
            -- expect: is null
            SELECT 1 WHERE false;
            """
        let run = try readback(["--checklist", "-"], stdin: checklist)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(ReadbackScenario.failedItems(run), ["missing_table", "two_rows", "two_columns"])
        XCTAssertEqual(run.lines[0]["problem"] as? String, "the query failed: relation \"no_such_table\" does not exist")
        XCTAssertEqual(run.lines[1]["problem"] as? String, "the query returned 2 rows, not one")
        XCTAssertEqual(run.lines[2]["problem"] as? String, "the query returned 2 columns, not one")
    }

    // MARK: formats

    func testTAPIsReadByProve() throws {
        let pass = try readback(["--checklist", "post-grant", "--format", "tap"] + scenario.postGrantParams)
        XCTAssertEqual(pass.status, 0, pass.description)
        XCTAssertTrue(pass.stdout.hasPrefix("TAP version 13\n1..15\nok 1 - grant_count\n"), pass.stdout)
        XCTAssertEqual(try prove(pass.stdout), 0)

        try db.scalar("UPDATE governance_build_authorization SET status = 'revoked', revoked_at = now()")
        let fail = try readback(["--checklist", "post-grant", "--format", "tap"] + scenario.postGrantParams)
        XCTAssertEqual(fail.status, 1)
        XCTAssertTrue(fail.stdout.contains("not ok 4 - grant_status\n  ---\n  expected: \"= active\"\n  found: \"revoked\"\n  ...\n"), fail.stdout)
        XCTAssertNotEqual(try prove(fail.stdout), 0)
    }

    /// prove's exit status on `tap`.
    func prove(_ tap: String) throws -> Int32 {
        let file = scenario.directory.appendingPathComponent("run.t")
        try Data(tap.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["prove", "--exec", "cat", file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testPrometheusTextfileIsWellFormed() throws {
        try db.scalar("UPDATE governance_build_authorization SET commit_allowed = true")
        let run = try readback(["--checklist", "post-grant", "--format", "prom"] + scenario.postGrantParams)
        XCTAssertEqual(run.status, 1)
        let sample = try Regex(#"^([a-z_]+)\{checklist="post-grant"(,item="([A-Za-z0-9_]+)")?\} ([0-9]+)$"#)
        var items: [String: String] = [:]
        var metrics: Set<String> = []
        var typed: Set<String> = []
        for line in run.stdout.split(separator: "\n") {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                XCTAssertEqual(words.count, 4)
                XCTAssertEqual(words[3], "gauge")
                typed.insert(String(words[2]))
                continue
            }
            let match = try XCTUnwrap(line.wholeMatch(of: sample), "not a sample line: \(line)")
            let metric = String(match.output[1].substring!)
            XCTAssertTrue(typed.contains(metric), "\(metric) sampled before its # TYPE")
            metrics.insert(metric)
            if let item = match.output[3].substring { items[String(item)] = String(match.output[4].substring!) }
        }
        XCTAssertEqual(items.count, 15)
        XCTAssertEqual(items["grant_commit_allowed"], "0")
        XCTAssertEqual(items["grant_count"], "1")
        XCTAssertEqual(metrics, ["aprkit_readback_item_ok", "aprkit_readback_items_failed",
                                 "aprkit_readback_exit_status", "aprkit_readback_last_run_timestamp_seconds"])
        XCTAssertTrue(run.stdout.contains("aprkit_readback_exit_status{checklist=\"post-grant\"} 1\n"))
    }

    // MARK: checklists as files

    func testAPrintedChecklistRunsAsAFileAsTheBuiltInDoes() throws {
        let printed = try Tool.run("readback", ["--print-checklist", "post-grant"])
        XCTAssertEqual(printed.status, 0)
        XCTAssertTrue(printed.stdout.contains("-- name: grant_commit_allowed\n-- expect: = false\n"))
        let file = scenario.directory.appendingPathComponent("post-grant.checklist").path
        try Data(printed.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let builtin = try readback(["--checklist", "post-grant"] + scenario.postGrantParams)
        let fromFile = try readback(["--checklist", file] + scenario.postGrantParams)
        XCTAssertEqual(fromFile.status, 0, fromFile.description)
        XCTAssertEqual(fromFile.stdout, builtin.stdout, "the file is named post-grant.checklist, so even the label agrees")
    }

    func testDryRunPrintsTheBoundQueriesConnectsToNothingAndSavesNothing() throws {
        let run = try Tool.run("readback", ["-d", "host=/nonexistent dbname=none", "--checklist", "ledger", "--dry-run",
                                            "--ledger-head", "/dev/null", "--write-ledger-head", headFile])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 10, "nine items and the summary")
        XCTAssertTrue((run.lines[1]["sql"] as? String ?? "").contains("l.seq = $1::bigint"), run.description)
        XCTAssertEqual(run.lines[1]["params"] as? [String], ["0", String(repeating: "0", count: 64)])
        XCTAssertEqual(run.lines.last?["would_save_ledger_head"] as? String, headFile)
        XCTAssertFalse(FileManager.default.fileExists(atPath: headFile))
    }
}
