import AprKit
import Foundation
import XCTest

final class BindingMigrationTests: XCTestCase {
    func testNamesEachMigrationByTheDatabaseClock() {
        let bind = BindingMigration(actionCode: "authorize_build_step", handlerRef: "apr-execute:authorize_build_step",
                                    timestamp: "20260623T101500123456")
        XCTAssertEqual(bind.version, "20260623T101500123456-bind-authorize_build_step")
        XCTAssertEqual(bind.fileName, "20260623T101500123456-bind-authorize_build_step.staged.sql")
        let unbind = BindingMigration(actionCode: "authorize_build_step", handlerRef: nil, timestamp: "20260623T101501000000")
        XCTAssertEqual(unbind.version, "20260623T101501000000-unbind-authorize_build_step")
        XCTAssertLessThan("003", bind.version, "applies after the bundled schema")
        XCTAssertLessThan(bind.version, unbind.version)
    }

    func testTheSqlAssertsWithRaiseAndReadsBackTheNewValue() {
        let sql = BindingMigration(actionCode: "authorize_build_step", handlerRef: "apr-execute:authorize_build_step",
                                   timestamp: "20260623T101500123456").sql
        XCTAssertTrue(sql.contains("UPDATE apr_action_types SET handler_ref = 'apr-execute:authorize_build_step' WHERE action_code = 'authorize_build_step'"))
        XCTAssertTrue(sql.contains("IF updated <> 1 THEN"))
        XCTAssertTrue(sql.contains("IF readback IS DISTINCT FROM 'apr-execute:authorize_build_step' THEN"))
        XCTAssertTrue(sql.contains("PERFORM apr_raise('handler_ref_not_persisted'"))
        XCTAssertTrue(sql.contains("gov_ledger_append('bind'"))
        XCTAssertFalse(sql.contains("ASSERT "))
        let unbind = BindingMigration(actionCode: "authorize_build_step", handlerRef: nil, timestamp: "1").sql
        XCTAssertTrue(unbind.contains("SET handler_ref = NULL"))
        XCTAssertTrue(unbind.contains("IF readback IS DISTINCT FROM NULL THEN"))
        XCTAssertTrue(unbind.contains("gov_ledger_append('unbind'"))
    }
}

final class NewFileTests: XCTestCase {
    func testCreatesDirectoriesAndNeverOverwrites() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-newfile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let path = base.appendingPathComponent("a/b/c.sql").path
        try NewFile.create(path, contents: Array("one\n".utf8))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "one\n")
        XCTAssertThrowsError(try NewFile.create(path, contents: Array("two\n".utf8))) { error in
            XCTAssertEqual((error as? NewFile.WriteError)?.exists, true)
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "one\n")
    }
}

final class JSONObjectOrderTests: XCTestCase {
    func testPutsTheNamedKeysFirstAndKeepsTheRest() {
        let object: JSONObject = ["z": 1, "grant": true, "apr_code": "APR-000001", "a": 2]
        XCTAssertEqual(object.ordered(["apr_code", "missing", "grant"]).keys, ["apr_code", "grant", "z", "a"])
    }
}
