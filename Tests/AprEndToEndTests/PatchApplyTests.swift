import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// patch-apply's accepted runs against a real database and a real directory:
/// the swap and its records, idempotence, the dry run, the two stop
/// conditions, and what a killed run leaves for the next one to settle.
final class PatchApplyTests: XCTestCase {
    var h: PatchHarness!

    override func setUpWithError() throws { h = try PatchHarness() }
    override func tearDown() { h = nil }

    func testReplacesTheFileAndRecordsTheDeployTheLedgerAndTheAprStatus() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let oldSha = try h.sha256(of: h.target)
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: h.target)

        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(run.json["status"] as? String, "success")
        XCTAssertNil(run.json["unchanged"])
        XCTAssertEqual(try h.read(h.target), PatchHarness.newScript)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: h.target)[.posixPermissions] as? Int, 0o750,
                       "the mode of the old file is kept")

        let backup = h.root + "/.handler.sh.aprkit-backup.\(apr)"
        XCTAssertEqual(run.json["backup_path"] as? String, backup)
        XCTAssertEqual(try h.sha256(of: backup), oldSha)
        XCTAssertEqual((run.json["before"] as? [String: Any])?["sha256"] as? String, oldSha)
        XCTAssertEqual((run.json["after"] as? [String: Any])?["size"] as? Int, PatchHarness.newScript.utf8.count)
        XCTAssertEqual(try h.tempFiles(), [])

        let row = "SELECT host || '|' || file_path || '|' || sha256_before || '|' || sha256_after || '|' || backup_path || '|' || status || '|' || is_known_good FROM vps_deploy_log WHERE apr_code = $1"
        XCTAssertEqual(try h.scalar(row, [apr]),
                       "\(hostName())|\(h.target)|\(oldSha)|\(PatchHarness.sha256(PatchHarness.newScript))|\(backup)|success|true")
        XCTAssertEqual(try h.scalar("SELECT status || ' ' || (applied_at IS NOT NULL) FROM apr_requests WHERE apr_code = $1", [apr]), "applied true")
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'patch' AND apr_code = $1 AND payload ->> 'status' = 'success'", [apr]), "1")
        XCTAssertEqual(try h.scalar("SELECT quorum_passed($1)", [apr]), "t")
    }

    func testASecondRunIsUnchangedAndWritesNothing() throws {
        let apr = try h.approved(PatchHarness.newScript)
        XCTAssertEqual(try h.patchApply(["--apr", apr]).status, 0)
        let before = try h.snapshot()
        let inode = try FileManager.default.attributesOfItem(atPath: h.target)[.systemFileNumber] as? Int

        let again = try h.patchApply(["--apr", apr])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try h.snapshot(), before)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: h.target)[.systemFileNumber] as? Int, inode)
    }

    func testATargetThatAlreadyHoldsTheApprovedBytesIsNotSwappedAgain() throws {
        let apr = try h.approved(PatchHarness.newScript)
        try h.write(PatchHarness.newScript, to: h.target)
        let inode = try FileManager.default.attributesOfItem(atPath: h.target)[.systemFileNumber] as? Int

        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: h.target)[.systemFileNumber] as? Int, inode,
                       "no second swap: the same inode")
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "applied")
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM vps_deploy_log WHERE sha256_before = sha256_after"), "1")
    }

    func testReadsTheAprFromStdinAsTheProposeAndQuorumToolsPrintIt() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let state = try Tool.run("apr-quorum", ["-d", h.db.conninfo(as: "executor"), "--apr", apr])
        XCTAssertEqual(state.status, 0, state.description)
        let run = try h.patchApply([], stdin: state.stdout)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["apr_code"] as? String, apr)
        XCTAssertEqual(try h.read(h.target), PatchHarness.newScript)
    }

    func testDryRunChecksTheCandidateAndPrintsBeforeAndAfterButWritesNothing() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let before = try h.snapshot()
        let run = try h.patchApply(["--apr", apr, "--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["dry_run"] as? Bool, true)
        XCTAssertEqual(run.json["would_swap"] as? Bool, true)
        XCTAssertEqual((run.json["before"] as? [String: Any])?["sha256"] as? String, PatchHarness.sha256(PatchHarness.oldScript))
        XCTAssertEqual((run.json["before"] as? [String: Any])?["size"] as? Int, PatchHarness.oldScript.utf8.count)
        XCTAssertEqual((run.json["after"] as? [String: Any])?["sha256"] as? String, PatchHarness.sha256(PatchHarness.newScript))
        XCTAssertEqual(try h.snapshot(), before, "a dry run writes no row and no file, not even a lock")
    }

    func testDryRunOfACandidateThatFailsItsSyntaxCheckStopsAndWritesNothing() throws {
        let apr = try h.approved("#!/bin/bash\nif then\n")
        let before = try h.snapshot()
        let run = try h.patchApply(["--apr", apr, "--dry-run"])
        try h.assertRefused(run, status: 3, reason: "syntax_check_failed", unchangedSince: before)
        XCTAssertEqual(run.json["result"] as? String, "STOP")
    }

    /// The seed's first stop condition: the file stays, the temp file goes,
    /// the deploy log says failed, and the APR is failed.
    func testACandidateThatFailsItsSyntaxCheckStopsAndLeavesTheTargetUntouched() throws {
        let apr = try h.approved("#!/bin/bash\nif then\n")
        let oldSha = try h.sha256(of: h.target)
        let counts = try h.db.rowCounts()

        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["result"] as? String, "STOP")
        XCTAssertEqual(run.json["reason"] as? String, "syntax_check_failed")
        XCTAssertTrue((run.json["check_output"] as? String ?? "").contains("syntax error"), run.description)
        XCTAssertEqual(try h.sha256(of: h.target), oldSha)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: h.root).sorted(),
                       [".handler.sh.aprkit-lock", "handler.sh"], "no temp file and no backup left")

        var expected = counts
        expected["vps_deploy_log"]! += 1
        expected["apr_dispatches"]! += 1
        expected["gov_ledger"]! += 1
        XCTAssertEqual(try h.db.rowCounts(), expected, "one failed deploy row, its failed attempt and its ledger event, nothing else")
        XCTAssertEqual(try h.scalar("SELECT status || ' ' || is_known_good || ' ' || (sha256_after = sha256_before) FROM vps_deploy_log"), "failed false true")
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "failed")
    }

    func testAFailedAprIsNotAppliedAgain() throws {
        let apr = try h.approved("#!/bin/bash\nif then\n")
        XCTAssertEqual(try h.patchApply(["--apr", apr]).status, 3)
        let before = try h.snapshot()
        try h.assertRefused(try h.patchApply(["--apr", apr]), status: 1, reason: "apr_failed", unchangedSince: before)
    }

    /// A killed run swapped the file in but never recorded it; the next run
    /// finds the approved bytes in place and settles the record without a
    /// second swap, with the killed run's backup as the before.
    func testTheNextRunSettlesASwapAKilledRunDidNotRecord() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let oldSha = try h.sha256(of: h.target)
        let backup = h.root + "/.handler.sh.aprkit-backup.\(apr)"
        try FileManager.default.copyItem(atPath: h.target, toPath: backup)
        try h.write(PatchHarness.newScript, to: h.target)
        try h.write("half a temp fi", to: h.root + "/.handler.sh.aprkit-tmp.1.2", mode: 0o600)

        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["settled"] as? Bool, true)
        XCTAssertEqual(run.json["unchanged"] as? Bool, true)
        XCTAssertEqual(run.json["leftovers_removed"] as? Int, 1)
        XCTAssertEqual(try h.tempFiles(), [])
        XCTAssertEqual(try h.scalar("SELECT sha256_before || ' ' || status || ' ' || backup_path FROM vps_deploy_log WHERE apr_code = $1", [apr]),
                       "\(oldSha) success \(backup)")
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "applied")
    }

    /// Installs a trigger that makes the deploy-log insert do `action`, as
    /// a database failing between the swap and the record would.
    func failTheRecord(with action: String) throws {
        try h.db.connect().executeScript("""
            CREATE FUNCTION test_fail_record() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN \(action); RETURN NEW; END $$;
            CREATE TRIGGER test_fail_record BEFORE INSERT ON vps_deploy_log
                FOR EACH ROW EXECUTE FUNCTION test_fail_record();
            """)
    }

    func testARecordTheDatabaseRefusesAfterTheSwapPutsTheOldFileBack() throws {
        let apr = try h.approved(PatchHarness.newScript)
        try failTheRecord(with: "RAISE EXCEPTION USING ERRCODE = 'AKF99', MESSAGE = 'refused_in_test'")
        let before = try h.snapshot()
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "refused_in_test")
        XCTAssertEqual(run.json["swap_undone"] as? Bool, true)
        let after = try h.snapshot()
        XCTAssertEqual(after.rows, before.rows)
        XCTAssertEqual(after.files.filter { !$0.key.hasSuffix(".aprkit-lock") }, before.files,
                       "the old file is back, and neither backup nor temp file is left")
    }

    func testADatabaseLostAfterTheSwapLeavesItForTheReRunToSettle() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let oldSha = try h.sha256(of: h.target)
        try failTheRecord(with: "PERFORM pg_terminate_backend(pg_backend_pid())")
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 69, run.description)
        XCTAssertEqual(run.json["swapped"] as? Bool, true)
        XCTAssertEqual(run.json["recorded"] as? String, "unknown")
        XCTAssertEqual(try h.read(h.target), PatchHarness.newScript)
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "approved")

        try h.db.connect().executeScript("DROP TRIGGER test_fail_record ON vps_deploy_log")
        let rerun = try h.patchApply(["--apr", apr])
        XCTAssertEqual(rerun.status, 0, rerun.description)
        XCTAssertEqual(rerun.json["settled"] as? Bool, true)
        XCTAssertEqual(try h.scalar("SELECT sha256_before || ' ' || status FROM vps_deploy_log WHERE apr_code = $1", [apr]),
                       "\(oldSha) success")
    }

    func testLeftoverTempFilesOfAKilledRunAreRemovedByTheNextRun() throws {
        let apr = try h.approved(PatchHarness.newScript)
        try h.write("torn", to: h.root + "/.handler.sh.aprkit-tmp.99.1", mode: 0o600)
        try h.write("torn", to: h.root + "/.handler.sh.aprkit-tmp.99.2", mode: 0o600)
        try h.write("someone else's", to: h.root + "/.other.sh.aprkit-tmp.99.3", mode: 0o600)
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["leftovers_removed"] as? Int, 2)
        XCTAssertEqual(try h.tempFiles(), [".other.sh.aprkit-tmp.99.3"], "only this target's temp files are its own")
    }

    func testCreatesAFileThatDidNotExistAndRestoreRemovesIt() throws {
        let path = h.root + "/new-arm.sh"
        let apr = try h.approved(PatchHarness.newScript, filePath: path)
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertTrue(run.json["before"] is NSNull)
        XCTAssertEqual(try h.read(path), PatchHarness.newScript)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, 0o755)
        XCTAssertEqual(try h.scalar("SELECT (sha256_before IS NULL) || ' ' || (backup_path IS NULL) FROM vps_deploy_log"), "true true")

        let restore = try h.patchApply(["--restore", "--apr", apr])
        XCTAssertEqual(restore.status, 0, restore.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "revoked")
    }

    func testHelpAndVersion() throws {
        let help = try Tool.run("patch-apply", ["--help"])
        XCTAssertEqual(help.status, 0)
        for option in ["--apr", "--dry-run", "--restore", "--lock-timeout", "--dbname"] {
            XCTAssertTrue(help.stdout.contains(option), option)
        }
        let version = try Tool.run("patch-apply", ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
        let usage = try Tool.run("patch-apply", ["--restore", "--dry-run", "--apr", "APR-000001"])
        XCTAssertEqual(usage.status, 64, usage.description)
        XCTAssertEqual(usage.json["reason"] as? String, "usage")
    }
}

/// The post-swap check: an apr-execute handler checks itself after the swap;
/// when it fails, the old file is put back and the run stops.
final class PatchPostCheckTests: XCTestCase {
    static let selfChecking = "#!/bin/bash\nif [[ ${1:-} == --self-check ]]; then exit 0; fi\necho run\n"
    static let failingSelfCheck = "#!/bin/bash\nif [[ ${1:-} == --self-check ]]; then echo 'arm missing' >&2; exit 1; fi\n"

    func testAHandlerThatPassesItsSelfCheckIsKnownGood() throws {
        let h = try PatchHarness(postCheck: "self-check")
        let apr = try h.approved(PatchPostCheckTests.selfChecking)
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["is_known_good"] as? Bool, true)
    }

    func testAHandlerThatFailsItsSelfCheckIsRestoredAndTheRunStops() throws {
        let h = try PatchHarness(postCheck: "self-check")
        let apr = try h.approved(PatchPostCheckTests.failingSelfCheck)
        let oldSha = try h.sha256(of: h.target)
        let run = try h.patchApply(["--apr", apr])
        XCTAssertEqual(run.status, 3, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "post_check_failed")
        XCTAssertEqual(run.json["check_output"] as? String, "arm missing")
        XCTAssertEqual(try h.sha256(of: h.target), oldSha, "the backup is back in place")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: h.target)[.posixPermissions] as? Int, 0o755)
        XCTAssertEqual(try h.tempFiles(), [])
        XCTAssertEqual(try h.scalar("SELECT status || ' ' || is_known_good || ' ' || (sha256_after = $1) FROM vps_deploy_log", [oldSha]), "failed false true")
        XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "failed")
    }
}
