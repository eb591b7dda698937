import Foundation
import XCTest
import _AprTestSupport

/// `patch-apply --restore`: the backup recorded for the APR, verified, put
/// back the same atomic way; idempotent; refused when it cannot be trusted.
final class PatchRestoreTests: XCTestCase {
    var h: PatchHarness!
    var apr: String!
    var backup: String { h.root + "/.handler.sh.aprkit-backup.\(apr!)" }

    override func setUpWithError() throws {
        h = try PatchHarness()
        apr = try h.approved(PatchHarness.newScript)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: h.target)
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
    }

    override func tearDown() { h = nil }

    func restore() throws -> ToolRun { try h.patchApply(["--restore", "--apr", apr]) }

    func testRestorePutsTheOldFileBackAndRecordsIt() throws {
        let run = try restore()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(run.json["status"] as? String, "rolled_back")
        XCTAssertEqual(try h.read(h.target), PatchHarness.oldScript)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: h.target)[.posixPermissions] as? Int, 0o700)
        XCTAssertEqual(try h.tempFiles(), [])
        XCTAssertEqual(try h.scalar("SELECT sha256_before || ' ' || sha256_after || ' ' || backup_path || ' ' || is_known_good FROM vps_deploy_log WHERE status = 'rolled_back'"),
                       "\(PatchHarness.sha256(PatchHarness.newScript)) \(PatchHarness.sha256(PatchHarness.oldScript)) \(backup) false")
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'restore' AND apr_code = $1", [apr]), "1")
        XCTAssertEqual(try h.scalar("SELECT status || ' ' || (applied_at IS NOT NULL) FROM apr_requests WHERE apr_code = $1", [apr]), "revoked true")
    }

    func testASecondRestoreChangesNothing() throws {
        XCTAssertEqual(try restore().status, 0)
        let before = try h.snapshot()
        let again = try restore()
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try h.snapshot(), before)
    }

    func testARestoredAprIsNotAppliedAgain() throws {
        XCTAssertEqual(try restore().status, 0)
        let before = try h.snapshot()
        try h.assertRefused(try h.patchApply(["--apr", apr]), status: 1, reason: "apr_revoked", unchangedSince: before)
    }

    func testRefusesACorruptedBackupAndLeavesTheTargetAsItIs() throws {
        try h.write("#!/bin/bash\necho tampered\n", to: backup, mode: 0o600)
        let before = try h.snapshot()
        try h.assertRefused(try restore(), status: 1, reason: "backup_corrupt", unchangedSince: before)
        XCTAssertEqual(try h.read(h.target), PatchHarness.newScript)
    }

    func testRefusesABackupReplacedByALink() throws {
        try FileManager.default.removeItem(atPath: backup)
        try h.write(PatchHarness.oldScript, to: h.dir + "/decoy.sh")
        try FileManager.default.createSymbolicLink(atPath: backup, withDestinationPath: h.dir + "/decoy.sh")
        let before = try h.snapshot()
        try h.assertRefused(try restore(), status: 1, reason: "backup_corrupt", unchangedSince: before)
    }

    func testRefusesAMissingBackup() throws {
        try FileManager.default.removeItem(atPath: backup)
        let before = try h.snapshot()
        try h.assertRefused(try restore(), status: 1, reason: "backup_missing", unchangedSince: before)
    }

    func testRefusesWhenTheTargetChangedSinceThePatch() throws {
        try h.write("#!/bin/bash\necho later\n", to: h.target)
        let before = try h.snapshot()
        try h.assertRefused(try restore(), status: 1, reason: "target_changed", unchangedSince: before)
    }

    func testRefusesAnAprThatWasNeverApplied() throws {
        let other = try h.approved("#!/bin/bash\necho other\n")
        let before = try h.snapshot()
        try h.assertRefused(try h.patchApply(["--restore", "--apr", other]), status: 1, reason: "not_applied",
                            unchangedSince: before)
    }

    /// A restore killed after its rename: the next one finds the old bytes
    /// in place and only records it.
    func testTheNextRestoreSettlesARestoreAKilledRunDidNotRecord() throws {
        try FileManager.default.removeItem(atPath: h.target)
        try FileManager.default.copyItem(atPath: backup, toPath: h.target)
        let run = try restore()
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["settled"] as? Bool, true)
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "revoked")
    }
}
