import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// A fresh database and a real temp directory for patch-apply: a registered
/// root `<dir>/handlers` holding the target `handler.sh`, approved
/// patch_ops_code APRs on demand, and the before/after snapshots every
/// refusal test compares.
final class PatchHarness {
    static let oldScript = "#!/bin/bash\necho old\n"
    static let newScript = "#!/bin/bash\necho new\n"

    let db: TestDatabase
    /// The temp directory; the registered root is `root`, below it.
    let dir: String
    let root: String
    var target: String { root + "/handler.sh" }

    init(syntaxCheck: String = "bash -n", postCheck: String = "syntax", maxBytes: Int = 1_048_576,
         targetContent: String? = PatchHarness.oldScript) throws {
        db = try TestDatabase()
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("aprkit-patch-\(getpid())-\(UUID().uuidString.prefix(8))").path
        root = dir + "/handlers"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try db.scalar("SELECT patch_target_set($1, $2, $3, $4)", [root, syntaxCheck, postCheck, String(maxBytes)])
        if let targetContent { try write(targetContent, to: root + "/handler.sh", mode: 0o755) }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: APRs

    static func proposedAction(filePath: String, content: Data, expectedBefore: String? = nil) -> [String: Any] {
        var action: [String: Any] = [
            "dot_code": "DOT-310", "file_path": filePath, "patch_mode": "full_replace",
            "new_content_base64": content.base64EncodedString(), "session_code": "S-C1-ABS-001",
            "test_plan": "bash -n passes",
        ]
        if let expectedBefore { action["expected_sha256_before"] = expectedBefore }
        return action
    }

    /// Proposes a patch of `filePath` (the target by default) as `proposer`.
    func propose(_ content: String, filePath: String? = nil, expectedBefore: String? = nil) throws -> String {
        try propose(data: Data(content.utf8), filePath: filePath, expectedBefore: expectedBefore)
    }

    func propose(data: Data, filePath: String? = nil, expectedBefore: String? = nil) throws -> String {
        let action = PatchHarness.proposedAction(filePath: filePath ?? target, content: data, expectedBefore: expectedBefore)
        return try db.propose([
            "request_type": "fix_repair_dot", "action_code": "patch_ops_code", "proposed_action": action,
            "session_code": "S-C1-ABS-001", "reason": "ticket OPS-2",
        ]).code
    }

    /// Votes as each approver (the high-risk quorum: two owners).
    func vote(_ apr: String, _ decision: String = "approve", as approvers: [String] = ["owner1", "owner2"]) throws {
        try db.vote(apr, decision, by: approvers)
    }

    /// An APR approved by the high-risk quorum.
    func approved(_ content: String, filePath: String? = nil, expectedBefore: String? = nil) throws -> String {
        let apr = try propose(content, filePath: filePath, expectedBefore: expectedBefore)
        try vote(apr)
        return apr
    }

    func approved(data: Data) throws -> String {
        let apr = try propose(data: data)
        try vote(apr)
        return apr
    }

    /// An APR written straight into the table, past apr_propose's checks (as
    /// a tampered or hand-made row would be), then approved by the quorum.
    func approvedBypassingPropose(_ action: [String: Any]) throws -> String {
        let apr = try db.scalar("""
            INSERT INTO apr_requests (apr_code, request_type, action_code, proposed_action, payload_sha256,
                                      session_code, reason, proposed_by, expires_at)
            VALUES ('APR-' || lpad(nextval('apr_code_seq')::text, 6, '0'), 'fix_repair_dot', 'patch_ops_code',
                    $1::jsonb, apr_payload_sha256($1::jsonb), 'S-C1-ABS-001', 'ticket OPS-2', 'proposer',
                    now() + interval '1 day')
            RETURNING apr_code
            """, [Fixtures.line(action)])!
        try vote(apr)
        return apr
    }

    // MARK: Running the tool

    var conninfo: String { db.conninfo(as: "executor") }

    @discardableResult
    func patchApply(_ args: [String], stdin: String = "") throws -> ToolRun {
        try Tool.run("patch-apply", ["-d", conninfo] + args, stdin: stdin)
    }

    /// The tool as a child process the caller controls (to kill it, or to run many at once).
    func spawn(_ args: [String], output: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(Tool.binDir)/patch-apply")
        process.arguments = ["-d", conninfo] + args
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until no patch-apply session is left on the server: a killed
    /// client's last transaction may still be committing or rolling back.
    func waitForToolSessionsToEnd() throws {
        let admin = try db.connect()
        while try admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'patch-apply'"
        ).value(0, 0) != "0" {
            usleep(2_000)
        }
    }

    // MARK: Files

    func write(_ content: String, to path: String, mode: Int = 0o755) throws {
        try write(data: Data(content.utf8), to: path, mode: mode)
    }

    func write(data: Data, to path: String, mode: Int = 0o755) throws {
        try data.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func read(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    static func sha256(_ data: Data) -> String { SHA256.hexDigest([UInt8](data)) }
    static func sha256(_ text: String) -> String { SHA256.hexDigest(Array(text.utf8)) }

    func sha256(of path: String) throws -> String { try SHA256.hexDigest(fileAt: path) }

    func bytes(of path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Every entry below the temp directory (links not followed), with the
    /// sha256 of each regular file and its mode: the "no byte changed" proof.
    func tree() throws -> [String: String] {
        var entries: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: dir)
        while let relative = enumerator?.nextObject() as? String {
            let path = dir + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let type = attributes[.type] as? FileAttributeType
            let mode = String((attributes[.posixPermissions] as? Int) ?? 0, radix: 8)
            entries[relative] = type == .typeRegular ? "\(mode) \(try sha256(of: path))" : "\(type?.rawValue ?? "?") \(mode)"
        }
        return entries
    }

    /// Names in the root that patch-apply's temp files would have.
    func tempFiles(in directory: String? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory ?? root).filter { $0.contains(".aprkit-tmp.") }
    }

    /// Everything a refusal must leave as it was: every row of every table,
    /// and every byte and mode below the temp directory.
    struct Snapshot: Equatable {
        let rows: String
        let files: [String: String]
    }

    func snapshot() throws -> Snapshot { Snapshot(rows: try db.contentDigest(), files: try tree()) }

    /// Asserts a refusal: its status, JSON reason, one stderr line, and nothing written.
    func assertRefused(_ run: ToolRun, status: Int32, reason: String, unchangedSince before: Snapshot,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(run.status, status, run.description, file: file, line: line)
        XCTAssertEqual(run.json["ok"] as? Bool, false, run.description, file: file, line: line)
        XCTAssertEqual(run.json["reason"] as? String, reason, run.description, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.hasPrefix("patch-apply: "), run.stderr, file: file, line: line)
        let after = try snapshot()
        XCTAssertEqual(after.rows, before.rows, "a refusal changed the database", file: file, line: line)
        XCTAssertEqual(after.files, before.files, "a refusal changed the files", file: file, line: line)
    }

    @discardableResult
    func scalar(_ sql: String, _ params: [String?] = []) throws -> String? { try db.scalar(sql, params) }
}
