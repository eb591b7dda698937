import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// apr-execute --pending on several hosts at once: four drainers over 1,000
/// approved APRs (APRKIT_STRESS_SCALE percent of them) whose external arm
/// appends each APR code to a file. Each APR is dispatched exactly once.
final class PendingDrainTests: XCTestCase {
    func testFourDrainersDispatchEachOfAThousandAprsOnce() throws {
        let db = try TestDatabase()
        let count = GrantRaceTests.scaled(1000), drainers = 4
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-drain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let handlers = base.appendingPathComponent("handlers")
        try FileManager.default.createDirectory(at: handlers, withIntermediateDirectories: true)
        let log = base.appendingPathComponent("dispatched")
        // A low-risk test action, and its external arm installed the
        // governed way (a handler file runs only as its governed deploy).
        try db.addActionType("test_append", fields: [("item", "integer")])
        try db.installHandler("test_append", in: handlers.path, content: """
            #!/bin/bash
            set -euo pipefail
            cat >/dev/null
            printf '%s\\n' "$APR_CODE" >> "\(log.path)"
            printf '{"appended": "%s"}\\n' "$APR_CODE"

            """)
        let env = ["APR_HANDLERS_DIR": handlers.path]
        let bind = try Tool.run("handler-bind", ["-d", db.conninfo(), "--staged-dir", base.appendingPathComponent("staged").path,
                                                 "--action", "test_append", "--handler", "apr-execute:test_append"], env: env)
        XCTAssertEqual(bind.status, 0, bind.description)
        try db.connect(as: "proposer").execute("""
            SELECT count(apr_propose('test_append', 'test_append', jsonb_build_object('item', g), 'S-LOAD', 'load test'))
              FROM generate_series(1, $1::int) g
            """, [String(count)])
        try db.connect(as: "eng1").execute("""
            SELECT count(apr_vote(apr_code, 'approve', NULL))
              FROM (SELECT apr_code FROM apr_requests WHERE action_code = 'test_append' ORDER BY apr_code) a
            """)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests WHERE status = 'approved'"), String(count))

        let started = Date()
        let launched = try (0..<drainers).map { _ in
            try LaunchedTool("apr-execute", ["-d", db.conninfo(as: "executor"), "--pending"], env: env)
        }
        let runs = launched.map { $0.wait() }
        let seconds = Date().timeIntervalSince(started)

        for run in runs {
            XCTAssertEqual(run.status, 0, String(run.description.prefix(2000)))
            XCTAssertEqual(run.stderr, "")
        }
        let reported = runs.flatMap { $0.lines }.compactMap { $0["apr_code"] as? String }
        XCTAssertEqual(reported.count, count, "one line per APR across the drainers")
        XCTAssertEqual(Set(reported).count, count)
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, count, "each APR dispatched exactly once")
        XCTAssertEqual(Set(lines).count, count)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests WHERE status = 'applied' AND action_code = 'test_append'"), String(count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_dispatches WHERE outcome = 'applied' AND arm = 'test_append'"), String(count))
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'dispatch'"), String(count))
        XCTAssertEqual(try db.ledgerChain(), "intact")
        let shares = runs.map { String($0.lines.count) }.joined(separator: "+")
        print("pending drain: \(drainers) drainers over \(count) APRs: \(lines.count) dispatches (\(Set(lines).count) distinct), shares \(shares), \(String(format: "%.1f", seconds)) s")
    }
}
