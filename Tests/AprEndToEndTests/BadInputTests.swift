import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// Bad input: exit 65, one clear stderr line, a JSON refusal, and not a row
/// written. Each bad record is refused on its own line: never truncated,
/// never joined with its neighbour.
final class BadInputTests: XCTestCase {
    var db: TestDatabase!

    override func setUpWithError() throws { db = try TestDatabase() }
    override func tearDown() { db = nil }

    func assertRejected(_ input: String, reason: String, status: Int32 = 65,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try db.contentDigest()
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: input)
        XCTAssertEqual(run.status, status, run.description, file: file, line: line)
        XCTAssertEqual(run.lines.count, 1, run.stdout, file: file, line: line)
        XCTAssertEqual(run.json["ok"] as? Bool, false, file: file, line: line)
        XCTAssertEqual(run.json["reason"] as? String, reason, run.description, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("apr-propose: "), run.stderr, file: file, line: line)
        XCTAssertEqual(try db.contentDigest(), before, "nothing written", file: file, line: line)
    }

    func with(_ change: (inout [String: Any]) -> Void) -> String {
        var proposal = Fixtures.buildStep()
        change(&proposal)
        return Fixtures.line(proposal)
    }

    func withAction(_ change: (inout [String: Any]) -> Void) -> String {
        with { p in
            var action = p["proposed_action"] as! [String: Any]
            change(&action)
            p["proposed_action"] = action
        }
    }

    func testMalformedJSON() throws { try assertRejected(#"{"request_type": "authorize_build_step""#, reason: "malformed_json") }
    func testGarbage() throws { try assertRejected("not json at all\n", reason: "malformed_json") }
    func testEmptyStdin() throws { try assertRejected("", reason: "empty_input") }
    func testBlankStdin() throws { try assertRejected("\n  \n", reason: "empty_input") }
    func testNotAnObject() throws { try assertRejected("[1, 2]", reason: "wrong_type") }
    func testDuplicateKey() throws {
        try assertRejected(#"{"reason":"a","reason":"b"}"#, reason: "malformed_json")
    }
    func testUnknownTopLevelField() throws { try assertRejected(with { $0["extra"] = 1 }, reason: "unknown_field") }
    func testMissingField() throws { try assertRejected(with { $0["reason"] = nil }, reason: "missing_field") }
    func testWrongTopLevelType() throws { try assertRejected(with { $0["reason"] = 42 }, reason: "wrong_type") }
    func testProposedActionNotAnObject() throws { try assertRejected(with { $0["proposed_action"] = "x" }, reason: "wrong_type") }
    func testOversizedField() throws {
        try assertRejected(with { $0["reason"] = String(repeating: "r", count: 5000) }, reason: "field_too_long")
    }
    func testOversizedRecord() throws {
        try assertRejected(with { $0["reason"] = String(repeating: "r", count: 3 * 1024 * 1024) }, reason: "input_too_large")
    }
    func testUnknownActionField() throws { try assertRejected(withAction { $0["extra"] = "x" }, reason: "unknown_field") }
    func testMissingActionField() throws { try assertRejected(withAction { $0["target"] = nil }, reason: "missing_field") }
    func testWrongActionFieldType() throws { try assertRejected(withAction { $0["ttl_seconds"] = "3600" }, reason: "wrong_type") }
    func testFractionalTtl() throws { try assertRejected(withAction { $0["ttl_seconds"] = 1.5 }, reason: "wrong_type") }
    func testBadManifestHash() throws { try assertRejected(withAction { $0["manifest_hash"] = "XYZ" }, reason: "invalid_field") }
    func testEmptyReason() throws { try assertRejected(with { $0["reason"] = "  " }, reason: "empty_reason") }
    func testEmptySessionCode() throws { try assertRejected(with { $0["session_code"] = "" }, reason: "empty_session_code") }

    // Refusals of valid JSON that the policy does not allow: exit 1.
    func testUnknownAction() throws { try assertRejected(with { $0["action_code"] = "drop_everything" }, reason: "unknown_action", status: 1) }
    func testRequestTypeMismatch() throws { try assertRejected(with { $0["request_type"] = "fix_repair_dot" }, reason: "request_type_mismatch", status: 1) }
    func testTtlOverTheMaximum() throws { try assertRejected(withAction { $0["ttl_seconds"] = 604801 }, reason: "ttl_over_maximum", status: 1) }

    func testReasonPatternOfTheActionType() throws {
        try db.scalar("UPDATE apr_action_types SET reason_pattern = '^ticket [A-Z]+-[0-9]+' WHERE action_code = 'authorize_build_step'")
        try assertRejected(with { $0["reason"] = "because" }, reason: "reason_pattern_mismatch", status: 1)
        XCTAssertNoThrow(try db.propose(Fixtures.buildStep(reason: "ticket OPS-7 rebuild")))
    }

    func testPatchProposalsCarryValidBase64AndTheContentHash() throws {
        let good = Fixtures.patch(filePath: "/opt/aprkit/handlers/authorize_build_step", content: "#!/bin/bash\necho ok\n")
        let code = try db.propose(good).code
        XCTAssertEqual(try db.scalar("SELECT proposed_action->>'new_content_sha256' = encode(sha256(decode(proposed_action->>'new_content_base64', 'base64')), 'hex') FROM apr_requests WHERE apr_code = $1", [code]), "t")

        var bad = good
        var action = bad["proposed_action"] as! [String: Any]
        action["new_content_base64"] = "abc"
        bad["proposed_action"] = action
        try assertRejected(Fixtures.line(bad), reason: "bad_base64")

        action["new_content_base64"] = (good["proposed_action"] as! [String: Any])["new_content_base64"]
        action["new_content_sha256"] = String(repeating: "0", count: 64)
        bad["proposed_action"] = action
        try assertRejected(Fixtures.line(bad), reason: "content_hash_mismatch", status: 1)

        action["new_content_sha256"] = nil
        action["patch_mode"] = "sed"
        bad["proposed_action"] = action
        try assertRejected(Fixtures.line(bad), reason: "invalid_field")
    }

    // MARK: a NUL byte in text is refused whole, never cut short

    func testAStringHoldingANulIsRefusedNotCutAtTheNul() throws {
        // ok: "reason": "ok"; refused: the same with a NUL and more after it.
        try assertRejected(with { $0["reason"] = "ok\u{0}evil" }, reason: "invalid_text")
        XCTAssertNoThrow(try db.propose(Fixtures.buildStep(reason: "ok")))
    }

    func testANestedStringHoldingANulIsRefused() throws {
        try assertRejected(withAction { $0["target"] = "DOT_C1_VOCAB_BUILD\u{0}X" }, reason: "invalid_text")
    }

    func testAKeyHoldingANulIsRefused() throws {
        try assertRejected(with { p in
            p["reason\u{0}"] = p["reason"]
            p["reason"] = nil
        }, reason: "invalid_text")
        try assertRejected(withAction { a in
            a["target\u{0}"] = a["target"]
            a["target"] = nil
        }, reason: "invalid_text")
    }

    func testARawNulByteIsRefused() throws {
        let line = Fixtures.line(Fixtures.buildStep(reason: "okXevil"))
        try assertRejected(line.replacingOccurrences(of: "okXevil", with: "ok\u{0}evil"), reason: "invalid_text")
    }

    func testANulRefusalLeavesTheNextLineAlone() throws {
        let bad = with { $0["reason"] = "ok\u{0}evil" }, good = Fixtures.line(Fixtures.buildStep())
        let run = try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: bad + "\n" + good + "\n")
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(reasons(run), ["invalid_text", "ok"])
        XCTAssertEqual(try db.scalar("SELECT string_agg(reason, ',') FROM apr_requests"), "ticket OPS-1")
        XCTAssertEqual(run.stderr, "apr-propose: line 1: a string or key holds a NUL byte (invalid_text)\n")
    }

    func testAnAprRecordWhoseCodeHoldsANulIsRefusedByEveryToolThatReadsIt() throws {
        try db.bindMintArm()
        let apr = try db.propose()
        var record = try JSONSerialization.jsonObject(with: Data(apr.line.utf8)) as! [String: Any]
        record["apr_code"] = apr.code + "\u{0}1"
        let bad = Fixtures.line(record)
        for (tool, role, args) in [("apr-quorum", "owner1", ["--vote", "approve"]), ("grant-mint", "executor", []),
                                   ("apr-execute", "executor", []), ("patch-apply", "executor", []),
                                   ("apr-show", "eng1", [])] {
            let digest = try db.contentDigest()
            let run = try Tool.run(tool, ["-d", db.conninfo(as: role)] + args, stdin: bad + "\n")
            try assertRefusal(run, by: tool, "invalid_text", 65, in: db, unchangedFrom: digest)
        }
        // The same record without the NUL is accepted.
        for owner in ["owner1", "owner2"] {
            let vote = try Tool.run("apr-quorum", ["-d", db.conninfo(as: owner), "--vote", "approve"], stdin: apr.line)
            XCTAssertEqual(vote.status, 0, vote.description)
        }
        let mint = try Tool.run("grant-mint", ["-d", db.conninfo(as: "executor")], stdin: apr.line)
        XCTAssertEqual(mint.status, 0, mint.description)
        XCTAssertEqual(try db.grantCount(), 1)
    }

    func testATextHoldingANulNeverReachesTheDatabase() throws {
        let digest = try db.contentDigest()
        let action = Fixtures.line(Fixtures.buildStep()["proposed_action"] as! [String: Any])
        let propose = "SELECT apr_propose('authorize_build_step', 'authorize_build_step', $1::jsonb, 'S-1', $2)"
        XCTAssertThrowsError(try db.connect(as: "proposer").execute(propose, [action, "ok\u{0}evil"])) { error in
            let refusal = Refusal(error as! PGError)
            XCTAssertEqual(refusal.reason, "invalid_text")
            XCTAssertEqual(refusal.status, .dataError)
        }
        XCTAssertEqual(try db.contentDigest(), digest, "nothing written")
        XCTAssertNoThrow(try db.connect(as: "proposer").execute(propose, [action, "ok"]))
    }

    func testAStagedMigrationHoldingANulIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-nul-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("20990101-comment.sql")
        try Data("COMMENT ON TABLE apr_requests IS 'ok\u{0}'; DROP TABLE apr_votes;\n".utf8).write(to: file)
        let digest = try db.contentDigest()
        let run = try Tool.run("gov-migrate", ["-d", db.conninfo(), file.path])
        try assertRefusal(run, by: "gov-migrate", "invalid_text", 65, in: db, unchangedFrom: digest)
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_votes"), "0", "the table is still there")

        try Data("COMMENT ON TABLE apr_requests IS 'ok';\n".utf8).write(to: file)
        let applied = try Tool.run("gov-migrate", ["-d", db.conninfo(), file.path])
        XCTAssertEqual(applied.status, 0, applied.description)
    }

    // MARK: an integer field takes an integer literal within 64 bits

    /// The accepted proposal with ttl_seconds written as `text`.
    func withTtl(_ text: String) -> String {
        let line = Fixtures.line(Fixtures.buildStep())
        XCTAssertTrue(line.contains(#""ttl_seconds":3600"#))
        return line.replacingOccurrences(of: #""ttl_seconds":3600"#, with: #""ttl_seconds":"# + text)
    }

    func testAnIntegerWrittenAsARealIsRefused() throws { try assertRejected(withTtl("60.0"), reason: "wrong_type") }
    func testAnIntegerWithAnExponentIsRefused() throws { try assertRejected(withTtl("6E1"), reason: "wrong_type") }
    func testAHugeNumberIsRefusedNotCast() throws { try assertRejected(withTtl("1e300"), reason: "invalid_field") }
    func testAHugeNegativeNumberIsRefusedNotCast() throws { try assertRejected(withTtl("-1e300"), reason: "invalid_field") }
    func testAnIntegerBeyond64BitsIsRefused() throws {
        try assertRejected(withTtl("9223372036854775808"), reason: "invalid_field")
        // The largest 64-bit integer is an integer: refused by the policy, not as bad input.
        try assertRejected(withTtl("9223372036854775807"), reason: "ttl_over_maximum", status: 1)
    }

    /// What psql meets: apr_propose refuses the same numbers with the same
    /// reasons (65), and no cast fails (70) on the way.
    func testTheDatabaseRefusesTheSameNumbersWithoutACastFailing() throws {
        let propose = "SELECT apr_propose('authorize_build_step', 'authorize_build_step', $1::jsonb, 'S-1', 'ok')"
        func action(_ ttl: String) -> String {
            #"{"target":"DOT_C1_VOCAB_BUILD","manifest_hash":"\#(Fixtures.manifestHash)","ttl_seconds":\#(ttl)}"#
        }
        for (ttl, reason) in [("60.0", "wrong_type"), ("1.5", "wrong_type"), ("1e300", "invalid_field"),
                              ("-1e300", "invalid_field"), ("9223372036854775808", "invalid_field"),
                              ("-9223372036854775809", "invalid_field"), ("9223372036854775807", "ttl_over_maximum")] {
            let digest = try db.contentDigest()
            XCTAssertThrowsError(try db.connect(as: "proposer").execute(propose, [action(ttl)]), ttl) { error in
                let refusal = Refusal(error as! PGError)
                XCTAssertEqual(refusal.reason, reason, "\(ttl): \(refusal.message)")
                XCTAssertEqual(refusal.status, reason == "ttl_over_maximum" ? .fail : .dataError, ttl)
                XCTAssertTrue(refusal.message.contains("ttl_seconds"), refusal.message)
            }
            XCTAssertEqual(try db.contentDigest(), digest, "\(ttl): nothing written")
        }
        // The function sees jsonb's text, which writes 6E1 out as 60: an
        // integer literal. (The tools read 6E1 as a real and send 60.0.)
        try db.connect(as: "proposer").execute(propose, [action("6E1")])
        XCTAssertEqual(try db.scalar("SELECT proposed_action->>'ttl_seconds' FROM apr_requests"), "60")
    }

    // MARK: each line is one record

    func propose(_ input: String) throws -> ToolRun {
        try Tool.run("apr-propose", ["-d", db.conninfo(as: "proposer")], stdin: input)
    }

    func reasons(_ run: ToolRun) -> [String] {
        run.lines.map { $0["ok"] as? Bool == true ? "ok" : $0["reason"] as? String ?? "?" }
    }

    func aprReasons() throws -> [String] {
        (try db.scalar("SELECT string_agg(reason, '|' ORDER BY apr_code) FROM apr_requests") ?? "")
            .split(separator: "|").map(String.init)
    }

    func testABrokenLineDoesNotSwallowTheGoodLineAfterIt() throws {
        let good = Fixtures.line(Fixtures.buildStep())
        let broken = String(good.dropLast())  // a valid start, cut short
        let run = try propose(broken + "\n" + good + "\n")
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(reasons(run), ["malformed_json", "ok"])
        XCTAssertEqual(try aprReasons(), ["ticket OPS-1"])
        XCTAssertTrue(run.stderr.hasPrefix("apr-propose: line 1: "), run.stderr)
    }

    func testLinesThatWouldJoinIntoAProposalAreEachRefused() throws {
        // Three lines, each invalid alone, that joined would be a valid
        // proposal; a good record after them keeps them from being all of stdin.
        let joined = Fixtures.line(Fixtures.buildStep(reason: "joined"))
        let cut1 = joined.range(of: #""proposed_action""#)!.lowerBound, cut2 = joined.range(of: #""session_code""#)!.lowerBound
        let pieces = [joined[..<cut1], joined[cut1..<cut2], joined[cut2...]].map(String.init)
        XCTAssertEqual(pieces.joined(), joined)
        let good = Fixtures.line(Fixtures.buildStep())
        let run = try propose(pieces.joined(separator: "\n") + "\n" + good + "\n")
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(reasons(run), ["malformed_json", "malformed_json", "malformed_json", "ok"])
        XCTAssertEqual(try aprReasons(), ["ticket OPS-1"], "no APR from the three lines")
        XCTAssertEqual(run.stderr.split(separator: "\n").map { $0.prefix(20) },
                       ["apr-propose: line 1:", "apr-propose: line 2:", "apr-propose: line 3:"])
    }

    func testAPrettyPrintedProposalThatIsAllOfStdinIsOneRecord() throws {
        let pretty = String(decoding: try JSONSerialization.data(withJSONObject: Fixtures.buildStep(),
                                                                 options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
        XCTAssertGreaterThan(pretty.split(separator: "\n").count, 5)
        let run = try propose(pretty + "\n")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(reasons(run), ["ok"])
        XCTAssertEqual(try aprReasons(), ["ticket OPS-1"])
    }

    func testAPrettyPrintedProposalFollowedByAnotherRecordIsReadLineByLine() throws {
        let pretty = String(decoding: try JSONSerialization.data(withJSONObject: Fixtures.buildStep(reason: "pretty"),
                                                                 options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
        let lines = pretty.split(separator: "\n").count
        let run = try propose(pretty + "\n" + Fixtures.line(Fixtures.buildStep()) + "\n")
        XCTAssertEqual(run.status, 65, run.description)
        XCTAssertEqual(run.lines.count, lines + 1, "one output line per input line")
        XCTAssertEqual(reasons(run).last, "ok")
        XCTAssertFalse(reasons(run).dropLast().contains("ok"), run.stdout)
        XCTAssertEqual(try aprReasons(), ["ticket OPS-1"], "nothing joined")
    }

    func testBlankLinesAreSkipped() throws {
        let a = Fixtures.line(Fixtures.buildStep(reason: "a")), b = Fixtures.line(Fixtures.buildStep(target: "T2", reason: "b"))
        let run = try propose("\n\n" + a + "\n  \n\t\n" + b + "\n\n")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(reasons(run), ["ok", "ok"])
        XCTAssertEqual(try aprReasons(), ["a", "b"])
    }

    func testCrlfLineEndingsAreLineEndings() throws {
        let a = Fixtures.line(Fixtures.buildStep(reason: "a")), b = Fixtures.line(Fixtures.buildStep(target: "T2", reason: "b"))
        let run = try propose(a + "\r\n" + b + "\r\n")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(reasons(run), ["ok", "ok"])
        XCTAssertEqual(try aprReasons(), ["a", "b"], "no CR kept")

        let pretty = String(decoding: try JSONSerialization.data(withJSONObject: Fixtures.buildStep(target: "T3", reason: "c"),
                                                                 options: [.prettyPrinted]), as: UTF8.self)
        let one = try propose(pretty.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
        XCTAssertEqual(reasons(one), ["ok"], one.description)
        XCTAssertEqual(try aprReasons(), ["a", "b", "c"])
    }

    // MARK: size limits, at the boundary

    func testARecordOfExactlyTheSizeLimitIsAcceptedAndOneByteMoreIsRefused() throws {
        let limit = 2 * 1024 * 1024
        func padded(to size: Int) -> String {
            let line = Fixtures.line(Fixtures.buildStep())
            return String(line.dropLast()) + String(repeating: " ", count: size - line.utf8.count) + "}"
        }
        XCTAssertEqual(padded(to: limit).utf8.count, limit)
        let run = try propose(padded(to: limit) + "\n")
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(try aprReasons(), ["ticket OPS-1"])
        try assertRejected(padded(to: limit + 1) + "\n", reason: "input_too_large")
    }

    func testAReasonOfExactlyItsLimitIsAcceptedAndOneByteMoreIsRefused() throws {
        let limit = 4096
        for fill in ["r", "é"] {
            let exact = String(repeating: fill, count: limit / fill.utf8.count)
            XCTAssertEqual(exact.utf8.count, limit)
            let run = try propose(with { $0["reason"] = exact })
            XCTAssertEqual(run.status, 0, run.description)
            try assertRejected(with { $0["reason"] = exact + "x" }, reason: "field_too_long")
        }
        XCTAssertEqual(try db.scalar("SELECT string_agg(octet_length(reason)::text, ',') FROM apr_requests"), "4096,4096")
    }

    func testUnreachableDatabaseExits69() throws {
        let run = try Tool.run("apr-propose", ["-d", "host=/nonexistent dbname=x"], stdin: Fixtures.line(Fixtures.buildStep()))
        XCTAssertEqual(run.status, 69, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "database_unavailable")
    }
}
