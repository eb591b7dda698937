import Foundation
import XCTest
import _AprTestSupport

/// apr-show: one APR's whole story, from the database as it is: the APR,
/// the quorum with what is missing, every vote and whether it counts, the
/// dispatch attempts, the grant, the deploy rows and the ledger events in
/// order; an unknown APR refused on its own line among good ones.
final class AprShowTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func show(_ args: [String] = [], stdin: String = "", as role: String = "eng2") throws -> ToolRun {
        try Tool.run("apr-show", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    func objects(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }

    func testAProposedAprShowsWhatItStillMisses() throws {
        let apr = try db.propose()
        try db.vote(apr.code, by: ["eng1"])
        let run = try show(["--apr", apr.code])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.count, 1)
        let story = run.json
        let proposed = try JSONSerialization.jsonObject(with: Data(apr.line.utf8)) as! [String: Any]
        for key in ["apr_code", "status", "payload_sha256", "created_at", "expires_at", "proposed_by", "reason"] {
            XCTAssertEqual(story[key] as? String, proposed[key] as? String, key)
        }
        XCTAssertEqual(story["proposed_action"] as? NSDictionary, proposed["proposed_action"] as? NSDictionary)
        let quorum = story["quorum"] as! [String: Any]
        XCTAssertEqual(quorum["quorum_passed"] as? Bool, false)
        XCTAssertEqual(quorum["risk_level"] as? String, "high")
        let missing = objects(quorum["missing"])
        XCTAssertEqual(missing.map { $0["factor"] as? String }, ["approvers", "owners"])
        XCTAssertEqual(missing.map { $0["approvals"] as? Int }, [1, 1])
        XCTAssertEqual(objects(story["votes"]).map { $0["approver"] as? String }, ["eng1"])
        XCTAssertEqual(objects(story["dispatches"]).count, 0)
        XCTAssertTrue(story["grant"] is NSNull)
        XCTAssertEqual(objects(story["deploys"]).count, 0)
        XCTAssertEqual(objects(story["ledger"]).map { $0["event"] as? String }, ["propose", "vote"])
        // The record pipes into apr-quorum: the vote binds to the payload it shows.
        let vote = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "owner1"), "--vote", "approve"], stdin: run.stdout)
        XCTAssertEqual(vote.status, 0, vote.description)
    }

    func testTheWholeStoryOfAnAppliedGrant() throws {
        try db.bindMintArm()
        let apr = try db.propose()
        // eng1's vote was cast on another payload than the APR's: it does not count.
        try db.vote(apr.code, by: ["eng1"])
        try db.bypassingTriggers("UPDATE apr_votes SET payload_sha256 = repeat('f', 64) WHERE apr_code = '\(apr.code)' AND approver = 'eng1'")
        try db.vote(apr.code, by: ["owner1", "owner2"])
        let executed = try Tool.run("apr-execute", ["-d", db.conninfo(as: "executor"), "--apr", apr.code])
        XCTAssertEqual(executed.status, 0, executed.description)

        let before = try db.contentDigest()
        let run = try show(["--apr", apr.code])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try db.contentDigest(), before, "apr-show writes nothing")
        let story = run.json
        XCTAssertEqual(story["status"] as? String, "applied")
        XCTAssertNotNil(story["applied_at"] as? String)
        XCTAssertEqual((story["quorum"] as? [String: Any])?["quorum_passed"] as? Bool, true)
        XCTAssertEqual(objects((story["quorum"] as? [String: Any])?["missing"]).count, 0)

        let votes = objects(story["votes"])
        XCTAssertEqual(votes.map { $0["approver"] as? String }, ["eng1", "owner1", "owner2"])
        XCTAssertEqual(votes.map { $0["counted"] as? Bool }, [false, true, true])
        XCTAssertEqual(votes[0]["not_counted_because"] as? String, "stale_payload")
        XCTAssertEqual(votes[0]["payload_sha256"] as? String, String(repeating: "f", count: 64))
        XCTAssertEqual(votes[1]["payload_sha256"] as? String, story["payload_sha256"] as? String)
        XCTAssertEqual(votes[1]["decision"] as? String, "approve")
        XCTAssertNotNil(votes[1]["created_at"] as? String)

        let dispatches = objects(story["dispatches"])
        XCTAssertEqual(dispatches.count, 1)
        XCTAssertEqual(dispatches[0]["attempt"] as? Int, 1)
        XCTAssertEqual(dispatches[0]["outcome"] as? String, "applied")
        XCTAssertEqual(dispatches[0]["handler_ref"] as? String, "apr-execute:authorize_build_step")
        XCTAssertEqual(dispatches[0]["dispatched_by"] as? String, "executor")

        let grant = story["grant"] as? [String: Any]
        XCTAssertEqual(grant?["auth_code"] as? String, "GBA-C1-\(apr.code)")
        XCTAssertEqual(grant?["status"] as? String, "active")
        XCTAssertEqual((grant?["scope"] as? [String: Any])?["target"] as? String, "DOT_C1_VOCAB_BUILD")

        let ledger = objects(story["ledger"])
        let seqs = ledger.map { $0["seq"] as! Int }
        XCTAssertEqual(seqs, seqs.sorted(), "in seq order")
        XCTAssertEqual(ledger.map { $0["event"] as! String }.joined(separator: ","),
                       try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1", [apr.code]))
        XCTAssertEqual(ledger.first?["event"] as? String, "propose")
        XCTAssertEqual(ledger.filter { $0["event"] as? String == "vote" }.count, 3)

        // An approver deactivated since no longer counts, and the story says why.
        try db.scalar("SELECT apr_approver_set('owner2', 'owner', false)")
        let later = objects(try show(["--apr", apr.code]).json["votes"])
        XCTAssertEqual(later[2]["counted"] as? Bool, false)
        XCTAssertEqual(later[2]["not_counted_because"] as? String, "approver_inactive")
    }

    func testDeployRowsOfAPatch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-show-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try db.installHandler("ops_note", in: dir.path, content: "#!/bin/bash\necho '{}'\n")
        let code = try db.scalar("SELECT apr_code FROM apr_requests WHERE action_code = 'patch_ops_code'")!
        let run = try show(["--apr", code])
        XCTAssertEqual(run.status, 0, run.description)
        let deploys = objects(run.json["deploys"])
        XCTAssertEqual(deploys.count, 1)
        XCTAssertEqual(deploys[0]["status"] as? String, "success")
        XCTAssertEqual(deploys[0]["is_known_good"] as? Bool, true)
        XCTAssertEqual(deploys[0]["file_path"] as? String, dir.path + "/ops_note")
        XCTAssertEqual(deploys[0]["sha256_after"] as? String, try db.scalar("SELECT sha256_after FROM vps_deploy_log WHERE apr_code = $1", [code]))
        XCTAssertTrue(run.json["grant"] is NSNull)
        XCTAssertTrue(objects(run.json["ledger"]).contains { $0["event"] as? String == "patch" }, run.stdout)
    }

    func testAnUnknownAprIsRefusedOnItsOwnLineAndTheOthersGoOn() throws {
        let a = try db.propose(), b = try db.propose()
        let stdin = a.line + "\n" + #"{"apr_code":"APR-999999"}"# + "\n" + b.line + "\n"
        let digest = try db.contentDigest()
        let run = try show(stdin: stdin)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.lines.map { $0["apr_code"] as? String }, [a.code, "APR-999999", b.code])
        XCTAssertEqual(run.lines[1]["ok"] as? Bool, false)
        XCTAssertEqual(run.lines[1]["reason"] as? String, "unknown_apr")
        XCTAssertEqual(run.lines[1]["result"] as? String, "FAIL")
        XCTAssertEqual(run.stderr, "apr-show: no APR APR-999999 (unknown_apr)\n")
        XCTAssertEqual(try db.contentDigest(), digest)
        try assertRefusal(try show(["--apr", "APR-999999"]), by: "apr-show", "unknown_apr", 1, in: db, unchangedFrom: digest)
    }

    func testBadInputAndUsage() throws {
        let digest = try db.contentDigest()
        try assertRefusal(try show(["--apr", "APR-12x"]), by: "apr-show", "invalid_apr_code", 65, in: db, unchangedFrom: digest)
        try assertRefusal(try show(stdin: "not json\n"), by: "apr-show", "malformed_json", 65, in: db, unchangedFrom: digest)
        try assertRefusal(try show(stdin: ""), by: "apr-show", "empty_input", 65, in: db, unchangedFrom: digest)
        try assertRefusal(try show(["--format", "yaml", "--apr", "APR-000001"]), by: "apr-show", "usage", 64, in: db, unchangedFrom: digest)
    }

    func testTextFormatForAPerson() throws {
        try db.bindMintArm()
        let apr = try db.approved()
        XCTAssertEqual(try Tool.run("apr-execute", ["-d", db.conninfo(as: "executor"), "--apr", apr.code]).status, 0)
        let open = try db.propose(Fixtures.buildStep(target: "T2"))
        let run = try show(["--format", "text"], stdin: apr.line + "\n" + open.line + "\n")
        XCTAssertEqual(run.status, 0, run.description)
        let text = run.stdout
        XCTAssertTrue(text.hasPrefix("\(apr.code)  authorize_build_step  applied\n"), text)
        for section in ["\nPayload\n", "\nQuorum (risk high): passed\n", "\nVotes\n", "\nDispatches\n", "\nGrant\n",
                        "\nDeploys\n  none\n", "\nLedger\n", "\n\(open.code)  authorize_build_step  proposed\n",
                        "Quorum (risk high): not passed: needs 2 more approvals and 1 more approval of role owner\n"] {
            XCTAssertTrue(text.contains(section), "\(section) in\n\(text)")
        }
        XCTAssertTrue(text.contains("GBA-C1-\(apr.code)  active  target DOT_C1_VOCAB_BUILD"), text)
        XCTAssertTrue(text.contains("owner1  approve"), text)
        XCTAssertFalse(text.contains("{\"ok\""), "no JSON line for a good APR")

        let rejected = try db.propose(Fixtures.buildStep(target: "T3"))
        try db.vote(rejected.code, "reject", by: ["eng1"])
        let story = try show(["--format", "text", "--apr", rejected.code]).stdout
        XCTAssertTrue(story.contains("Quorum (risk high): not passed: rejected\n"), story)
        XCTAssertTrue(story.contains("\n  eng1  reject  ") && story.contains("  blocks  payload "), story)
    }
}
