@testable import AprKit
import XCTest

/// The checklist text format: what parses, and one test per reason a
/// checklist is refused, each differing from the accepted one in one fact.
final class ChecklistTests: XCTestCase {
    static let good = """
        -- a preamble of comments
        -- name: grant_status
        -- expect: = 'active'
        -- a comment inside the item
        SELECT status FROM governance_build_authorization WHERE request_ref = :apr;

        -- the next item's heading
        -- name: grant_count
        -- expect: > 0
        SELECT count(*)
          FROM governance_build_authorization
         WHERE request_ref = :apr AND scope ->> 'target' = :target
        """

    func parse(_ text: String) throws -> Checklist { try Checklist(parsing: text, name: "test") }

    func assertRefused(_ text: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            let refusal = error as? Refusal
            XCTAssertEqual(refusal?.reason, reason, "\(error)", file: file, line: line)
            XCTAssertEqual(refusal?.status, .dataError, file: file, line: line)
        }
    }

    func testParsesItemsTheirExpectationsQueriesAndParameters() throws {
        let list = try parse(Self.good)
        XCTAssertEqual(list.items.map(\.name), ["grant_status", "grant_count"])
        XCTAssertEqual(list.items.map(\.line), [2, 8])
        XCTAssertEqual(list.items[0].expectation.description, "= active")
        XCTAssertEqual(list.items[0].query.sql, """
            -- a comment inside the item
            SELECT status FROM governance_build_authorization WHERE request_ref = $1
            """)
        XCTAssertEqual(list.items[1].query.names, ["apr", "target"])
        XCTAssertTrue(list.items[1].query.sql.hasSuffix("WHERE request_ref = $1 AND scope ->> 'target' = $2"))
        XCTAssertEqual(list.parameters, ["apr", "target"])
    }

    func testAcceptsCRLFLineEnds() throws {
        let list = try parse(Self.good.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"))
        XCTAssertEqual(list.items.map(\.name), ["grant_status", "grant_count"])
    }

    func testAnExpectationMayReadAParameter() throws {
        let list = try parse("-- name: a\n-- expect: = :apr\nSELECT 1")
        XCTAssertEqual(list.parameters, ["apr"])
    }

    func testSQLBeforeTheFirstItemIsRefused() {
        assertRefused("SELECT 1;\n" + Self.good, "bad_checklist")
    }

    func testABadItemNameIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "name: grant_count", with: "name: grant-count"), "bad_checklist")
    }

    func testAnItemWithoutExpectationIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "-- expect: > 0\n", with: ""), "bad_checklist")
    }

    func testAnExpectationAfterTheQueryStartedIsRefused() {
        let moved = Self.good.replacingOccurrences(of: "-- expect: > 0\nSELECT count(*)", with: "SELECT count(*)\n-- expect: > 0")
        assertRefused(moved, "bad_checklist")
    }

    func testASecondExpectationIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "-- expect: > 0\n", with: "-- expect: > 0\n-- expect: = 1\n"), "bad_checklist")
    }

    func testAnItemWithoutQueryIsRefused() {
        assertRefused(Self.good + "\n-- name: empty\n-- expect: = 1\n-- only a comment\n", "bad_checklist")
    }

    func testPositionalParametersAreRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "request_ref = :apr;", with: "request_ref = $1;"), "bad_checklist")
    }

    func testAColonAndAWordThatIsNoParameterNameIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "request_ref = :apr;", with: "request_ref = :apr$x;"), "bad_checklist")
    }

    func testABadExpectationIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "-- expect: > 0", with: "-- expect: > many"), "bad_expectation")
    }

    func testADuplicateItemNameIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "name: grant_count", with: "name: grant_status"), "duplicate_item")
    }

    func testAStatementThatIsNoQueryIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "SELECT status FROM", with: "DELETE FROM"), "not_a_query")
        assertRefused(Self.good.replacingOccurrences(of: "SELECT status FROM governance_build_authorization WHERE request_ref = :apr;",
                                                     with: "COMMIT"), "not_a_query")
    }

    func testASecondStatementIsRefused() {
        assertRefused(Self.good.replacingOccurrences(of: "request_ref = :apr;\n", with: "request_ref = :apr; UPDATE apr_requests SET reason = 'x';\n"),
                      "not_a_query")
    }

    func testAChecklistWithoutItemsIsRefused() {
        assertRefused("-- only comments\n\n", "empty_checklist")
    }

    func testQueriesMayStartWithWithValuesTableOrAParenthesis() throws {
        for query in ["WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1)", "TABLE gov_ledger_head", "(SELECT 1)"] {
            XCTAssertNoThrow(try parse("-- name: a\n-- expect: = 1\n\(query);"), query)
        }
    }

    func testBuiltinChecklistsParseAndTakeTheDocumentedParameters() throws {
        let expected = [
            "post-grant": ["apr", "grants_before", "handler_file", "handler_ref", "ledger_verify_from_hash", "ledger_verify_from_seq",
                           "target"],
            "prewrite": ["action", "apr", "bundled_migrations", "bundled_repeatables", "handler_file", "handler_file_sha256", "handler_ref",
                         "ledger_verify_from_hash", "ledger_verify_from_seq", "target"],
            "ledger": ["ledger_head_hash", "ledger_head_seq", "ledger_verify_from_hash", "ledger_verify_from_seq"],
        ]
        for name in Checklist.builtinNames {
            let list = try Checklist.load(name)
            XCTAssertEqual(list.name, name)
            XCTAssertEqual(list.parameters, expected[name], name)
        }
        XCTAssertEqual(try Checklist.load("post-grant").items.count, 15)
        XCTAssertEqual(try Checklist.load("prewrite").items.map(\.name), [
            "W1_schema_current", "W2_ledger_intact", "W3_action_registered", "W4_quorum_policy",
            "W5_no_other_open_apr", "W6_handler_syntax_checked", "W7_handler_bound_and_implemented",
            "W8_handler_deploy_known_good", "W9_no_stale_or_duplicate_grant",
        ])
    }

    func testAnUnknownBareNameIsAUsageErrorAndAPathIsAFile() {
        XCTAssertThrowsError(try Checklist.load("post-grnat")) { error in
            XCTAssertEqual((error as? Refusal)?.reason, "unknown_checklist")
            XCTAssertEqual((error as? Refusal)?.status, .usage)
        }
        XCTAssertThrowsError(try Checklist.load("./no-such.checklist")) { error in
            XCTAssertEqual((error as? Refusal)?.reason, "unreadable_file")
        }
        XCTAssertEqual(Checklist.label(forPath: "/etc/aprkit/nightly.checklist"), "nightly")
        XCTAssertEqual(Checklist.label(forPath: "-"), "stdin")
    }
}
