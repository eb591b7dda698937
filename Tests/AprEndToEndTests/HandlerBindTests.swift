import Foundation
import XCTest
import _AprTestSupport

/// handler-bind: binding through the governed migration, its in-transaction
/// readback, the persistence check after COMMIT, and the refusals.
final class HandlerBindTests: XCTestCase {
    var db: TestDatabase!
    var staged: URL!
    var handlers: URL!

    static let mintRef = "apr-execute:authorize_build_step"

    override func setUpWithError() throws {
        db = try TestDatabase()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-bind-\(UUID().uuidString)")
        staged = base.appendingPathComponent("staged")
        handlers = base.appendingPathComponent("handlers")
        try FileManager.default.createDirectory(at: handlers, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        db = nil
        try? FileManager.default.removeItem(at: staged.deletingLastPathComponent())
    }

    func handlerBind(_ args: [String], env: [String: String] = [:]) throws -> ToolRun {
        var environment = ["APR_HANDLERS_DIR": handlers.path]
        for (k, v) in env { environment[k] = v }
        return try Tool.run("handler-bind", ["-d", db.conninfo(), "--staged-dir", staged.path] + args, env: environment)
    }

    func bindMint(_ extra: [String] = []) throws -> ToolRun {
        try handlerBind(["--action", "authorize_build_step", "--handler", HandlerBindTests.mintRef] + extra)
    }

    func handlerRef(_ action: String = "authorize_build_step") throws -> String? {
        try db.scalar("SELECT handler_ref FROM apr_action_types WHERE action_code = $1", [action])
    }

    var stagedFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: staged.path)) ?? []).sorted()
    }

    func assertRefused(_ run: ToolRun, _ reason: String, _ status: Int32, unchangedFrom digest: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRefusal(run, by: "handler-bind", reason, status, in: db, unchangedFrom: digest, file: file, line: line)
    }

    func testBindsThroughAGovernedMigrationAndReadsBack() throws {
        let run = try bindMint()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try handlerRef(), HandlerBindTests.mintRef)
        let version = try XCTUnwrap(run.json["version"] as? String)
        XCTAssertTrue(version.hasSuffix("-bind-authorize_build_step"), version)
        XCTAssertEqual(try db.scalar("SELECT checksum FROM gov_migrations WHERE version = $1", [version]), run.json["checksum"] as? String)
        XCTAssertEqual(try db.scalar("SELECT payload->>'handler_ref' FROM gov_ledger WHERE event = 'bind' AND subject = 'authorize_build_step'"), HandlerBindTests.mintRef)
        XCTAssertEqual(stagedFiles, ["\(version).staged.sql"])
        let sql = try String(contentsOf: staged.appendingPathComponent("\(version).staged.sql"), encoding: .utf8)
        XCTAssertTrue(sql.contains("PERFORM apr_raise('handler_ref_not_persisted'"), "the read-back raises by its reason")
        XCTAssertFalse(sql.contains("ASSERT "), "assertions raise, never ASSERT")
    }

    func testBindingAgainIsUnchanged() throws {
        XCTAssertEqual(try bindMint().status, 0)
        let digest = try db.contentDigest()
        let files = stagedFiles
        let again = try bindMint()
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try db.contentDigest(), digest)
        XCTAssertEqual(stagedFiles, files)
    }

    func testUnbindReadsBackNullAndBindAgainApplies() throws {
        XCTAssertEqual(try bindMint().status, 0)
        let unbind = try handlerBind(["--action", "authorize_build_step", "--unbind"])
        XCTAssertEqual(unbind.status, 0, unbind.description)
        XCTAssertEqual(unbind.json["previous"] as? String, HandlerBindTests.mintRef)
        XCTAssertNil(try handlerRef())
        let rebind = try bindMint()
        XCTAssertEqual(rebind.status, 0, rebind.description)
        XCTAssertEqual(try handlerRef(), HandlerBindTests.mintRef)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version LIKE '%bind-authorize_build_step'"), "3")
        XCTAssertEqual(stagedFiles.count, 3)
        XCTAssertEqual(try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE event IN ('bind', 'unbind')"), "bind,unbind,bind")
    }

    func testUnbindingWhatIsUnboundIsUnchanged() throws {
        let digest = try db.contentDigest()
        let run = try handlerBind(["--action", "authorize_build_step", "--unbind"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testDryRunPrintsTheSqlAndWritesNothing() throws {
        let digest = try db.contentDigest()
        let run = try bindMint(["--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["dry_run"] as? Bool, true)
        XCTAssertTrue((run.json["sql"] as? String ?? "").contains("UPDATE apr_action_types SET handler_ref = '\(HandlerBindTests.mintRef)'"))
        XCTAssertEqual(try db.contentDigest(), digest)
        XCTAssertEqual(stagedFiles, [])
        XCTAssertNil(try handlerRef())
    }

    func testBindsAnExternalArmWhoseHandlerIsGovernedAndPassesItsSyntaxCheck() throws {
        try db.addActionType("ops_note", fields: [("note", "string")])
        try db.installHandler("ops_note", in: handlers.path, content: "#!/bin/bash\necho '{}'\n")
        let run = try handlerBind(["--action", "ops_note", "--handler", "apr-execute:ops_note"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try handlerRef("ops_note"), "apr-execute:ops_note")
    }

    func testRefusesAnExternalArmWhoseHandlerIsNotGoverned() throws {
        try db.addActionType("ops_note", fields: [("note", "string")])
        let url = handlers.appendingPathComponent("ops_note")
        try "#!/bin/bash\necho '{}'\n".write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "ops_note", "--handler", "apr-execute:ops_note"]),
                          "handler_not_governed", 3, unchangedFrom: digest)
    }

    // MARK: refusals

    func testRefusesAnUnknownAction() throws {
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "no_such_action", "--handler", HandlerBindTests.mintRef]),
                          "unknown_action", 1, unchangedFrom: digest)
        XCTAssertEqual(stagedFiles, [])
    }

    func testBindsTheBuiltInPatchArm() throws {
        let run = try handlerBind(["--action", "patch_ops_code", "--handler", "apr-execute:patch_ops_code"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.scalar("SELECT handler_ref FROM apr_action_types WHERE action_code = 'patch_ops_code'"),
                       "apr-execute:patch_ops_code")
    }

    func testRefusesAnExternalArmWithoutAHandlerFile() throws {
        try db.addActionType("ops_note", fields: [("note", "string")])
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "ops_note", "--handler", "apr-execute:ops_note"]),
                          "arm_not_implemented", 1, unchangedFrom: digest)
    }

    func testRefusesAnExternalArmThatFailsItsSyntaxCheck() throws {
        try db.addActionType("ops_note", fields: [("note", "string")])
        let url = handlers.appendingPathComponent("ops_note")
        try "#!/bin/bash\nif then fi\n".write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "ops_note", "--handler", "apr-execute:ops_note"]),
                          "handler_syntax_failed", 1, unchangedFrom: digest)
    }

    func testRefusesABuiltInArmForAnotherAction() throws {
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "register_tool", "--handler", HandlerBindTests.mintRef]),
                          "arm_action_mismatch", 1, unchangedFrom: digest)
    }

    func testRefusesAMalformedHandlerRef() throws {
        let digest = try db.contentDigest()
        try assertRefused(try handlerBind(["--action", "authorize_build_step", "--handler", "authorize_build_step"]),
                          "invalid_handler_ref", 65, unchangedFrom: digest)
    }

    // MARK: faults

    func testATriggerThatSilentlyDropsTheUpdateStops() throws {
        try db.connect().executeScript("""
            CREATE FUNCTION keep_handler_ref() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.handler_ref := OLD.handler_ref; RETURN NEW; END $$;
            CREATE TRIGGER keep_handler_ref BEFORE UPDATE ON apr_action_types
                FOR EACH ROW EXECUTE FUNCTION keep_handler_ref();
            """)
        let digest = try db.contentDigest()
        let run = try bindMint()
        try assertRefused(run, "handler_ref_not_persisted", 3, unchangedFrom: digest)
        XCTAssertEqual(run.json["result"] as? String, "STOP")
        XCTAssertNil(try handlerRef())
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version LIKE '%-bind-%'"), "0")
        XCTAssertEqual(stagedFiles.filter { $0.hasSuffix(".sql") }, [], "the unapplied file is set aside")
    }

    func testAWriterThatRevertsTheValueAtCommitStops() throws {
        // A deferred trigger puts the old value back at COMMIT, after the
        // in-transaction readback passed: only the read on a new connection sees it.
        try db.connect().executeScript("""
            CREATE FUNCTION drop_handler_ref() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.handler_ref IS NOT NULL THEN
                    UPDATE apr_action_types SET handler_ref = NULL WHERE action_code = NEW.action_code;
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER drop_handler_ref AFTER UPDATE ON apr_action_types
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION drop_handler_ref();
            """)
        let run = try bindMint()
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "handler_ref_not_persisted")
        XCTAssertEqual(run.json["found"] as? NSNull, NSNull())
        XCTAssertNil(try handlerRef())
        let version = try XCTUnwrap(run.json["version"] as? String)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = $1", [version]), "1",
                       "the output names the migration that committed")
    }

    func testAssertsSwitchedOffCannotSkipTheReadback() throws {
        let dry = try bindMint(["--dry-run"])
        let sql = try XCTUnwrap(dry.json["sql"] as? String)
        let readback = "IF readback IS DISTINCT FROM '\(HandlerBindTests.mintRef)'"
        XCTAssertTrue(sql.contains(readback))
        let wrong = sql.replacingOccurrences(of: readback, with: "IF readback IS DISTINCT FROM 'apr-execute:something_else'")
        try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: true)
        let file = staged.appendingPathComponent("20990101T000000000000-bind-wrong.staged.sql")
        try wrong.write(to: file, atomically: true, encoding: .utf8)

        let digest = try db.contentDigest()
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file.path],
                               env: ["PGOPTIONS": "-c plpgsql.check_asserts=off"])
        XCTAssertNotEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "handler_ref_not_persisted")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_migrations WHERE version = '20990101T000000000000-bind-wrong'"), "0")
        XCTAssertNil(try handlerRef())
        XCTAssertEqual(try db.contentDigest(), digest)
    }
}
