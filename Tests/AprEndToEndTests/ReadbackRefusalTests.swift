import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// Every reason readback refuses to run, each differing from the accepted
/// run in one fact: the JSON refusal on stdout, one line on stderr, the
/// documented exit status, and nothing written (the database's rows and the
/// saved ledger head's bytes are as they were).
final class ReadbackRefusalTests: XCTestCase {
    var db: TestDatabase!
    var directory: URL!
    var headFile: String { directory.appendingPathComponent("ledger.head").path }

    override func setUpWithError() throws {
        db = try TestDatabase()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("readback-refusals-\(db.name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The saved head is one event behind: an accepted run moves it on.
        let behind = try db.connect().execute("SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq DESC OFFSET 1 LIMIT 1").value(0, 0)!
        try Data((behind + "\n").utf8).write(to: URL(fileURLWithPath: headFile))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        db = nil
    }

    var accepted: [String] {
        ["-d", db.conninfo(), "--checklist", "ledger", "--ledger-head", headFile, "--write-ledger-head", headFile]
    }

    func run(_ args: [String], stdin: String = "") throws -> ToolRun {
        try Tool.run("readback", args, stdin: stdin)
    }

    func assertRefused(_ args: [String], stdin: String = "", _ status: Int32, _ reason: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try db.contentDigest()
        let head = try Data(contentsOf: URL(fileURLWithPath: headFile))
        let result = try run(args, stdin: stdin)
        XCTAssertEqual(result.status, status, result.description, file: file, line: line)
        XCTAssertEqual(result.lines.count, 1, result.description, file: file, line: line)
        XCTAssertEqual(result.json["ok"] as? Bool, false, file: file, line: line)
        XCTAssertEqual(result.json["result"] as? String, "FAIL", file: file, line: line)
        XCTAssertEqual(result.json["reason"] as? String, reason, file: file, line: line)
        let stderr = result.stderr.split(separator: "\n")
        XCTAssertEqual(stderr.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(stderr.first?.hasPrefix("readback: ") ?? false, result.stderr, file: file, line: line)
        XCTAssertEqual(try db.contentDigest(), rows, "the database changed", file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: headFile)), head, "the saved head changed", file: file, line: line)
    }

    func testTheAcceptedRunPassesAndMovesTheSavedHeadOn() throws {
        let result = try run(accepted)
        XCTAssertEqual(result.status, 0, result.description)
        let head = try db.connect().execute("SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq DESC LIMIT 1").value(0, 0)!
        XCTAssertEqual(try String(contentsOfFile: headFile, encoding: .utf8), head + "\n")
    }

    func testAnUnknownChecklistName() throws {
        try assertRefused(accepted.map { $0 == "ledger" ? "ledgr" : $0 }, 64, "unknown_checklist")
    }

    func testAMissingParameter() throws {
        var args = accepted
        args.removeSubrange(4...5)  // --ledger-head FILE
        try assertRefused(args, 64, "missing_parameter")
    }

    func testAParameterTheChecklistDoesNotTake() throws {
        try assertRefused(accepted + ["--param", "apr=APR-000001"], 64, "unknown_parameter")
    }

    func testABuiltInParameterGivenByHand() throws {
        try assertRefused(accepted + ["--param", "ledger_head_seq=0"], 64, "reserved_parameter")
    }

    func testAParameterWithoutAValue() throws {
        try assertRefused(accepted + ["--param", "apr"], 64, "bad_parameter")
    }

    func testAnUnknownFormat() throws {
        try assertRefused(accepted + ["--format", "xml"], 64, "usage")
    }

    func testAChecklistFileThatCannotBeRead() throws {
        try assertRefused(accepted.map { $0 == "ledger" ? "./no-such.checklist" : $0 }, 65, "unreadable_file")
    }

    func testAChecklistThatIsNotAChecklist() throws {
        try assertRefused(accepted.map { $0 == "ledger" ? "-" : $0 }, stdin: "SELECT 1;\n", 65, "bad_checklist")
    }

    func testAChecklistHoldingANulIsRefusedNotCutShort() throws {
        let text = try run(["--print-checklist", "ledger"]).stdout
        let fromStdin = accepted.map { $0 == "ledger" ? "-" : $0 }
        try assertRefused(fromStdin, stdin: text + "-- \u{0}\n", 65, "invalid_text")
        XCTAssertEqual(try run(fromStdin, stdin: text + "-- 0\n").status, 0, "the same checklist without the NUL passes")
    }

    func testASavedHeadThatIsNotAHead() throws {
        try Data("three abc\n".utf8).write(to: URL(fileURLWithPath: headFile))
        try assertRefused(accepted, 65, "bad_ledger_head")
    }

    func testASavedHeadThatIsMissing() throws {
        var args = accepted
        args[5] = directory.appendingPathComponent("missing.head").path
        try assertRefused(args, 65, "unreadable_file")
    }

    func testAHeadThatCannotBeSaved() throws {
        var args = accepted
        args[7] = directory.appendingPathComponent("no-such-directory/ledger.head").path
        try assertRefused(args, 70, "ledger_head_not_saved")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["ledger.head"], "no litter")
    }

    func testAnUnreachableDatabase() throws {
        try assertRefused(["-d", "host=\(directory.path) dbname=\(db.name)"] + accepted.dropFirst(2), 69, "database_unavailable")
    }

    func testAnUnreachableDatabaseInTheOtherFormats() throws {
        let args = ["-d", "host=\(directory.path) dbname=\(db.name)"] + accepted.dropFirst(2)
        let tap = try run(args + ["--format", "tap"])
        XCTAssertEqual(tap.status, 69)
        XCTAssertTrue(tap.stdout.hasPrefix("TAP version 13\nBail out! cannot reach the database"), tap.stdout)
        let prom = try run(args + ["--format", "prom"])
        XCTAssertEqual(prom.status, 69)
        XCTAssertTrue(prom.stdout.contains("aprkit_readback_exit_status{checklist=\"ledger\"} 69\n"), prom.stdout)
        XCTAssertFalse(prom.stdout.contains("aprkit_readback_item_ok"))
    }

    func testHelpAndVersion() throws {
        XCTAssertEqual(try run(["--help"]).status, 0)
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
        let unknown = try run(["--print-checklist", "nope"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.json["reason"] as? String, "unknown_checklist")
    }
}
