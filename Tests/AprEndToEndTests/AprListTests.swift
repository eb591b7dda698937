import Foundation
import XCTest
import _AprTestSupport

/// apr-list: newest first, each filter, --awaiting (an approver's queue), the
/// text table, its output as the input of apr-quorum and apr-show, and every
/// bad option refused as usage with nothing written.
final class AprListTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func list(_ args: [String] = [], as role: String = "proposer") throws -> ToolRun {
        try Tool.run("apr-list", ["-d", db.conninfo(as: role)] + args)
    }

    func codes(_ run: ToolRun, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        XCTAssertEqual(run.status, 0, run.description, file: file, line: line)
        XCTAssertEqual(run.stderr, "", file: file, line: line)
        return run.lines.map { $0["apr_code"] as? String ?? "?" }
    }

    /// Moves an APR's creation (and expiry with it) back by `interval`.
    func age(_ code: String, by interval: String) throws {
        try db.bypassingTriggers("""
            UPDATE apr_requests SET created_at = created_at - interval '\(interval)',
                   expires_at = expires_at - interval '\(interval)' WHERE apr_code = '\(code)'
            """)
    }

    func testNewestFirstEachAsAprProposePrintsIt() throws {
        let first = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: Fixtures.line(Fixtures.buildStep()))
        let second = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: Fixtures.line(Fixtures.buildStep(target: "T2")))
        XCTAssertEqual(first.status, 0, first.description)
        let run = try list()
        XCTAssertEqual(run.stdout, second.stdout + first.stdout, "the same lines, byte for byte, newest first")
    }

    func testTiesInCreationAreBrokenByCodeDescending() throws {
        let a = try db.propose().code, b = try db.propose().code, c = try db.propose().code
        try db.bypassingTriggers("UPDATE apr_requests SET created_at = (SELECT created_at FROM apr_requests WHERE apr_code = '\(c)') WHERE apr_code = '\(a)'")
        XCTAssertEqual(codes(try list()), [c, a, b])
    }

    func testLimit() throws {
        let made = try (0..<5).map { _ in try db.propose().code }
        XCTAssertEqual(codes(try list(["--limit", "2"])), [made[4], made[3]])
        XCTAssertEqual(codes(try list(["--limit", "1000"])).count, 5)
        XCTAssertEqual(codes(try list()).count, 5, "default 100")
    }

    func testNothingToListIsNoOutputAndExitZero() throws {
        let run = try list()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stdout, "")
        let text = try list(["--format", "text"])
        XCTAssertEqual(text.status, 0)
        XCTAssertEqual(text.stdout, "")
    }

    func testStatusFilterOneRepeatedOrACommaList() throws {
        let proposed = try db.propose().code
        let approved = try db.approved(Fixtures.buildStep(target: "T2")).code
        let rejected = try db.propose(Fixtures.buildStep(target: "T3")).code
        try db.vote(rejected, "reject", by: ["eng1"])
        XCTAssertEqual(codes(try list(["--status", "proposed"])), [proposed])
        XCTAssertEqual(codes(try list(["--status", "approved"])), [approved])
        XCTAssertEqual(codes(try list(["--status", "proposed,rejected"])), [rejected, proposed])
        XCTAssertEqual(codes(try list(["--status", "rejected", "--status", "approved"])), [rejected, approved])
        XCTAssertEqual(codes(try list(["--status", "cancelled"])), [])
        XCTAssertEqual(Set(try list(["--status", "proposed,approved,rejected"]).lines.map { $0["status"] as! String }),
                       ["proposed", "approved", "rejected"])
    }

    func testActionTargetAndProposerFilters() throws {
        let build = try db.propose().code
        let other = try db.propose(Fixtures.buildStep(target: "OTHER_TARGET")).code
        let byOwner = try db.propose(Fixtures.buildStep(target: "OTHER_TARGET"), as: "owner1").code
        let patch = try db.propose(Fixtures.patch(filePath: "/opt/aprkit/handlers/x", content: "#!/bin/bash\n")).code
        XCTAssertEqual(codes(try list(["--action", "authorize_build_step"])), [byOwner, other, build])
        XCTAssertEqual(codes(try list(["--action", "patch_ops_code"])), [patch])
        XCTAssertEqual(codes(try list(["--action", "no_such_action"])), [])
        XCTAssertEqual(codes(try list(["--target", "OTHER_TARGET"])), [byOwner, other])
        XCTAssertEqual(codes(try list(["--target", "DOT_C1_VOCAB_BUILD"])), [build])
        XCTAssertEqual(codes(try list(["--proposed-by", "owner1"])), [byOwner])
        XCTAssertEqual(codes(try list(["--proposed-by", "proposer", "--target", "OTHER_TARGET"])), [other])
        XCTAssertEqual(codes(try list(["--proposed-by", "proposer", "--action", "patch_ops_code", "--status", "proposed"])), [patch])
    }

    func testSinceADurationOrATimestamp() throws {
        let old = try db.propose().code, recent = try db.propose().code, new = try db.propose().code
        try age(old, by: "3 hours")
        try age(recent, by: "40 minutes")
        XCTAssertEqual(codes(try list(["--since", "2h"])), [new, recent])
        XCTAssertEqual(codes(try list(["--since", "30m"])), [new])
        XCTAssertEqual(codes(try list(["--since", "1h30m"])), [new, recent])
        XCTAssertEqual(codes(try list(["--since", "1d"])), [new, recent, old])
        let anHourAgo = try db.scalar(#"SELECT to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#)!
        XCTAssertEqual(codes(try list(["--since", anHourAgo])), [new, recent])
        let withOffset = try db.scalar(#"SELECT to_char((now() - interval '4 hours') AT TIME ZONE 'UTC' + interval '2 hours', 'YYYY-MM-DD HH24:MI:SS"+02:00"')"#)!
        XCTAssertEqual(codes(try list(["--since", withOffset])), [new, recent, old])
        XCTAssertEqual(codes(try list(["--since", "2999-01-01"])), [])
    }

    // MARK: --awaiting: an approver's queue

    func testAwaitingListsOnlyWhatTheConnectedApproverMayStillVoteOn() throws {
        let open = try db.propose().code
        _ = try db.propose(as: "owner1").code                         // owner1 proposed it
        let voted = try db.propose(Fixtures.buildStep(target: "T2")).code
        try db.vote(voted, by: ["owner1"])                             // owner1 has voted
        let expired = try db.propose(Fixtures.buildStep(target: "T3")).code
        try db.bypassingTriggers("UPDATE apr_requests SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE apr_code = '\(expired)'")
        _ = try db.approved(Fixtures.buildStep(target: "T4")).code     // no longer open
        let rejected = try db.propose(Fixtures.buildStep(target: "T5")).code
        try db.vote(rejected, "reject", by: ["eng1"])

        XCTAssertEqual(codes(try list(["--awaiting"], as: "owner1")), [open])
        // Another approver's queue holds what owner1 proposed or voted on.
        let owner2 = codes(try list(["--awaiting"], as: "owner2"))
        XCTAssertEqual(owner2.count, 3, "\(owner2)")
        XCTAssertTrue(owner2.contains(voted) && owner2.contains(open))
        XCTAssertFalse(owner2.contains(expired))
        // Filters narrow the queue further.
        XCTAssertEqual(codes(try list(["--awaiting", "--target", "T2"], as: "owner2")), [voted])
    }

    func testAwaitingIsEmptyForAnInactiveApproverAndForANonApprover() throws {
        let open = try db.propose().code
        XCTAssertEqual(codes(try list(["--awaiting"], as: "eng3")), [open])
        try db.scalar("SELECT apr_approver_set('eng3', 'engineer', false)")
        XCTAssertEqual(codes(try list(["--awaiting"], as: "eng3")), [])
        XCTAssertEqual(codes(try list(["--awaiting"], as: "proposer")), [])
        XCTAssertEqual(codes(try list(["--awaiting"], as: "executor")), [])
    }

    // MARK: a reader, and the pipelines

    func testAReaderListsAndShows() throws {
        try TestCluster.ensureRole("auditor", groups: ["apr_reader"])
        let code = try db.approved().code
        XCTAssertEqual(codes(try list([], as: "auditor")), [code])
        let show = try Tool.run("apr-show", ["-d", db.conninfo(as: "auditor"), "--apr", code])
        XCTAssertEqual(show.status, 0, show.description)
        XCTAssertEqual(show.json["apr_code"] as? String, code)
    }

    func testTheListPipesIntoAprQuorum() throws {
        let a = try db.propose().code, b = try db.propose(Fixtures.buildStep(target: "T2")).code
        _ = try db.approved(Fixtures.buildStep(target: "T3"))
        let listed = try list(["--status", "proposed"])
        let states = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "eng1")], stdin: listed.stdout)
        XCTAssertEqual(states.status, 2, "votes are missing: SKIP\n\(states)")
        XCTAssertEqual(states.lines.map { $0["apr_code"] as? String }, [b, a])
        XCTAssertEqual(states.lines.map { $0["reason"] as? String }, ["quorum_not_met", "quorum_not_met"])
        // The approver's queue voted through in one pipeline, bound to the payload shown.
        let queue = try list(["--awaiting"], as: "owner1")
        let votes = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "owner1"), "--vote", "approve"], stdin: queue.stdout)
        XCTAssertEqual(votes.status, 0, votes.description)
        XCTAssertEqual(votes.lines.count, 2)
        XCTAssertEqual(codes(try list(["--awaiting"], as: "owner1")), [])
    }

    func testTheListPipesIntoAprShow() throws {
        let a = try db.propose().code, b = try db.propose().code
        let shown = try Tool.run("apr-show", ["-d", db.conninfo(as: "eng1")], stdin: try list().stdout)
        XCTAssertEqual(shown.status, 0, shown.description)
        XCTAssertEqual(shown.lines.map { $0["apr_code"] as? String }, [b, a])
        XCTAssertNotNil(shown.json["quorum"] as? [String: Any])
    }

    func testTextFormatPrintsAlignedColumns() throws {
        let a = try db.propose().code
        let b = try db.propose(Fixtures.patch(filePath: "/opt/aprkit/handlers/x", content: "#!/bin/bash\n"), as: "owner1").code
        let run = try list(["--format", "text"])
        XCTAssertEqual(run.status, 0, run.description)
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0], ["CODE", "STATUS", "ACTION", "TARGET", "PROPOSED_BY", "CREATED", "EXPIRES"])
        XCTAssertEqual(Array(rows[1].prefix(5)), [b, "proposed", "patch_ops_code", "-", "owner1"])
        XCTAssertEqual(Array(rows[2].prefix(5)), [a, "proposed", "authorize_build_step", "DOT_C1_VOCAB_BUILD", "proposer"])
        XCTAssertEqual(rows[2].count, 9, "created and expires: a date and a time each")
        // Aligned: every column starts at the same offset on every line.
        let lines = run.stdout.split(separator: "\n").map(String.init)
        for header in ["STATUS", "ACTION", "TARGET", "PROPOSED_BY", "CREATED", "EXPIRES"] {
            let offset = lines[0].range(of: header)!.lowerBound.utf16Offset(in: lines[0])
            for line in lines.dropFirst() {
                let i = line.index(line.startIndex, offsetBy: offset)
                XCTAssertNotEqual(line[i], " ", "\(header) column in \(line)")
                XCTAssertEqual(line[line.index(before: i)], " ", "\(header) column in \(line)")
            }
        }
    }

    // MARK: every bad option is a usage refusal; nothing written

    func testHelpAndVersion() throws {
        for tool in ["apr-list", "apr-show"] {
            let help = try Tool.run(tool, ["--help"])
            XCTAssertEqual(help.status, 0, help.description)
            XCTAssertTrue(help.stdout.contains("--format"), help.stdout)
            let version = try Tool.run(tool, ["--version"])
            XCTAssertEqual(version.status, 0, version.description)
            XCTAssertFalse(version.stdout.isEmpty)
        }
    }

    func testEachBadOptionIsRefusedAsUsageWithNothingWritten() throws {
        _ = try db.propose()
        for args in [["--status", "pending"], ["--status", "proposed,"], ["--status", "proposed,bogus"],
                     ["--since", "2x"], ["--since", "0h"], ["--since", "-2h"], ["--since", "2026-02-30"],
                     ["--since", "2026-12-01T25:00"], ["--since", "yesterday"], ["--limit", "0"], ["--limit", "-1"],
                     ["--limit", "many"], ["--format", "yaml"], ["--bogus"], ["--awaiting", "yes"]] {
            let digest = try db.contentDigest()
            let run = try list(args)
            try assertRefusal(run, by: "apr-list", "usage", 64, in: db, unchangedFrom: digest)
        }
        XCTAssertEqual(codes(try list(["--status", "proposed", "--since", "2h", "--limit", "1"])).count, 1, "the accepted case")
    }
}
