import XCTest
import _AprTestSupport

/// apr-propose, run as a user runs it: stdin in, one JSON line out per record.
final class ProposeTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func propose(_ input: String, _ args: [String] = [], as role: String = "proposer") throws -> ToolRun {
        try Tool.run("apr-propose", ["-d", db.conninfo(as: role)] + args, stdin: input)
    }

    func testCreatesAnAprWithItsLedgerEvent() throws {
        let run = try propose(Fixtures.line(Fixtures.buildStep()))
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["ok"] as? Bool, true)
        XCTAssertEqual(run.json["apr_code"] as? String, "APR-000001")
        XCTAssertEqual(run.json["status"] as? String, "proposed")
        XCTAssertEqual(run.json["proposed_by"] as? String, "proposer")
        XCTAssertEqual((run.json["payload_sha256"] as? String)?.count, 64)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'propose' AND apr_code = 'APR-000001'"), "1")
        XCTAssertEqual(try db.scalar("SELECT apr_payload_sha256(proposed_action) = payload_sha256 FROM apr_requests"), "t")
    }

    /// Past APR-999999 a code takes a seventh digit, never colliding with
    /// an earlier one.
    func testCodesPastSixDigitsGrowAWidthAndNeverCollide() throws {
        try db.scalar("SELECT setval('apr_code_seq', 999999)")
        let run = try propose(Fixtures.line(Fixtures.buildStep()) + "\n" + Fixtures.line(Fixtures.buildStep()) + "\n")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.map { $0["apr_code"] as? String }, ["APR-1000000", "APR-1000001"])
    }

    func testDryRunPrintsTheAprAndWritesNothing() throws {
        let before = try db.contentDigest()
        let seq = try db.scalar("SELECT last_value FROM apr_code_seq")
        let run = try propose(Fixtures.line(Fixtures.buildStep()), ["--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["dry_run"] as? Bool, true)
        XCTAssertEqual(run.json["status"] as? String, "proposed")
        XCTAssertEqual(try db.contentDigest(), before)
        XCTAssertEqual(try db.scalar("SELECT last_value FROM apr_code_seq"), seq)
    }

    func testStreamsNdjsonOneLineOutPerLineInAndExitsWithTheWorst() throws {
        let good = Fixtures.line(Fixtures.buildStep())
        var unknown = Fixtures.buildStep()
        unknown["action_code"] = "no_such_action"
        let input = [good, "{not json", good, Fixtures.line(unknown), good].joined(separator: "\n") + "\n"
        let run = try propose(input)
        let lines = run.lines
        XCTAssertEqual(lines.count, 5, run.description)
        XCTAssertEqual(lines.map { $0["ok"] as? Bool }, [true, false, true, false, true])
        XCTAssertEqual(lines[1]["reason"] as? String, "malformed_json")
        XCTAssertEqual(lines[3]["reason"] as? String, "unknown_action")
        XCTAssertEqual(run.status, 65, "malformed JSON (65) is worse than a refusal (1)")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests"), "3")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 2, "one stderr line per refusal")
    }

    func testAcceptsOnePrettyPrintedObject() throws {
        let pretty = String(decoding: try JSONSerialization.data(withJSONObject: Fixtures.buildStep(), options: [.prettyPrinted]), as: UTF8.self)
        XCTAssertTrue(pretty.contains("\n"))
        let run = try propose(pretty)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 1)
    }
}
