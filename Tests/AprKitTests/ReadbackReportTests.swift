@testable import AprKit
import Foundation
import XCTest

/// The three output formats, compared byte for byte with golden files in
/// Tests/Fixtures/readback (regenerate with READBACK_GOLDEN_UPDATE=1).
final class ReadbackReportTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/readback")

    func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.fixtures.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["READBACK_GOLDEN_UPDATE"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(actual, try String(contentsOf: url, encoding: .utf8), name, file: file, line: line)
    }

    /// One item passes, one finds the wrong value, one finds null, one's query fails.
    func result() throws -> ReadbackResult {
        let list = try Checklist(parsing: """
            -- name: grant_count
            -- expect: = 1
            SELECT count(*) FROM governance_build_authorization;
            -- name: grant_commit_allowed
            -- expect: = false
            SELECT commit_allowed FROM governance_build_authorization WHERE request_ref = :apr;
            -- name: grant_scope_target
            -- expect: = :target
            SELECT scope ->> 'target' FROM governance_build_authorization WHERE request_ref = :apr;
            -- name: deploy_status
            -- expect: = success
            SELECT status FROM vps_deploy_log;
            """, name: "post-\"grant\"")
        let params: [String: String?] = ["apr": "APR-000001", "target": "DOT_C1_VOCAB_BUILD"]
        let items = list.items
        return ReadbackResult(checklist: list, items: [
            ItemResult(item: items[0], parameters: params, found: "1", problem: nil),
            ItemResult(item: items[1], parameters: params, found: "t", problem: nil),
            ItemResult(item: items[2], parameters: params, found: nil, problem: nil),
            ItemResult(item: items[3], parameters: params, found: nil, problem: "the query failed: relation \"vps_deploy_log\" does not exist"),
        ], ledgerHead: nil)
    }

    func testJSONLinesThenASummaryRefusal() throws {
        let report = ReadbackReport(try result(), format: .json, timestamp: 1_700_000_000)
        XCTAssertEqual(report.status, .fail)
        try assertGolden(report.stdout, "report.json")
        XCTAssertEqual(report.stderr, [
            "grant_commit_allowed: expected = false, found t",
            "grant_scope_target: expected = DOT_C1_VOCAB_BUILD, found null",
            "deploy_status: expected = success, but the query failed: relation \"vps_deploy_log\" does not exist",
            "3 of 4 items of post-\"grant\" failed: grant_commit_allowed, grant_scope_target, deploy_status (readback_failed)",
        ])
    }

    func testTAP() throws {
        try assertGolden(ReadbackReport(try result(), format: .tap, timestamp: 1_700_000_000).stdout, "report.tap")
    }

    func testPrometheusTextfile() throws {
        try assertGolden(ReadbackReport(try result(), format: .prom, timestamp: 1_700_000_000).stdout, "report.prom")
    }

    func testARefusalInEachFormat() throws {
        let refusal = Refusal("database_unavailable", "cannot reach the database: no such socket")
        for format in ReadbackFormat.allCases {
            let report = ReadbackReport(refusal, checklist: "ledger", format: format, timestamp: 1_700_000_000)
            XCTAssertEqual(report.status, .unavailable)
            XCTAssertEqual(report.stderr, ["cannot reach the database: no such socket (database_unavailable)"])
            try assertGolden(report.stdout, "refusal.\(format.rawValue)")
        }
    }

    func testAPassingRunSavesItsHeadAndSaysWhere() throws {
        let list = try Checklist(parsing: "-- name: a\n-- expect: = 1\nSELECT 1", name: "ledger")
        let head = LedgerHead(seq: 3, hash: String(repeating: "e", count: 64))
        let passed = ReadbackResult(checklist: list, items: [ItemResult(item: list.items[0], parameters: [:], found: "1", problem: nil)],
                                    ledgerHead: head)
        let report = ReadbackReport(passed, format: .json, timestamp: 0, savedHead: "/var/lib/aprkit/ledger.head")
        XCTAssertEqual(report.status, .ok)
        XCTAssertEqual(report.stderr, [])
        XCTAssertEqual(report.stdout.split(separator: "\n").last, """
            {"ok":true,"checklist":"ledger","items":1,"passed":1,"failed":0,"ledger_head":{"seq":3,"hash":"\(head.hash)"},"ledger_head_saved":"/var/lib/aprkit/ledger.head"}
            """)
    }
}
