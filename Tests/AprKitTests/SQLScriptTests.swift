@testable import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The script is split where PostgreSQL splits it: a COMMIT the server runs
/// is a statement the check sees, and a COMMIT inside a string, a quoted
/// identifier, a body or a comment is none.
final class SQLScriptTests: XCTestCase {
    func statements(_ sql: String) -> [String] { SQLScript.topLevelStatements(sql).map(String.init) }

    func isRefused(_ sql: String) -> Bool {
        let m = Migration(kind: .staged, version: "x", name: "x.sql", bytes: Array(sql.utf8))
        return (try? Migrator.checkNoTransactionControl(m)) == nil
    }

    func testAnEStringTakesBackslashEscapes() {
        XCTAssertEqual(statements(#"SELECT E'\''; COMMIT"#), ["SELECT E''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT e'\\'; COMMIT"#), ["SELECT E''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT E'it\'s; COMMIT'"#), ["SELECT E''"])
        XCTAssertEqual(statements(#"SELECT E'it''s; COMMIT'"#), ["SELECT E''"], "a doubled quote stays a quote")
        XCTAssertEqual(statements(#"SELECT E'\\\''; COMMIT"#), ["SELECT E''", "COMMIT"])
    }

    func testAnEThatEndsAnIdentifierStartsNoEString() {
        // typE'…' is the identifier typE and a standard string.
        XCTAssertEqual(statements(#"SELECT typE'\'; COMMIT; --'"#), ["SELECT typE''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT x.e'\''; COMMIT"#), ["SELECT x.E''", "COMMIT"])
    }

    func testAnEStringGoesOnAfterANewlineAsTheServerReadsIt() {
        XCTAssertEqual(statements("SELECT E'a'\n'\\''; COMMIT"), ["SELECT E''", "COMMIT"])
        XCTAssertEqual(statements("SELECT E'a' -- note\n  '\\''; COMMIT"), ["SELECT E''", "COMMIT"])
        // Without a newline the next string is a standard one.
        XCTAssertEqual(statements("SELECT E'a' '\\'; COMMIT; --'"), ["SELECT E'' ''", "COMMIT"])
    }

    func testAStandardStringKeepsItsBackslashes() {
        XCTAssertEqual(statements(#"SELECT '\'; COMMIT; --'"#), ["SELECT ''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT 'a''b; COMMIT'"#), ["SELECT ''"])
    }

    func testAUnicodeStringAndIdentifierAreStandardOnes() {
        XCTAssertEqual(statements(#"SELECT U&'d\0061t\+000061'; COMMIT"#), ["SELECT U&''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT U&'\'; COMMIT; --'"#), ["SELECT U&''", "COMMIT"])
        XCTAssertEqual(statements(#"SELECT u&'it''s; COMMIT' UESCAPE '!'"#), ["SELECT u&'' UESCAPE ''"])
        XCTAssertEqual(statements(#"SELECT 1 AS U&"a""b;c"; COMMIT"#), [#"SELECT 1 AS U&"""#, "COMMIT"])
    }

    func testAQuotedIdentifierHoldsQuotesAndSemicolons() {
        XCTAssertEqual(statements(#"CREATE TABLE "a"";COMMIT" (x int); COMMIT"#), [#"CREATE TABLE "" (x int)"#, "COMMIT"])
        XCTAssertEqual(statements(#"SELECT 1 AS "it's; COMMIT""#), [#"SELECT 1 AS """#])
    }

    func testADollarQuoteEndsAtItsOwnTag() {
        XCTAssertEqual(statements("DO $fn$ BEGIN RAISE NOTICE '$$'; COMMIT; END $fn$; SELECT 1"),
                       ["DO  $body$ ", "SELECT 1"])
        XCTAssertEqual(statements("SELECT $a$ x $b$ ; $ab$ $a$; COMMIT"), ["SELECT  $body$ ", "COMMIT"])
        XCTAssertEqual(statements("SELECT $é$;$é$; COMMIT"), ["SELECT  $body$ ", "COMMIT"])
    }

    func testADollarInsideAnIdentifierOrAParameterOpensNoQuote() {
        XCTAssertEqual(statements("SELECT 1 AS x1$a$; COMMIT; SELECT 2 AS x2$a$"),
                       ["SELECT 1 AS x1$a$", "COMMIT", "SELECT 2 AS x2$a$"])
        XCTAssertEqual(statements("SELECT $1$a$; COMMIT; $a$"), ["SELECT $1 $body$ "])
    }

    func testCommentsNestAndALineCommentEndsAtEitherNewline() {
        XCTAssertEqual(statements("/* a /* b */ ; COMMIT; */ SELECT 1"), ["SELECT 1"])
        XCTAssertEqual(statements("SELECT 1 /* a **/ ; COMMIT"), ["SELECT 1   ", "COMMIT"])
        XCTAssertEqual(statements("SELECT 1 -- ; COMMIT\nCOMMIT"), ["SELECT 1 \nCOMMIT"])
        XCTAssertEqual(statements("SELECT 1; -- note\rCOMMIT"), ["SELECT 1", "COMMIT"])
        XCTAssertEqual(statements("SELECT 1 +/* ; */ 2"), ["SELECT 1 +  2"])
    }

    /// Each of these commits half a migration on the server; each is refused.
    func testEveryHiddenCommitIsRefused() {
        for sql in [
            #"CREATE TABLE t(i int); SELECT E'\''; COMMIT; SELECT ''; DO $$ BEGIN RAISE EXCEPTION 'x'; END $$;"#,
            "CREATE TABLE t(i int); SELECT E'a'\n'\\''; COMMIT; SELECT ''; SELECT 1/0;",
            "CREATE TABLE t(i int); -- note\rCOMMIT; SELECT 1/0;",
            "CREATE TABLE t(i int); SELECT 1 AS x1$a$; COMMIT; SELECT 2 AS x2$a$; SELECT 1/0;",
            "CREATE TABLE t(i int);\nEND;\nSELECT 1/0;",
        ] {
            XCTAssertTrue(isRefused(sql), sql)
        }
    }

    func testAPlpgsqlBeginEndIsNotTransactionControl() {
        for sql in [
            "DO $$ BEGIN PERFORM 1; END $$",
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$\nBEGIN\n  RAISE NOTICE '$$ COMMIT; $$';\nEND\n$fn$",
            "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;\nCOMMENT ON PROCEDURE p() IS 'BEGIN; COMMIT';",
        ] {
            XCTAssertFalse(isRefused(sql), sql)
        }
    }

    /// The server agrees: it runs as many statements as the script is split
    /// into (its command tags), for each kind of text that hides a `;`.
    func testTheServerRunsTheStatementsTheScriptIsSplitInto() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let scripts = [
            #"SELECT E'\''; SELECT e'\\'; SELECT E'it\'s; a'; SELECT E'a''b;'"#,
            "SELECT E'a'\n'\\';'; SELECT E'b' -- ;\n  ';'",
            #"SELECT '\'; SELECT ''';'; SELECT texT'\'"#,
            #"SELECT U&'d\0061t\+000061;'; SELECT 1 AS U&"a""b;c"; SELECT 1 AS "x"";""#,
            "DO $fn$ BEGIN RAISE NOTICE '$$;'; END $fn$; SELECT $a$ ; $ab$ $a$",
            "SELECT 1 AS x1$a$; SELECT 2 AS x2$a$",
            "/* a /* ; */ ; */ SELECT 1; -- ;\rSELECT 2; SELECT 3 +/* ; */ 4",
        ]
        for script in scripts {
            try connection.execute("BEGIN")
            let run = connection.runScript(script)
            _ = try? connection.execute("ROLLBACK")
            XCTAssertNil(run.error, "\(script): \(run.error?.message ?? "")")
            XCTAssertEqual(run.commandTags.count, statements(script).count, script)
        }
    }

    /// The statement lexer's fuzz corpus (seeds, and every input that once
    /// made the target fail): wherever the server runs a script whole, it
    /// runs the statements the split finds. A script the server refuses
    /// says nothing either way.
    func testTheServerRunsTheStatementsOfEachFuzzCorpusScript() throws {
        let db = try TestDatabase()
        let connection = try db.connect()
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/sqlscript")
        var compared = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted() {
            let script = String(decoding: try Data(contentsOf: corpus.appendingPathComponent(file)), as: UTF8.self)
            try connection.execute("BEGIN")
            let run = connection.runScript(script)
            _ = try? connection.execute("ROLLBACK")
            guard run.error == nil else { continue }
            compared += 1
            XCTAssertEqual(run.commandTags.count, statements(script).count, file)
        }
        XCTAssertGreaterThan(compared, 0, "no corpus script runs whole")
    }
}
