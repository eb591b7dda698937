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

    /// The old escape: the first file turned standard_conforming_strings off
    /// for the session, so the server read the second file's '\'' as a
    /// quote where the check (which reads scripts with it on) saw a string
    /// running on over the COMMIT. Every file now starts from a reset
    /// session with it on: the server reads the file as the check did, the
    /// string never ends, and nothing of the file runs.
    func testASessionSettingOfOneFileDoesNotCarryIntoTheNext() throws {
        let db = try TestDatabase()
        let off = try write("a-strings-off.sql", "SET standard_conforming_strings = off;\n")
        let file = try write("b-escape.sql", #"CREATE TABLE t(i int); SELECT '\''; COMMIT; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#)
        let run = try migrate(db, [off, file])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "migration_failed")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NULL"), "t", "nothing of the file ran")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'b-escape'"), "0")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'a-strings-off'"), "1")
    }

    /// A file that points the session's search_path elsewhere: the next
    /// file's tables still land in public, and its record is written by
    /// the schema's own function.
    func testASearchPathSetByOneFileDoesNotCarryIntoTheNext() throws {
        let db = try TestDatabase()
        let away = try write("a-path.sql", "SET search_path = pg_temp, public;\n")
        let file = try write("b-table.sql", "CREATE TABLE b_table(i int);\n")
        let run = try migrate(db, [away, file])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.scalar("SELECT to_regclass('public.b_table') IS NOT NULL"), "t")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = 'b-table'"), "1")
    }

    /// The same escape from the environment (PGOPTIONS, or a role's or a
    /// database's default): gov-migrate sets standard_conforming_strings on
    /// for every file, so no variant of it ends the transaction.
    func testTheEnvironmentCannotTurnStandardStringsOffUnderAFile() throws {
        let db = try TestDatabase()
        let scripts = [
            "escape-ok": #"CREATE TABLE t(i int); SELECT '\''; COMMIT; SELECT ''; CREATE TABLE u(i int);"#,
            "reopen": #"CREATE TABLE t(i int); SELECT '\''; COMMIT; BEGIN; SELECT ''; CREATE TABLE u(i int);"#,
            "reopen-fail": #"CREATE TABLE t(i int); SELECT '\''; COMMIT; BEGIN; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#,
        ]
        for (name, sql) in scripts.sorted(by: { $0.key < $1.key }) {
            let file = try write("\(name).sql", sql)
            let before = try db.contentDigest()
            let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file],
                                   env: ["PGOPTIONS": "-c standard_conforming_strings=off"])
            XCTAssertEqual(run.status, 1, "\(name): \(run.description)")
            XCTAssertEqual(run.json["reason"] as? String, "migration_failed", name)
            XCTAssertEqual(try db.scalar("SELECT to_regclass('t') IS NULL AND to_regclass('u') IS NULL"), "t", name)
            XCTAssertEqual(try db.contentDigest(), before, "\(name) wrote nothing")
        }
    }

    /// A migrator that cannot get the migration lock within --lock-timeout
    /// gives up with database_busy, naming the session that holds it, and
    /// writes nothing.
    func testABusyLockNamesItsHolder() throws {
        let db = try TestDatabase()
        let holder = try db.connect()
        try holder.execute("SELECT set_config('application_name', 'holding-migrator', false)")
        try holder.execute("SELECT pg_advisory_lock(1634758763, 1)")
        let before = try db.contentDigest()
        let run = try migrate(db, ["--lock-timeout", "300ms"])
        XCTAssertEqual(run.status, 75, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "database_busy")
        XCTAssertTrue(run.stderr.contains("holding-migrator"), run.stderr)
        XCTAssertTrue(run.stderr.contains("pid "), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertEqual(try db.contentDigest(), before)
        for bad in ["0s", "soon", "-1s", "10"] {
            XCTAssertEqual(try migrate(db, ["--lock-timeout", bad]).status, 64, bad)
        }
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
