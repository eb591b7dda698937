@testable import AprKit
import Foundation
import XCTest

/// `:name` → `$n`, the expectations, and binding `--param` values: each
/// usage error has its own test.
final class ReadbackParametersTests: XCTestCase {
    func numbered(_ sql: String) throws -> NamedParameters { try NamedParameters(numbering: sql) }

    func testNamesBecomeNumbersOneNumberPerName() throws {
        let p = try numbered("SELECT :b, :a, :b, x::text, :a::int FROM t WHERE y = :c_1")
        XCTAssertEqual(p.sql, "SELECT $1, $2, $1, x::text, $2::int FROM t WHERE y = $3")
        XCTAssertEqual(p.names, ["b", "a", "c_1"])
    }

    func testQuotedTextAndCommentsKeepTheirColons() throws {
        let sql = """
            SELECT ':a', E'\\':b', "col:c", $$ :d $$, $t$ :e $t$, 'it''s :f' -- :g
            /* :h /* :i */ :j */ , :k
            """
        let p = try numbered(sql)
        XCTAssertEqual(p.names, ["k"])
        XCTAssertEqual(p.sql, sql.replacingOccurrences(of: ", :k", with: ", $1"))
    }

    func testHandWrittenPositionalParametersAreRefused() {
        XCTAssertThrowsError(try numbered("SELECT $1"))
        XCTAssertNoThrow(try numbered("SELECT 'costs $1', a$1 FROM t"))
    }

    func testParametersAreReadAsTheServerReadsTheSQLSent() throws {
        // $1 after a number is a parameter to the server; in a word it is the word's.
        XCTAssertThrowsError(try numbered("SELECT 1$1")) { XCTAssertEqual($0 as? NamedParameters.Problem, .positionalParameter) }
        XCTAssertEqual(try numbered("SELECT é$1, x$1 FROM t").names, [])
        // A name is the whole word after the colon: never half a word.
        XCTAssertThrowsError(try numbered("SELECT :a$b$ FROM t")) {
            XCTAssertEqual($0 as? NamedParameters.Problem, .invalidName("a$b$"))
        }
        XCTAssertThrowsError(try numbered("SELECT :aé")) { XCTAssertEqual($0 as? NamedParameters.Problem, .invalidName("aé")) }
        // The $n sent never joins the word before it into one.
        XCTAssertEqual(try numbered("SELECT arr[lo:hi], $:a").sql, "SELECT arr[lo $1], $ $2")
        // An E'' string after a colon stays one: E is no name there.
        XCTAssertEqual(try numbered(#"SELECT :E'\'', :b"#).names, ["b"])
    }

    func testExpectations() throws {
        func holds(_ expectation: String, _ found: String?, _ params: [String: String?] = [:]) throws -> Bool {
            try Expectation(expectation).holds(for: found, parameters: params)
        }
        XCTAssertTrue(try holds("= 1", "1"))
        XCTAssertFalse(try holds("= 1", "2"))
        XCTAssertTrue(try holds("= 'a b'", "a b"))
        XCTAssertTrue(try holds("= 'it''s'", "it's"))
        XCTAssertTrue(try holds("= false", "f"))
        XCTAssertTrue(try holds("= t", "t"))
        XCTAssertTrue(try holds("<> active", "revoked"))
        XCTAssertTrue(try holds("!= active", "revoked"))
        XCTAssertFalse(try holds("<> active", nil), "a comparison with null never holds")
        XCTAssertFalse(try holds("= 1", nil))
        XCTAssertTrue(try holds("> 0", "3"))
        XCTAssertFalse(try holds("> 0", "0"))
        XCTAssertTrue(try holds(">= 0", "0"))
        XCTAssertTrue(try holds("< 1.5", "1.25"))
        XCTAssertTrue(try holds("<= 9223372036854775807", "9223372036854775807"))
        XCTAssertFalse(try holds("> 0", "zero"), "a value that is no number fails a numeric test")
        XCTAssertTrue(try holds("is null", nil))
        XCTAssertFalse(try holds("is null", ""))
        XCTAssertTrue(try holds("IS NOT  NULL", ""))
        XCTAssertTrue(try holds("= :apr", "APR-000001", ["apr": "APR-000001"]))
        XCTAssertFalse(try holds("= :sha", nil, ["sha": String?.none]), "null = null does not hold")
        XCTAssertEqual(try Expectation("= :apr").described(parameters: ["apr": "APR-000007"]), "= APR-000007")
        for bad in ["", "== 1", "> many", "= ", "= 'open", "= 'a'b'", "= :1x", "was 1"] {
            XCTAssertThrowsError(try Expectation(bad), bad)
        }
    }

    let checklist = try! Checklist(parsing: "-- name: a\n-- expect: = :apr\nSELECT :target || :digest", name: "test")

    func bind(_ params: [String], digests: [String] = []) throws -> [String: String?] {
        try ReadbackParameters(for: checklist, params: params, fileDigests: digests).values
    }

    func assertUsage(_ params: [String], digests: [String] = [], _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try bind(params, digests: digests), file: file, line: line) { error in
            XCTAssertEqual((error as? Refusal)?.reason, reason, "\(error)", file: file, line: line)
            XCTAssertEqual((error as? Refusal)?.status, .usage, file: file, line: line)
        }
    }

    static let accepted = ["apr=APR-000001", "target=x'; DROP TABLE t; --"]

    func testBindsValuesAsGivenAndFileDigests() throws {
        let file = NSTemporaryDirectory() + "readback-digest-\(getpid())"
        try Data("abc".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let values = try bind(Self.accepted, digests: ["digest=\(file)"])
        XCTAssertEqual(values["target"], "x'; DROP TABLE t; --")
        XCTAssertEqual(values["digest"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertNil(values["bundled_migrations"] ?? nil, "the bundled files are hashed only for a checklist that asks")
        let w1 = try Checklist(parsing: "-- name: w1\n-- expect: = t\nSELECT :bundled_migrations::jsonb IS NOT NULL",
                               name: "test")
        XCTAssertNotNil(try ReadbackParameters(for: w1).values["bundled_migrations"] ?? nil)
    }

    func testAnUnreadableFileBindsNull() throws {
        let values = try bind(Self.accepted, digests: ["digest=/nonexistent/file"])
        XCTAssertEqual(values["digest"], .some(nil))
    }

    func testAParameterWithoutEqualsIsRefused() {
        assertUsage(["apr", "target=x"], digests: ["digest=/x"], "bad_parameter")
    }

    func testAParameterGivenTwiceIsRefused() {
        assertUsage(Self.accepted + ["apr=APR-000002"], digests: ["digest=/x"], "bad_parameter")
    }

    func testABuiltInParameterCannotBeGiven() {
        assertUsage(Self.accepted + ["bundled_migrations={}"], digests: ["digest=/x"], "reserved_parameter")
    }

    func testAParameterTheChecklistDoesNotTakeIsRefused() {
        assertUsage(Self.accepted + ["arp=APR-000001"], digests: ["digest=/x"], "unknown_parameter")
    }

    func testAMissingParameterIsRefused() {
        assertUsage(Self.accepted, "missing_parameter")
    }

    func testLedgerHeadFile() throws {
        XCTAssertEqual(try LedgerHead(parsing: "", path: "f"), .genesis)
        let hash = String(repeating: "ab", count: 32)
        XCTAssertEqual(try LedgerHead(parsing: "12 \(hash)\n", path: "f"), LedgerHead(seq: 12, hash: hash))
        for bad in ["12", "x \(hash)", "12 \(hash.uppercased())", "-1 \(hash)", "0 \(hash)", "1 \(hash) 3"] {
            XCTAssertThrowsError(try LedgerHead(parsing: bad, path: "f"), bad) { error in
                XCTAssertEqual((error as? Refusal)?.reason, "bad_ledger_head")
            }
        }
        let path = NSTemporaryDirectory() + "readback-head-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LedgerHead(seq: 12, hash: hash).write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "12 \(hash)\n")
        XCTAssertEqual(try LedgerHead.read(from: path), LedgerHead(seq: 12, hash: hash))
        let litter = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("readback-head-\(getpid()).tmp") }
        XCTAssertEqual(litter, [])
    }
}
