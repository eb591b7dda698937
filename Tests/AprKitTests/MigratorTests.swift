import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The governed migration mechanism, through the library and the tool.
final class MigratorTests: XCTestCase {
    var staged: URL!

    override func setUpWithError() throws {
        staged = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-staged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: staged) }

    func write(_ name: String, _ sql: String) throws -> String {
        let url = staged.appendingPathComponent(name)
        try sql.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func migrate(_ db: TestDatabase, _ args: [String] = []) throws -> ToolRun {
        try Tool.run("gov-migrate", ["-d", db.conninfo()] + args)
    }

    func testAppliesTheSchemaOnceAndRecordsItWithItsChecksum() throws {
        let db = try TestDatabase(migrate: false)
        let first = try migrate(db)
        XCTAssertEqual(first.status, 0, first.description)
        XCTAssertNil(first.json["unchanged"])
        let again = try migrate(db)
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try db.scalar("SELECT checksum FROM gov_migrations WHERE version = '001'"), Migration.bundled[0].checksum)
        XCTAssertEqual(try db.scalar("SELECT applied_by FROM gov_migrations WHERE version = '001'"), "postgres")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'migrate'"), String(Schema.versioned.count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'migrate_repeatable'"), String(Schema.repeatables.count))
    }

    func testDryRunPrintsThePlanAndWritesNothing() throws {
        let db = try TestDatabase(migrate: false)
        let run = try migrate(db, ["--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual((run.json["plan"] as? [[String: Any]])?.first?["state"] as? String, "pending")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('gov_migrations') IS NULL"), "t")
    }

    func testAStagedFileAppliesOnceWithItsAssertion() throws {
        let db = try TestDatabase()
        let file = try write("20261125-raise-ttl.staged.sql", """
            UPDATE apr_action_types SET apr_ttl_seconds = 86400 WHERE action_code = 'register_tool';
            DO $$ BEGIN
              IF (SELECT apr_ttl_seconds FROM apr_action_types WHERE action_code = 'register_tool') <> 86400 THEN
                RAISE EXCEPTION 'readback: ttl not set';
              END IF;
            END $$;
            """)
        let run = try migrate(db, [file])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(((run.json["applied"] as? [[String: Any]])?.first)?["version"] as? String, "20261125-raise-ttl")
        XCTAssertEqual(try migrate(db, [file]).json["unchanged"] as? Bool, true)
    }

    func testAFailingAssertionRollsTheWholeMigrationBackUnrecorded() throws {
        let db = try TestDatabase()
        let file = try write("bad-assert.sql", """
            UPDATE apr_action_types SET handler_ref = 'apr-execute:authorize_build_step' WHERE action_code = 'authorize_build_step';
            DO $$ BEGIN
              IF (SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step') <> 'apr-execute:wrong' THEN
                RAISE EXCEPTION 'readback: handler_ref is not the expected value';
              END IF;
            END $$;
            """)
        let before = try db.contentDigest()
        // Session settings cannot switch a RAISE off (they could an ASSERT).
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file], env: ["PGOPTIONS": "-c plpgsql.check_asserts=off"])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_failed")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testAChangedAppliedFileIsRefusedBeforeAnyDDLRuns() throws {
        let db = try TestDatabase()
        let path = try write("add-note.sql", "COMMENT ON TABLE apr_votes IS 'one per approver';")
        XCTAssertEqual(try migrate(db, [path]).status, 0)
        _ = try write("add-note.sql", "COMMENT ON TABLE apr_votes IS 'changed';")
        let other = try write("later.sql", "CREATE TABLE must_not_exist (x int);")
        let before = try db.contentDigest()
        let run = try migrate(db, [path, other])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "checksum_mismatch")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('must_not_exist') IS NULL"), "t", "no DDL ran")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testAMigrationThatCommitsOnItsOwnIsRefused() throws {
        let db = try TestDatabase()
        let file = try write("sneaky.sql", "CREATE TABLE half (x int);\nCOMMIT;\nCREATE TABLE other_half (x int);")
        let before = try db.contentDigest()
        let run = try migrate(db, [file])
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "transaction_control_in_migration")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('half') IS NULL"), "t")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    /// The E'' string hides nothing: `\'` is a quote inside it, so the
    /// COMMIT after it is a statement of its own, seen before anything runs.
    func testACommitAfterAnEscapedQuoteIsRefusedBeforeAnythingRuns() throws {
        let db = try TestDatabase()
        let file = try write("e-string.sql", #"CREATE TABLE t(i int); SELECT E'\''; COMMIT; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#)
        let before = try db.contentDigest()
        let run = try migrate(db, [file])
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "transaction_control_in_migration")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NULL"), "t", "the table was not created")
        XCTAssertEqual(try db.contentDigest(), before, "no row of any table changed")
    }

    /// A file that ended gov-migrate's transaction, ran on, and failed: what
    /// it ran before its COMMIT is committed, and gov-migrate says so.
    /// The escape: the first file turns standard_conforming_strings off for
    /// the session, so the server reads the second file's '\'' as a quote
    /// where the check (which reads the script with it on) sees a string run
    /// on over the COMMIT.
    func testAFileThatEndsTheTransactionAndFailsIsAStopNotARollback() throws {
        let db = try TestDatabase()
        let off = try write("a-strings-off.sql", "SET standard_conforming_strings = off;\n")
        let file = try write("b-escape.sql", #"CREATE TABLE t(i int); SELECT '\''; COMMIT; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#)
        let run = try migrate(db, [off, file])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_escaped_transaction")
        XCTAssertEqual(run.json["result"] as? String, "STOP")
        XCTAssertEqual(run.json["recorded"] as? Bool, false)
        XCTAssertEqual(run.json["transaction_control"] as? [String], ["COMMIT"])
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("ended gov-migrate's transaction"), run.stderr)
        XCTAssertTrue(run.stderr.contains("must be checked and undone by hand"), run.stderr)
        XCTAssertTrue(run.stderr.contains("NOT recorded"), run.stderr)
        XCTAssertFalse(run.stderr.contains("rolled back"), run.stderr)
        // What the server did: the table before the COMMIT is committed; the
        // file is not recorded (the one before it is).
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NOT NULL"), "t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'b-escape'"), "0")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'migrate' AND subject = 'b-escape'"), "0")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'a-strings-off'"), "1")
    }

    /// The same escape from the environment, in a file that runs to its end:
    /// everything it ran is committed; still a STOP, still not recorded.
    func testAFileThatEndsTheTransactionAndSucceedsIsAStopToo() throws {
        let db = try TestDatabase()
        let file = try write("escape-ok.sql", #"CREATE TABLE t(i int); SELECT '\''; COMMIT; SELECT ''; CREATE TABLE u(i int);"#)
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file],
                               env: ["PGOPTIONS": "-c standard_conforming_strings=off"])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_escaped_transaction")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("and those after it"), run.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NOT NULL AND to_regclass('u') IS NOT NULL"), "t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'escape-ok'"), "0")
    }

    /// A file that commits and opens a transaction of its own is inside a
    /// transaction when it ends, but not gov-migrate's: its id tells. What it
    /// ran after its BEGIN is rolled back; what it ran before its COMMIT stays.
    func testAFileThatOpensATransactionOfItsOwnIsCaughtByTheTransactionId() throws {
        let db = try TestDatabase()
        let file = try write("reopen.sql", #"CREATE TABLE t(i int); SELECT '\''; COMMIT; BEGIN; SELECT ''; CREATE TABLE u(i int);"#)
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file],
                               env: ["PGOPTIONS": "-c standard_conforming_strings=off"])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_escaped_transaction")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NOT NULL"), "t")
        XCTAssertEqual(try db.scalar("SELECT to_regclass('u') IS NULL"), "t", "its own transaction was rolled back")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'reopen'"), "0")
    }

    /// The same, failing after its BEGIN: the session is in a failed
    /// transaction, which answers no question; the server's command tags
    /// (COMMIT, BEGIN) say it is not gov-migrate's.
    func testAFileThatOpensATransactionOfItsOwnAndFailsIsAStop() throws {
        let db = try TestDatabase()
        let file = try write("reopen-fail.sql", #"CREATE TABLE t(i int); SELECT '\''; COMMIT; BEGIN; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#)
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file],
                               env: ["PGOPTIONS": "-c standard_conforming_strings=off"])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_escaped_transaction")
        XCTAssertEqual(run.json["transaction_control"] as? [String], ["COMMIT", "BEGIN"])
        XCTAssertFalse(run.stderr.contains("rolled back"), run.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NOT NULL"), "t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'reopen-fail'"), "0")
    }

    /// Every migration and repeatable file runs with the mark of the governed
    /// mechanism's writes, set for its transaction only.
    func testEachFileRunsWithTheWriterMark() throws {
        let db = try TestDatabase()
        let check = """
            DO $$ BEGIN
              IF current_setting('aprkit.writer', true) IS DISTINCT FROM 'on' THEN
                RAISE EXCEPTION 'readback: aprkit.writer is not on';
              END IF;
            END $$;
            """
        let run = try migrate(db, [try write("writer-mark.sql", check)])
        XCTAssertEqual(run.status, 0, run.description)
        let connection = try db.connect(marked: false)
        let repeatable = Migration(kind: .repeatable, version: "writer-mark.sql", name: "writer-mark.sql", bytes: Array(check.utf8))
        _ = try Migrator(connection: connection).apply([repeatable], dryRun: false)
        XCTAssertEqual(try connection.execute("SELECT count(*) FROM gov_repeatables WHERE name = 'writer-mark.sql'").value(0, 0), "1")
        XCTAssertEqual(try connection.execute("SELECT coalesce(current_setting('aprkit.writer', true), '')").value(0, 0), "",
                       "the mark ends with the file's transaction")
    }

    func testAPlpgsqlBeginEndIsNotTransactionControl() throws {
        let statements = ["DO $$ BEGIN PERFORM 1; END $$", "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 1;\nEND\n$body$"]
        for sql in statements {
            XCTAssertNoThrow(try Migrator.checkNoTransactionControl(Migration(kind: .staged, version: "x", name: "x", bytes: Array(sql.utf8))))
        }
    }

    func testAMissingOrBadlyNamedFileIsBadInput() throws {
        let db = try TestDatabase()
        let missing = try migrate(db, ["/nonexistent/x.sql"])
        XCTAssertEqual(missing.status, 65)
        XCTAssertEqual(missing.json["reason"] as? String, "unreadable_file")
        let badName = try write("bad name!.sql", "SELECT 1;")
        XCTAssertEqual(try migrate(db, [badName]).json["reason"] as? String, "bad_migration_name")
    }
}

/// A database a newer aprkit migrated is never rolled back by an older one.
final class NewerSchemaTests: XCTestCase {
    func migrate(_ db: TestDatabase) throws -> ToolRun { try Tool.run("gov-migrate", ["-d", db.conninfo()]) }

    func testAMigrationThisAprkitDoesNotKnowIsRefusedBeforeAnythingRuns() throws {
        let db = try TestDatabase()
        try db.scalar("SELECT gov_migration_record('999', 'from-the-future', repeat('a', 64))")
        try db.scalar("UPDATE gov_repeatables SET checksum = repeat('b', 64) WHERE name = 'votes.sql'")
        let before = try db.contentDigest()
        let run = try migrate(db)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "schema_newer")
        XCTAssertTrue(run.stderr.contains("migration 999"), run.stderr)
        XCTAssertEqual(try db.contentDigest(), before, "nothing applied")
    }

    func testARepeatableFileANewerAprkitAppliedIsNotRolledBack() throws {
        let db = try TestDatabase()
        try db.scalar("UPDATE gov_repeatables SET checksum = repeat('b', 64), aprkit_version = '999.0.0' WHERE name = 'votes.sql'")
        let before = try db.contentDigest()
        let run = try migrate(db)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "schema_newer")
        XCTAssertTrue(run.stderr.contains("votes.sql"), run.stderr)
        XCTAssertEqual(try db.contentDigest(), before, "votes.sql was not applied again")

        // The same file recorded by an older aprkit is simply applied again.
        try db.scalar("UPDATE gov_repeatables SET aprkit_version = '0.1.0' WHERE name = 'votes.sql'")
        let again = try migrate(db)
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(try db.scalar("SELECT aprkit_version FROM gov_repeatables WHERE name = 'votes.sql'"), aprkitVersion)
    }

    func testVersionsAreComparedFieldByField() {
        XCTAssertTrue(versionIsNewer("0.10.0", than: "0.9.1"))
        XCTAssertTrue(versionIsNewer("1.0", than: "0.99.99"))
        XCTAssertFalse(versionIsNewer("0.2.0", than: "0.2"))
        XCTAssertFalse(versionIsNewer("0.1.9", than: "0.2.0"))
    }
}
