import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The database as it stands after a real governed run (step 7 of the owner
/// runbook): a patch APR that installed the handler file, and an
/// authorize_build_step APR, both approved by quorum and applied, its grant
/// minted, the action bound. The APRs and votes go through the tools; what
/// the executor would write is written here directly as the superuser.
struct ReadbackScenario {
    let db: TestDatabase
    let apr: String
    let patchApr: String
    let handlerFile: String
    let directory: URL

    static let target = "DOT_C1_VOCAB_BUILD"
    static let handlerRef = "apr-execute:authorize_build_step"

    init(_ db: TestDatabase) throws {
        self.db = db
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("readback-\(db.name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        handlerFile = directory.appendingPathComponent("authorize_build_step").path
        let handler = "#!/usr/bin/env bash\nset -euo pipefail\nexec grant-mint \"$@\"\n"
        try Data(handler.utf8).write(to: URL(fileURLWithPath: handlerFile))

        apr = try db.approved(Fixtures.buildStep()).code
        patchApr = try db.approved(Fixtures.patch(filePath: handlerFile, content: handler)).code
        let digest = try SHA256.hexDigest(fileAt: handlerFile)
        // Triggers off for the setup only: this stands in for the executor.
        try db.connect().executeScript("""
            SET session_replication_role = replica;
            UPDATE apr_requests SET status = 'applied', applied_at = now() WHERE apr_code IN ('\(apr)', '\(patchApr)');
            INSERT INTO vps_deploy_log (apr_code, host, file_path, sha256_before, sha256_after, backup_path, status, is_known_good)
                 VALUES ('\(patchApr)', 'localhost', '\(handlerFile)', NULL, '\(digest)', NULL, 'success', true);
            UPDATE apr_action_types SET handler_ref = '\(ReadbackScenario.handlerRef)' WHERE action_code = 'authorize_build_step';
            INSERT INTO governance_build_authorization (auth_code, request_ref, scope, expires_at)
                 VALUES ('GBA-C1-\(apr)', '\(apr)', '{"target": "\(ReadbackScenario.target)"}', now() + interval '1 hour');
            """)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    var postGrantParams: [String] {
        ["--param", "apr=\(apr)", "--param", "target=\(Self.target)", "--param", "handler_ref=\(Self.handlerRef)",
         "--param", "handler_file=\(handlerFile)"] + ["--param", "grants_before=0"]
    }

    var prewriteParams: [String] {
        Array(postGrantParams.dropLast(2)) + ["--param", "action=authorize_build_step",
                           "--file-sha256", "handler_file_sha256=\(handlerFile)"]
    }

    /// Runs readback on this database as `role` (the superuser by default).
    func readback(_ args: [String], as role: String? = nil, stdin: String = "") throws -> ToolRun {
        try Tool.run("readback", ["-d", db.conninfo(as: role)] + args, stdin: stdin)
    }

    /// The items a JSON run reported as failed, by name.
    static func failedItems(_ run: ToolRun) -> [String] {
        run.lines.filter { $0["item"] != nil && $0["ok"] as? Bool == false }.compactMap { $0["item"] as? String }
    }
}
