import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// One Base64 decision: the database decodes a patch's content when it is
/// proposed and hands patch-apply those very bytes, so what apr-propose
/// accepts is exactly what patch-apply installs, and what it refuses is
/// refused before anything is written.
final class Base64DecisionTests: XCTestCase {
    var h: PatchHarness!

    override func setUpWithError() throws { h = try PatchHarness() }
    override func tearDown() { h = nil }

    func propose(_ base64: String) throws -> ToolRun {
        var action = PatchHarness.proposedAction(filePath: h.target, content: Data())
        action["new_content_base64"] = base64
        let proposal: [String: Any] = ["request_type": "fix_repair_dot", "action_code": "patch_ops_code",
                                       "proposed_action": action, "session_code": "S-C1-ABS-001", "reason": "ticket OPS-2"]
        return try Tool.run("apr-propose", ["-d", h.db.conninfo(as: "proposer")], stdin: Fixtures.line(proposal))
    }

    /// Nonzero bits after the last byte: PostgreSQL decodes it, so the
    /// proposal is accepted, and patch-apply installs PostgreSQL's bytes.
    func testTextPostgresDecodesIsInstalledAsPostgresDecodesIt() throws {
        for text in ["Zm9vYh==", "Zm9vYg=="] {
            let run = try propose(text)
            XCTAssertEqual(run.status, 0, run.description)
            let apr = run.json["apr_code"] as! String
            let decoded = try h.scalar("SELECT encode(decode($1, 'base64'), 'hex')", [text])!
            XCTAssertEqual(try h.scalar("SELECT proposed_action ->> 'new_content_sha256' FROM apr_requests WHERE apr_code = $1", [apr]),
                           try h.scalar("SELECT encode(sha256(decode($1, 'base64')), 'hex')", [text]))
            try h.vote(apr)
            let applied = try h.patchApply(["--apr", apr])
            XCTAssertEqual(applied.status, 0, applied.description)
            XCTAssertEqual(try h.bytes(of: h.target).map { String(format: "%02x", $0) }.joined(), decoded)
            XCTAssertEqual(try h.read(h.target), "foob")
        }
    }

    /// What the database does not decode (or the payload's pattern does not
    /// allow) is refused at the proposal: no APR, no row, no file changed.
    func testTextTheDatabaseRefusesIsRefusedBeforeAnythingIsWritten() throws {
        let cases = [
            ("Zm9vYg", "bad_base64"),        // missing padding
            ("Zm9vYmFy=", "bad_base64"),     // a stray pad
            ("Zm9v YmFy", "invalid_field"),  // whitespace
            ("Zm9v\nYmFy", "invalid_field"), // a line break
            ("Zm9-YmFy", "invalid_field"),   // the URL-safe alphabet
            ("Zm9_YmFy", "invalid_field"),
        ]
        for (text, reason) in cases {
            let before = try h.snapshot()
            let run = try propose(text)
            XCTAssertEqual(run.status, 65, "\(text): \(run)")
            XCTAssertEqual(run.json["reason"] as? String, reason, text)
            XCTAssertEqual(try h.snapshot(), before, "\(text): nothing written")
        }
    }
}
