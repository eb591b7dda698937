import Foundation
import XCTest
import _AprTestSupport

/// A stream of records through one apr-propose or apr-quorum: the calls are
/// pipelined, yet each record is its own transaction and its own line, in
/// input order, whatever its neighbours come to.
final class StreamTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func proposal(_ i: Int, ttl: Int = 3600) -> String {
        Fixtures.line(Fixtures.buildStep(target: "T\(i)", ttl: ttl))
    }

    /// What record `i` of the mixed stream is, and the reason it is refused
    /// for (nil: it is accepted).
    func mixed(_ i: Int) -> (line: String, reason: String?) {
        switch i % 7 {
        case 2: return ("{not json", "malformed_json")
        case 3: return (proposal(i, ttl: 700_000), "ttl_over_maximum")  // refused by the database
        case 5:
            return ([#"{"request_type":"authorize_build_step","action_code":"authorize_build_step","#,
                     #""proposed_action":{"target":"T\#(i)","manifest_hash":"\#(Fixtures.manifestHash)","ttl_seconds":60},"#,
                     #""session_code":"S-1","reason":"a\u0000b"}"#].joined(), "invalid_text")
        case 6:
            return ([#"{"request_type":"authorize_build_step","action_code":"authorize_build_step","#,
                     #""proposed_action":{"target":"T\#(i)","manifest_hash":"\#(Fixtures.manifestHash)","ttl_seconds":1e300},"#,
                     #""session_code":"S-1","reason":"r"}"#].joined(), "invalid_field")
        default: return (proposal(i), nil)
        }
    }

    /// 150 records, over two windows, good ones between refusals of every
    /// kind: one line each, in input order, only the good ones written,
    /// their APR codes in input order.
    func testMixedRecordsAcrossWindowsKeepTheirOrderAndOnlyTheGoodOnesCommit() throws {
        let records = (0..<150).map(mixed)
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")],
                               stdin: records.map(\.line).joined(separator: "\n") + "\n")
        let lines = run.lines
        XCTAssertEqual(lines.count, records.count, run.stderr)
        var codes: [String] = []
        for (i, (record, line)) in zip(records, lines).enumerated() {
            if let reason = record.reason {
                XCTAssertEqual(line["ok"] as? Bool, false, "record \(i)")
                XCTAssertEqual(line["reason"] as? String, reason, "record \(i)")
            } else {
                XCTAssertEqual(line["ok"] as? Bool, true, "record \(i): \(line)")
                XCTAssertEqual((line["proposed_action"] as? [String: Any])?["target"] as? String, "T\(i)")
                codes.append(line["apr_code"] as? String ?? "")
            }
        }
        XCTAssertEqual(codes, codes.sorted(), "committed in input order")
        XCTAssertEqual(run.status, 65, "bad input (65) is the worst status seen")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, records.filter { $0.reason != nil }.count)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests"), "\(codes.count)")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'propose'"), "\(codes.count)")
        XCTAssertEqual(try db.scalar("SELECT string_agg(apr_code, ',' ORDER BY apr_code) FROM apr_requests"),
                       codes.joined(separator: ","))
    }

    /// The last record refused by the database, after good ones: the good
    /// ones are still reported done, and are.
    func testARefusalAtTheEndLeavesTheRecordsBeforeItDone() throws {
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")],
                               stdin: [proposal(0), proposal(1), proposal(2, ttl: 700_000)].joined(separator: "\n"))
        XCTAssertEqual(run.lines.map { $0["ok"] as? Bool }, [true, true, false], run.description)
        XCTAssertEqual(run.lines.last?["reason"] as? String, "ttl_over_maximum")
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_requests"), "2")
    }

    /// A stream of nothing but refusals writes nothing at all.
    func testAStreamOfRefusalsWritesNothing() throws {
        let before = try db.contentDigest()
        let input = (0..<70).compactMap { i -> String? in let r = mixed(i); return r.reason == nil ? nil : r.line }
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: input.joined(separator: "\n"))
        XCTAssertEqual(run.lines.count, input.count, run.description)
        XCTAssertTrue(run.lines.allSatisfy { $0["ok"] as? Bool == false })
        XCTAssertEqual(try db.contentDigest(), before, "nothing written")
    }

    /// A vote stream: apr-propose's output piped into apr-quorum --vote,
    /// with a bad line, the same vote again on one APR and an unknown APR
    /// among the records: each its own line in order; only the good votes
    /// written, the repeated one answered unchanged.
    func testAVoteStreamVotesOnceARecordInOrder() throws {
        let proposed = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")],
                                    stdin: (0..<80).map { proposal($0) }.joined(separator: "\n"))
        XCTAssertEqual(proposed.status, 0, proposed.description)
        var input = proposed.stdout.split(separator: "\n").map(String.init)
        input.insert("{not json", at: 10)
        input.insert(input[20], at: 40)  // the same vote again on one APR
        input.insert(#"{"apr_code":"APR-999999"}"#, at: 70)
        let run = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "owner1"), "--vote", "approve"],
                               stdin: input.joined(separator: "\n") + "\n")
        let lines = run.lines
        XCTAssertEqual(lines.count, input.count, run.stderr)
        XCTAssertEqual(lines[10]["reason"] as? String, "malformed_json")
        XCTAssertEqual(lines[40]["unchanged"] as? Bool, true, "\(lines[40])")
        XCTAssertEqual(lines[70]["reason"] as? String, "unknown_apr")
        let voted = lines.enumerated().filter { ![10, 70].contains($0.offset) }
        XCTAssertTrue(voted.allSatisfy { $0.element["ok"] as? Bool == true }, run.stderr)
        let sent = input.enumerated().filter { ![10, 70].contains($0.offset) }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.element.utf8)) as? [String: Any])?["apr_code"] as? String
        }
        XCTAssertEqual(voted.map { $0.element["apr_code"] as? String }, sent, "in input order")
        XCTAssertEqual(run.status, 65)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes WHERE approver = 'owner1'"), "80")

        // The states of the same stream, read in order.
        let states = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "owner1")], stdin: proposed.stdout)
        XCTAssertEqual(states.lines.map { $0["apr_code"] as? String },
                       proposed.lines.map { $0["apr_code"] as? String })
        XCTAssertEqual(states.status, 2, "one approval of a high-risk APR: quorum not met")
    }

    /// The session ended from another one mid-stream: no record is reported
    /// done unless it is committed, every record after the loss is refused
    /// as database_unavailable, and the run exits 69.
    func testALostConnectionNeverReportsAnUncommittedRecordDone() throws {
        let db = self.db!
        let killer = Thread {
            guard let watcher = try? db.connect() else { return }
            for _ in 0..<4000 {
                if let n = try? watcher.execute("SELECT count(*) FROM apr_requests").value(0, 0), Int(n) ?? 0 >= 40 { break }
                usleep(2_000)
            }
            _ = try? watcher.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'apr-propose'
                """)
        }
        killer.start()
        let count = 400
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")],
                               stdin: (0..<count).map { proposal($0) }.joined(separator: "\n"))
        while !killer.isFinished { usleep(1_000) }
        let lines = run.lines
        XCTAssertEqual(lines.count, count, run.stderr)
        XCTAssertEqual(run.status, 69, run.description)
        let firstLost = try XCTUnwrap(lines.firstIndex { $0["ok"] as? Bool == false })
        XCTAssertGreaterThan(firstLost, 0)
        XCTAssertTrue(lines[firstLost...].allSatisfy { $0["reason"] as? String == "database_unavailable" })
        // Every record reported done is committed, as the line says.
        let done = lines[..<firstLost].map { $0["apr_code"] as? String ?? "" }
        XCTAssertEqual(try db.scalar("""
            SELECT count(*) FROM apr_requests WHERE apr_code = ANY(string_to_array($1, ','))
            """, [done.joined(separator: ",")]), "\(done.count)")
        for (i, line) in lines[..<firstLost].enumerated() {
            XCTAssertEqual((line["proposed_action"] as? [String: Any])?["target"] as? String, "T\(i)")
        }
        let committed = Int(try db.scalar("SELECT count(*) FROM apr_requests") ?? "") ?? -1
        XCTAssertGreaterThanOrEqual(committed, done.count)
        XCTAssertLessThan(committed, count, "the stream was cut short")
    }
}
