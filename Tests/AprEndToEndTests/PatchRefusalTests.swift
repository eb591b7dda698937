import Foundation
import XCTest
import _AprTestSupport

/// One test per patch-apply refusal. Each differs from the accepted case (an
/// approved APR replacing `handler.sh` with a valid script) in one fact, and
/// proves that no row and no byte changed.
final class PatchRefusalTests: XCTestCase {
    var h: PatchHarness!

    override func setUpWithError() throws { h = try PatchHarness() }
    override func tearDown() { h = nil }

    func refuse(_ apr: String, status: Int32, reason: String, _ extra: [String] = [],
                file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try h.snapshot()
        try h.assertRefused(try h.patchApply(["--apr", apr] + extra), status: status, reason: reason,
                            unchangedSince: before, file: file, line: line)
    }

    func testTheAcceptedCaseTheOthersDifferFrom() throws {
        let run = try h.patchApply(["--apr", try h.approved(PatchHarness.newScript)])
        XCTAssertEqual(run.status, 0, run.description)
    }

    // MARK: The APR

    func testRefusesAnAprTheQuorumHasNotApproved() throws {
        let apr = try h.propose(PatchHarness.newScript)
        try h.vote(apr, as: ["owner1"])
        try refuse(apr, status: 2, reason: "not_approved")
    }

    func testRefusesAnApprovedAprWhoseQuorumNoLongerPasses() throws {
        let apr = try h.approved(PatchHarness.newScript)
        try h.scalar("SELECT apr_approver_set('owner2', 'owner', false)")  // deactivated since voting
        try refuse(apr, status: 2, reason: "quorum_not_met")
    }

    func testRefusesARejectedApr() throws {
        let apr = try h.propose(PatchHarness.newScript)
        try h.vote(apr, "reject", as: ["owner1"])
        try refuse(apr, status: 1, reason: "apr_rejected")
    }

    func testRefusesAnExpiredApr() throws {
        let apr = try h.approved(PatchHarness.newScript)
        // Time passes: move the APR's clock back (the guard trigger is off for this session only).
        let admin = try h.db.connect()
        try admin.executeScript("SET session_replication_role = replica")
        try admin.execute("UPDATE apr_requests SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE apr_code = $1", [apr])
        try refuse(apr, status: 1, reason: "apr_expired")
    }

    func testRefusesAnAprOfAnotherAction() throws {
        let apr = try h.db.connect(as: "proposer").execute(
            "SELECT apr_propose('authorize_build_step', 'authorize_build_step', $1::jsonb, 'S-1', 'ticket OPS-1') ->> 'apr_code'",
            [Fixtures.line(Fixtures.buildStep()["proposed_action"] as! [String: Any])]).value(0, 0)!
        try h.vote(apr)
        try refuse(apr, status: 1, reason: "wrong_action")
    }

    func testRefusesAnUnknownApr() throws {
        try refuse("APR-999999", status: 1, reason: "unknown_apr")
    }

    func testRefusesAMalformedAprCode() throws {
        try refuse("APR-12x", status: 65, reason: "invalid_apr_code")
    }

    // MARK: The path

    func testRefusesPathTraversal() throws {
        try h.write(PatchHarness.oldScript, to: h.dir + "/outside.sh")
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/../outside.sh"),
                   status: 1, reason: "path_traversal")
    }

    func testRefusesANonCanonicalPath() throws {
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/./handler.sh"),
                   status: 1, reason: "path_not_canonical")
    }

    func testRefusesPatchApplysOwnWorkingFiles() throws {
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/.handler.sh.aprkit-backup.APR-000001"),
                   status: 1, reason: "reserved_name")
    }

    func testRefusesAnUnregisteredTarget() throws {
        try h.write(PatchHarness.oldScript, to: h.dir + "/other.sh")
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.dir + "/other.sh"),
                   status: 1, reason: "unregistered_target")
    }

    func testRefusesASymlinkEscapeFromTheRoot() throws {
        try FileManager.default.createDirectory(atPath: h.dir + "/elsewhere", withIntermediateDirectories: false)
        try h.write(PatchHarness.oldScript, to: h.dir + "/elsewhere/handler.sh")
        try FileManager.default.createSymbolicLink(atPath: h.root + "/link", withDestinationPath: h.dir + "/elsewhere")
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/link/handler.sh"),
                   status: 1, reason: "symlink_escape")
    }

    func testRefusesATargetThatIsASymlink() throws {
        try FileManager.default.createSymbolicLink(atPath: h.root + "/link.sh", withDestinationPath: h.target)
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/link.sh"),
                   status: 1, reason: "target_is_symlink")
    }

    func testRefusesATargetThatIsADirectory() throws {
        try FileManager.default.createDirectory(atPath: h.root + "/sub.sh", withIntermediateDirectories: false)
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/sub.sh"),
                   status: 1, reason: "target_not_regular")
    }

    func testRefusesATargetThatIsADeviceOrAFifo() throws {
        let fifo = h.root + "/fifo.sh"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        try refuse(try h.approved(PatchHarness.newScript, filePath: fifo), status: 1, reason: "target_not_regular")
        let device = h.root + "/null.sh"
        if mknod(device, S_IFCHR | 0o644, dev_t((1 << 8) | 3)  /* makedev(1, 3): /dev/null */) == 0 {  // root only
            try refuse(try h.approved(PatchHarness.newScript, filePath: device), status: 1, reason: "target_not_regular")
        }
    }

    func testRefusesAMissingParentDirectory() throws {
        try refuse(try h.approved(PatchHarness.newScript, filePath: h.root + "/no-such-dir/handler.sh"),
                   status: 1, reason: "missing_parent")
    }

    // MARK: The content

    func testRefusesContentThatIsNotBase64() throws {
        var action = PatchHarness.proposedAction(filePath: h.target, content: Data(PatchHarness.newScript.utf8))
        action["new_content_base64"] = "IyEvYmluL2Jhc2gKZWNobyBuZXcK@"
        try refuse(try h.approvedBypassingPropose(action), status: 65, reason: "bad_base64")
    }

    func testRefusesContentOverTheTargetsSizeLimit() throws {
        h = try PatchHarness(maxBytes: 64)
        let limit = "#!/bin/bash\n" + String(repeating: "#", count: 51) + "\n"
        XCTAssertEqual(limit.utf8.count, 64)
        try refuse(try h.approved(limit + "#"), status: 65, reason: "content_too_large")
        XCTAssertEqual(try h.patchApply(["--apr", try h.approved(limit)]).status, 0, "exactly the limit is accepted")
    }

    func testRefusesContentThatDoesNotHashToTheApprovedSha256() throws {
        var action = PatchHarness.proposedAction(filePath: h.target, content: Data(PatchHarness.newScript.utf8))
        action["new_content_sha256"] = PatchHarness.sha256(PatchHarness.newScript + "\n")
        try refuse(try h.approvedBypassingPropose(action), status: 1, reason: "content_hash_mismatch")
    }

    func testRefusesWhenTheTargetIsNotTheExpectedBefore() throws {
        let apr = try h.approved(PatchHarness.newScript, expectedBefore: PatchHarness.sha256("#!/bin/bash\necho older\n"))
        try refuse(apr, status: 1, reason: "sha256_before_mismatch")
    }

    func testAcceptsTheRightExpectedBefore() throws {
        let apr = try h.approved(PatchHarness.newScript, expectedBefore: PatchHarness.sha256(PatchHarness.oldScript))
        XCTAssertEqual(try h.patchApply(["--apr", apr]).status, 0)
    }

    /// The syntax check's refusal writes the failed deploy row (see
    /// PatchApplyTests); here: the dry run's, which writes nothing at all.
    func testRefusesACandidateThatFailsItsSyntaxCheckInADryRun() throws {
        try refuse(try h.approved("#!/bin/bash\nfi\n"), status: 3, reason: "syntax_check_failed", ["--dry-run"])
    }

    func testRefusesWhileAnotherRunHoldsTheLock() throws {
        let apr = try h.approved(PatchHarness.newScript)
        let lockPath = h.root + "/.handler.sh.aprkit-lock"
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o600)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        defer { close(fd) }
        try refuse(apr, status: 75, reason: "lock_busy", ["--lock-timeout", "0"])
    }
}
