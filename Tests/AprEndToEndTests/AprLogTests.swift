import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// apr-log: the ledger as NDJSON, its filters, and --follow, which streams
/// each event as it commits and resumes by seq without a gap or a repeat.
final class AprLogTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func log(_ args: [String], as role: String = "eng1") throws -> ToolRun {
        try Tool.run("apr-log", ["-d", db.conninfo(as: role)] + args)
    }

    func seqs(_ run: ToolRun) -> [Int] { run.lines.compactMap { $0["seq"] as? Int } }

    func maxSeq() throws -> Int { Int(try db.scalar("SELECT coalesce(max(seq), 0) FROM gov_ledger")!)! }

    /// Appends `count` events of kind `event` in one transaction, as the
    /// schema owner can.
    func append(_ count: Int, event: String = "test_event", on connection: Connection? = nil) throws {
        try (connection ?? db.connect()).execute(
            "SELECT count(gov_ledger_append($1, NULL, 's' || g, '{}')) FROM generate_series(1, $2::int) g",
            [event, String(count)])
    }

    // MARK: reading

    func testItPrintsEveryEventOldestFirstWithItsFields() throws {
        let apr = try db.approved()
        let run = try log([])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(seqs(run), Array(1...(try maxSeq())))
        let first = String(run.stdout.split(separator: "\n")[0])
        XCTAssertTrue(first.hasPrefix(#"{"seq":1,"event":"migrate","apr_code":null,"subject":"001","actor":""#), first)
        let keys = ["seq", "event", "apr_code", "subject", "actor", "payload", "created_at", "hash", "prev_hash"]
        for line in run.stdout.split(separator: "\n") {
            let positions = keys.map { line.range(of: "\"\($0)\":")!.lowerBound }
            XCTAssertEqual(positions, positions.sorted(), "fields in the documented order: \(line)")
        }
        let vote = try XCTUnwrap(run.lines.last { $0["event"] as? String == "vote" })
        XCTAssertEqual(vote["apr_code"] as? String, apr.code)
        XCTAssertEqual(vote["actor"] as? String, "owner2")
        let seq = vote["seq"] as! Int
        XCTAssertEqual(vote["hash"] as? String, try db.scalar("SELECT hash FROM gov_ledger WHERE seq = $1", [String(seq)]))
        XCTAssertEqual(vote["prev_hash"] as? String, try db.scalar("SELECT hash FROM gov_ledger WHERE seq = $1", [String(seq - 1)]))
        XCTAssertTrue((vote["created_at"] as? String ?? "").hasSuffix("+00:00"), "UTC whatever the session's time zone")
        // The payload exactly as the link hash reads it.
        let payloadText = try db.scalar("SELECT payload::text FROM gov_ledger WHERE seq = $1", [String(seq)])!
        XCTAssertTrue(run.stdout.contains(#""payload":"# + payloadText + #","created_at""#))
    }

    func testFilters() throws {
        let a = try db.approved().code
        let b = try db.propose().code
        try db.vote(b, "reject", by: ["eng1"])

        let ofA = try log(["--apr", a])
        XCTAssertEqual(ofA.status, 0, ofA.description)
        XCTAssertEqual(ofA.lines.map { $0["apr_code"] as? String }, Array(repeating: a, count: ofA.lines.count))
        XCTAssertEqual(Int(try db.scalar("SELECT count(*) FROM gov_ledger WHERE apr_code = $1", [a])!), ofA.lines.count)

        let votes = try log(["--event", "vote"])
        XCTAssertEqual(votes.lines.map { $0["event"] as? String }, ["vote", "vote", "vote"])
        let two = try log(["--event", "vote", "--event", "propose"])
        XCTAssertEqual(two.lines.count, 5, two.stdout)
        XCTAssertEqual(seqs(two), seqs(two).sorted())
        let votesOfB = try log(["--event", "vote", "--apr", b])
        XCTAssertEqual(votesOfB.lines.count, 1)
        XCTAssertEqual(votesOfB.json["actor"] as? String, "eng1")

        let all = seqs(try log([]))
        let since = try log(["--since-seq", String(all[all.count - 3])])
        XCTAssertEqual(seqs(since), Array(all.suffix(2)))
        XCTAssertEqual(seqs(try log(["--limit", "4"])), [1, 2, 3, 4])
        XCTAssertEqual(seqs(try log(["--since-seq", "2", "--limit", "2"])), [3, 4])
        let none = try log(["--since-seq", String(all.last!)])
        XCTAssertEqual(none.status, 0)
        XCTAssertEqual(none.stdout, "", "nothing after the head: no line")
    }

    func testBadOptionsAreUsageErrorsAndWriteNothing() throws {
        let before = try db.contentDigest()
        for args in [["--limit", "0"], ["--limit", "x"], ["--since-seq", "-1"], ["--event", "Vote"],
                     ["--event", ""], ["--apr", "APR-12x"], ["--follow", "extra"]] {
            let run = try log(args)
            XCTAssertEqual(run.status, 64, "\(args): \(run)")
            XCTAssertEqual(run.lines.count, 1, run.stdout)
            XCTAssertEqual(run.json["reason"] as? String, "usage")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasPrefix("apr-log: "), run.stderr)
        }
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testARoleWithoutTheReaderGrantIsRefused() throws {
        try TestCluster.ensureRole("nobody_log", groups: [])
        let before = try db.contentDigest()
        let run = try log([], as: "nobody_log")
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "not_a_reader")
        XCTAssertEqual(try db.contentDigest(), before)
    }

    func testAClosedPipeEndsItQuietly() throws {
        try append(3000)
        for follow in [false, true] {
            let script = "set -o pipefail; \"$0\" -d \"$1\" \(follow ? "--follow" : "") | head -n 1 >/dev/null; echo \"status ${PIPESTATUS[0]}\""
            let run = try Tool.run("/bin/bash", ["-c", script, "\(Tool.binDir)/apr-log", db.conninfo(as: "eng1")])
            XCTAssertEqual(run.stdout, "status 0\n", "follow=\(follow): \(run)")
            XCTAssertEqual(run.stderr, "", "quiet")
        }
    }

    // MARK: following

    func testFollowPrintsEachEventAsItCommitsOnlyThoseAsked() throws {
        let follower = try Follower(db: db, ["--follow", "--event", "vote", "--event", "propose"])
        try db.waitForIdleSession("apr-log", running: "%gov_ledger_events%")
        let apr = try db.propose()
        try follower.waitForLines(1)
        XCTAssertEqual(follower.lines.first?["apr_code"] as? String, apr.code, "printed as it committed")
        try db.vote(apr.code, by: ["owner1", "owner2"])
        try append(20)  // other kinds: not printed
        let other = try db.propose()
        try follower.waitForLines(4)
        let run = follower.stop()
        XCTAssertEqual(run.lines.map { $0["event"] as? String }, ["propose", "vote", "vote", "propose"], run.stdout)
        XCTAssertEqual(run.lines.last?["apr_code"] as? String, other.code)
        XCTAssertEqual(run.stderr, "")
    }

    func testFollowReadsTheBacklogAfterSinceSeqThenStreams() throws {
        let start = try maxSeq()
        try append(5)
        let follower = try Follower(db: db, ["--follow", "--since-seq", String(start + 2)])
        try follower.waitForLines(3)
        try append(2)
        try follower.waitForLines(5)
        let run = follower.stop()
        XCTAssertEqual(seqs(run), Array((start + 3)...(start + 7)))
    }

    func testFollowWithLimitEndsAfterThatMany() throws {
        let start = try maxSeq()
        let follower = try Follower(db: db, ["--follow", "--since-seq", String(start), "--limit", "3"])
        try db.waitForIdleSession("apr-log", running: "%gov_ledger_events%")
        try append(5)
        let run = follower.wait()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(seqs(run), [start + 1, start + 2, start + 3])
    }

    func testFollowSurvivesTheTerminationOfItsBackend() throws {
        let start = try maxSeq()
        let follower = try Follower(db: db, ["--follow", "--since-seq", String(start)])
        try db.waitForIdleSession("apr-log", running: "%gov_ledger_events%")
        let writer = try db.connect()
        for round in 0..<5 {
            try append(10, on: writer)
            try db.scalar("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'apr-log'")
            try append(10, on: writer)  // while it reconnects
            try follower.waitForLines(20 * (round + 1))
        }
        let run = follower.stop()
        XCTAssertEqual(seqs(run), Array((start + 1)...(start + 100)), "no gap, no repeat")
        XCTAssertEqual(run.stderr, "", "quiet without -v")
    }

    /// 10,000 events from 8 concurrent writers while the follower is killed
    /// (SIGKILL) and restarted from the last seq it printed, again and again:
    /// the union of its outputs holds every seq exactly once, in order.
    func testKilledAndResumedFollowersMissNothingAndRepeatNothing() throws {
        let start = try maxSeq()
        let total = 10_000, writers = 8
        let conninfo = db.conninfo()
        let group = DispatchGroup()
        nonisolated(unsafe) var writeErrors: [String] = []
        let lock = NSLock()
        for w in 0..<writers {
            DispatchQueue.global().async(group: group) {
                do {
                    let c = try Connection(dbname: conninfo, applicationName: "aprkit-tests-writer")
                    for i in 0..<(total / writers) {
                        try c.execute("SELECT gov_ledger_append('load', NULL, $1, '{}')", ["w\(w)-\(i)"])
                    }
                } catch {
                    lock.lock(); writeErrors.append("\(error)"); lock.unlock()
                }
            }
        }
        var last = start
        var printed: [Int] = []
        var kills = 0
        let writing = { group.wait(timeout: .now()) == .timedOut }
        while writing() || kills < 10 {
            let follower = try Follower(db: db, ["--follow", "--since-seq", String(last)])
            usleep(UInt32.random(in: 50_000...250_000))
            follower.kill9()
            let run = follower.wait()
            let got = follower.completeLines(of: run).map { $0["seq"] as! Int }
            XCTAssertEqual(got, got.sorted(), "in order within a run")
            XCTAssertTrue(got.first.map { $0 > last } ?? true, "resumed after \(last), not before")
            printed += got
            last = got.last ?? last
            kills += 1
        }
        group.wait()
        XCTAssertEqual(writeErrors, [])
        // The last run catches up and ends by itself at the head.
        let remaining = start + total - last
        if remaining > 0 {
            let final = try Follower(db: db, ["--follow", "--since-seq", String(last), "--limit", String(remaining)])
            let run = final.wait()
            XCTAssertEqual(run.status, 0, run.description)
            printed += seqs(run)
        }
        XCTAssertGreaterThanOrEqual(kills, 10)
        XCTAssertEqual(printed.count, total, "every seq exactly once")
        XCTAssertEqual(printed, Array((start + 1)...(start + total)), "no gap, no repeat, in order")
        print("apr-log: \(total) events from \(writers) writers, follower killed \(kills) times, none lost or repeated")
    }

    // MARK: the man page's examples

    /// The blocks of a page's EXAMPLES section, as a shell reads them.
    static func examples(page: String) throws -> [String] {
        let text = try String(contentsOfFile: Tool.packageRoot + "/" + page, encoding: .utf8)
        let section = text.components(separatedBy: ".Sh EXAMPLES\n")[1].components(separatedBy: "\n.Sh ")[0]
        return section.components(separatedBy: ".Bd -literal -offset indent\n").dropFirst().map {
            $0.components(separatedBy: ".Ed\n")[0].replacingOccurrences(of: "\\e", with: "\\")
        }
    }

    func testTheExamplesOfTheManPageRun() throws {
        let code = try db.approved().code
        try db.propose()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The webhook is a curl that keeps what it is given to post.
        let fakeCurl = dir.appendingPathComponent("curl")
        try "#!/bin/sh\nprintf '%s\\n' \"$3\" >> \"$HOME/posted\"\n".write(to: fakeCurl, atomically: true, encoding: .utf8)
        chmod(fakeCurl.path, 0o755)
        let env = ["PATH": "\(dir.path):\(Tool.binDir):/usr/bin:/bin", "HOME": dir.path, "PGDATABASE": db.name,
                   "PGUSER": "eng1", "APR": code, "WEBHOOK_URL": "https://hooks.example/aprkit"]
        func sh(_ script: String) throws -> ToolRun {
            try Tool.run("/bin/bash", ["-c", "set -euo pipefail; cd \"$HOME\"; " + script], env: env)
        }

        let blocks = try Self.examples(page: "man/apr-log.1")
        XCTAssertEqual(blocks.count, 5)
        let story = try sh(blocks[0].replacingOccurrences(of: "APR-000003", with: code))
        XCTAssertEqual(story.status, 0, story.description)
        XCTAssertTrue(story.stdout.contains("\tpropose\tproposer\n") && story.stdout.contains("\tvote\towner2\n"), story.stdout)
        let votes = try sh(blocks[1])
        XCTAssertEqual(votes.lines.count, 2, votes.description)
        XCTAssertEqual(votes.lines.map { $0["actor"] as? String }, ["owner1", "owner2"])
        let copy = try sh(blocks[2] + "jq -s 'map(.seq) == [range(1; length + 1)] and length > 5' ledger.ndjson\n")
        XCTAssertEqual(copy.stdout, "true\n", copy.description)
        let follow = try sh(blocks[3])
        XCTAssertEqual(follow.stdout, "owner1\nowner2\n", follow.description)
        // The webhook follows forever: two proposals so far, then it is stopped.
        let hook = try sh("timeout 3 bash -c \(shellQuote(blocks[4])) || [ $? -eq 124 ]")
        XCTAssertEqual(hook.status, 0, hook.description)
        let posted = try String(contentsOf: dir.appendingPathComponent("posted"), encoding: .utf8)
        XCTAssertEqual(posted.split(separator: "\n").count, 2, posted)
        let state = try String(contentsOf: dir.appendingPathComponent(".aprkit-webhook.seq"), encoding: .utf8)
        XCTAssertEqual(state, try db.scalar("SELECT max(seq) FROM gov_ledger WHERE event = 'propose'")! + "\n")
        // Restarted, it posts nothing twice; a new proposal is posted.
        try db.propose()
        _ = try sh("timeout 3 bash -c \(shellQuote(blocks[4])) || [ $? -eq 124 ]")
        let again = try String(contentsOf: dir.appendingPathComponent("posted"), encoding: .utf8)
        XCTAssertEqual(again.split(separator: "\n").count, 3, again)
    }

    func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// apr-log running in the background, its stdout read as it grows.
typealias Follower = LaunchedTool

extension LaunchedTool {
    convenience init(db: TestDatabase, _ args: [String], as role: String = "eng1") throws {
        try self.init("apr-log", ["-d", db.conninfo(as: role)] + args)
    }

    var lines: [[String: Any]] {
        ToolRun(status: 0, stdout: stdout, stderr: "").lines
    }

    /// Waits until at least `count` lines are out; fails within 30 s.
    func waitForLines(_ count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if stdout.split(separator: "\n").count >= count { return }
            usleep(5_000)
        }
        XCTFail("apr-log printed \(stdout.split(separator: "\n").count) lines, not \(count)", file: file, line: line)
        throw TestSupportError("apr-log did not print \(count) lines")
    }

    /// The lines a killed run finished writing (a line cut short by the
    /// kill was not printed: the next run prints it).
    func completeLines(of run: ToolRun) -> [[String: Any]] {
        var text = run.stdout
        if !text.isEmpty && !text.hasSuffix("\n") {
            text = String(text[..<(text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex)])
        }
        return ToolRun(status: run.status, stdout: text, stderr: "").lines
    }
}
