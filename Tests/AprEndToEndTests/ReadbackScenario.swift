import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The database as it stands after a real governed run (step 7 of the owner
/// runbook): a patch APR whose patch-apply installed the handler file, and
/// an authorize_build_step APR, both approved by quorum and applied, its
/// grant minted by grant-mint, the action bound (with its bind event, as
/// handler-bind records it).
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
        try db.installHandler("authorize_build_step", in: directory.path, content: handler)
        patchApr = try XCTUnwrap(db.scalar("SELECT apr_code FROM vps_deploy_log WHERE file_path = $1", [handlerFile]))
        try db.bind("authorize_build_step", to: ReadbackScenario.handlerRef)
        apr = try db.approved(Fixtures.buildStep()).code
        let minted = try Tool.run("grant-mint", ["-d", db.conninfo(as: "executor"), "--apr", apr])
        guard minted.status == 0 else { throw TestSupportError("grant-mint: \(minted)") }
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
