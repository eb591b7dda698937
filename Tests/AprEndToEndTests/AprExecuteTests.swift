import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// apr-execute, run as a user runs it: the built-in authorize_build_step arm,
/// external arms in a handlers directory, dry runs, refusals, a crash between
/// dispatch and settle, and the self-check.
final class AprExecuteTests: XCTestCase {
    var db: TestDatabase!
    var handlers: URL!
    var outDir: URL!

    override func setUpWithError() throws {
        db = try TestDatabase()
        try db.bindMintArm()
        try db.addActionType("ops_note", fields: [("note", "string")])
        try db.scalar("UPDATE apr_action_types SET handler_ref = 'apr-execute:ops_note' WHERE action_code = 'ops_note'")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-exec-\(UUID().uuidString)")
        handlers = base.appendingPathComponent("handlers")
        outDir = base.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: handlers, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        db = nil
        try? FileManager.default.removeItem(at: handlers.deletingLastPathComponent())
    }

    var environment: [String: String] { ["APR_HANDLERS_DIR": handlers.path, "HANDLER_OUT_DIR": outDir.path] }

    func execute(_ args: [String] = [], stdin: String = "", as role: String? = "executor") throws -> ToolRun {
        try Tool.run("apr-execute", ["-d", db.conninfo(as: role)] + args, stdin: stdin, env: environment)
    }

    /// A handler file in the handlers directory, executable.
    func writeHandler(_ arm: String, _ body: String) throws {
        let url = handlers.appendingPathComponent(arm)
        try ("#!/bin/bash\nset -euo pipefail\n" + body).write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    /// The external arm the tests use: ops_note, an action type of the
    /// test's own (a low-risk note an operator's script acts on), bound to
    /// apr-execute:ops_note, whose handler file is installed the governed way.
    func installNoteHandler(_ body: String) throws {
        try db.installHandler("ops_note", in: handlers.path, content: "#!/bin/bash\nset -euo pipefail\n" + body)
    }

    /// The usual ops_note handler: keeps the APR it was given, counts its
    /// calls, answers JSON, and exits `exitStatus`.
    func installCountingNoteHandler(exitStatus: Int = 0) throws {
        try installNoteHandler("""
            cat > "$HANDLER_OUT_DIR/$APR_CODE.stdin"
            printf '%s\\n' "$APR_CODE" >> "$HANDLER_OUT_DIR/calls"
            printf '{"noted": "%s", "arm": "%s", "attempt": %s}\\n' "$APR_CODE" "$APR_ARM" "$APR_ATTEMPT"
            if [ \(exitStatus) -ne 0 ]; then echo "ops_note: the note was refused" >&2; fi
            exit \(exitStatus)

            """)
    }

    func approvedNote(_ note: String = "rotate the build cache") throws -> ProposedApr {
        let apr = try db.propose([
            "request_type": "ops_note", "action_code": "ops_note", "proposed_action": ["note": note],
            "session_code": "S-C1-ABS-001", "reason": "ticket OPS-3",
        ])
        try db.vote(apr.code, by: ["eng1"])
        return apr
    }

    var handlerCalls: [String] {
        ((try? String(contentsOf: outDir.appendingPathComponent("calls"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    func assertRefused(_ run: ToolRun, _ reason: String, _ status: Int32, unchangedFrom digest: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRefusal(run, by: "apr-execute", reason, status, in: db, unchangedFrom: digest, file: file, line: line)
    }

    // MARK: the built-in arm

    func testDispatchesTheBuildStepArmOnceAndARerunIsUnchanged() throws {
        let apr = try db.approved()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["handler_ref"] as? String, "apr-execute:authorize_build_step")
        XCTAssertEqual(run.json["minted"] as? Bool, true)
        XCTAssertEqual(try db.grantCount(), 1)
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "applied")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_dispatches WHERE apr_code = $1", [apr.code]), "1")

        let digest = try db.contentDigest()
        let again = try execute(["--apr", apr.code])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testDryRunOnAProposedAprSaysWhatWouldDispatchAndWritesNothing() throws {
        let apr = try db.propose(Fixtures.buildStep())
        let digest = try db.contentDigest()
        let run = try execute(["--dry-run"], stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["would_dispatch"] as? String, "apr-execute:authorize_build_step")
        XCTAssertEqual(run.json["arm_kind"] as? String, "built-in")
        XCTAssertEqual(run.json["eligible"] as? Bool, false)
        XCTAssertEqual(run.json["blocked_by"] as? [String], ["not_approved", "quorum_not_met"])
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testDryRunOnAnApprovedAprIsEligibleAndWritesNothing() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try execute(["--dry-run", "--apr", apr.code])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["eligible"] as? Bool, true)
        XCTAssertEqual(run.json["blocked_by"] as? [String], [])
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testDryRunOfThePendingSetWritesNothing() throws {
        _ = try db.approved()
        _ = try db.approved()
        let digest = try db.contentDigest()
        let run = try execute(["--pending", "--dry-run"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.map { $0["eligible"] as? Bool }, [true, true])
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    // MARK: refusals, one fact changed each

    func testRefusesAnUnboundHandler() throws {
        let apr = try db.approved()
        try db.scalar("UPDATE apr_action_types SET handler_ref = NULL WHERE action_code = 'authorize_build_step'")
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "handler_unbound", 1, unchangedFrom: digest)
    }

    func testDispatchesAPatchToTheBuiltInPatchArmOnce() throws {
        let patch = try PatchHarness()
        let code = try patch.approved(PatchHarness.newScript)
        try patch.db.scalar("UPDATE apr_action_types SET handler_ref = 'apr-execute:patch_ops_code' WHERE action_code = 'patch_ops_code'")
        let first = try Tool.run("apr-execute", ["-d", patch.db.conninfo(as: "executor"), "--apr", code])
        XCTAssertEqual(first.status, 0, first.description)
        XCTAssertEqual(first.json["arm"] as? String, "patch_ops_code")
        XCTAssertEqual(try patch.read(patch.target), PatchHarness.newScript)
        XCTAssertEqual(try patch.db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [code]), "applied")
        let again = try Tool.run("apr-execute", ["-d", patch.db.conninfo(as: "executor"), "--apr", code])
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(try patch.db.scalar("SELECT count(*) FROM vps_deploy_log WHERE apr_code = $1", [code]), "1")
    }

    func testRefusesAnExternalArmWithoutItsHandlerFile() throws {
        let apr = try approvedNote()
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "arm_not_implemented", 1, unchangedFrom: digest)
        XCTAssertEqual(handlerCalls, [])
    }

    func testSkipsAnAprNotApproved() throws {
        let apr = try db.propose(Fixtures.buildStep())
        try db.vote(apr.code, by: ["owner1"])
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "not_approved", 2, unchangedFrom: digest)
    }

    func testSkipsWhenTheQuorumNoLongerPasses() throws {
        let apr = try db.approved()
        try db.scalar("SELECT apr_approver_set('owner1', 'owner', false)")
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "quorum_not_met", 2, unchangedFrom: digest)
    }

    func testRefusesASuperuserSession() throws {
        let apr = try db.approved()
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line, as: nil), "privileged_session", 1, unchangedFrom: digest)
    }

    func testRefusesAnUnknownApr() throws {
        let digest = try db.contentDigest()
        try assertRefused(try execute(["--apr", "APR-424242"]), "unknown_apr", 1, unchangedFrom: digest)
    }

    // MARK: external arms

    func testDispatchesAnExternalArmOnceWithTheAprOnStdin() throws {
        try installCountingNoteHandler()
        let apr = try approvedNote()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["status"] as? String, "applied")
        XCTAssertEqual(run.json["arm"] as? String, "ops_note")
        XCTAssertEqual(run.json["attempt"] as? Int, 1)
        let answer = (run.json["handler"] as? [String: Any])?["answer"] as? [String: Any]
        XCTAssertEqual(answer?["noted"] as? String, apr.code)
        XCTAssertEqual(answer?["attempt"] as? Int, 1)
        XCTAssertEqual(handlerCalls, [apr.code])
        let given = try String(contentsOf: outDir.appendingPathComponent("\(apr.code).stdin"), encoding: .utf8)
        let aprJSON = try JSONSerialization.jsonObject(with: Data(given.utf8)) as? [String: Any]
        XCTAssertEqual(aprJSON?["apr_code"] as? String, apr.code)
        XCTAssertEqual(aprJSON?["handler_ref"] as? String, "apr-execute:ops_note")
        XCTAssertNotNil(aprJSON?["proposed_action"] as? [String: Any])
        XCTAssertEqual(try db.scalar("SELECT status || ' ' || (applied_at IS NOT NULL) FROM apr_requests WHERE apr_code = $1", [apr.code]), "applied true")
        // The attempt records the governed bytes that ran.
        let installed = try SHA256.hexDigest(fileAt: handlers.appendingPathComponent("ops_note").path)
        XCTAssertEqual(try db.scalar("SELECT outcome || ' ' || exit_status || ' ' || handler_sha256 FROM apr_dispatches WHERE apr_code = $1", [apr.code]),
                       "applied 0 \(installed)")
        XCTAssertEqual(try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1 AND event IN ('dispatch', 'settle')", [apr.code]), "dispatch,settle")

        let digest = try db.contentDigest()
        let again = try execute(stdin: apr.line)
        XCTAssertEqual(again.status, 0, again.description)
        XCTAssertEqual(again.json["unchanged"] as? Bool, true)
        XCTAssertEqual(handlerCalls, [apr.code], "dispatched once")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testABuiltInArmWinsOverAHandlerFileOfItsName() throws {
        // The owner runbook installs a handler file named authorize_build_step
        // (the governed code patch); the arm that mints is the built-in one,
        // one transaction, never the file.
        try db.installHandler("authorize_build_step", in: handlers.path, content: """
            #!/bin/bash
            printf '%s\\n' "$APR_CODE" >> "$HANDLER_OUT_DIR/calls"
            exit 0

            """)
        let apr = try db.approved()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.json["minted"] as? Bool, true)
        XCTAssertEqual(handlerCalls, [], "the file never ran")
        XCTAssertEqual(try db.grantCount(), 1)
        XCTAssertEqual(try db.scalar("SELECT outcome || ' ' || arm || ' ' || coalesce(handler_sha256, 'built-in') FROM apr_dispatches WHERE apr_code = $1", [apr.code]),
                       "applied authorize_build_step built-in")
        XCTAssertEqual(try db.scalar("SELECT string_agg(event, ',' ORDER BY seq) FROM gov_ledger WHERE apr_code = $1 AND event IN ('dispatch', 'mint', 'settle')", [apr.code]),
                       "mint")
    }

    func testAFailingHandlerFailsTheAprAndItIsNeverDispatchedAgain() throws {
        try installCountingNoteHandler(exitStatus: 3)
        let apr = try approvedNote()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.json["reason"] as? String, "handler_failed")
        XCTAssertTrue(run.stderr.contains("the note was refused"), run.stderr)
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "failed")
        XCTAssertEqual(try db.scalar("SELECT outcome || ' ' || exit_status FROM apr_dispatches WHERE apr_code = $1", [apr.code]), "failed 3")

        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "apr_failed", 1, unchangedFrom: digest)
        XCTAssertEqual(handlerCalls, [apr.code])
    }

    /// A planted handler file (never deployed through a governed patch) or a
    /// governed one changed since: nothing runs, a STOP names the file and
    /// its hash, nothing is written.
    func testAHandlerFileThatIsNotItsGovernedDeployNeverRuns() throws {
        let apr = try approvedNote()
        try writeHandler("ops_note", "printf '%s\\n' \"$APR_CODE\" >> \"$HANDLER_OUT_DIR/calls\"\n")
        var digest = try db.contentDigest()
        var run = try execute(stdin: apr.line)
        try assertRefused(run, "handler_not_governed", 3, unchangedFrom: digest)
        XCTAssertTrue(run.stderr.contains(handlers.appendingPathComponent("ops_note").path), run.stderr)

        try FileManager.default.removeItem(at: handlers.appendingPathComponent("ops_note"))
        try installCountingNoteHandler()
        try "\necho planted\n".data(using: .utf8).map {
            let handle = try FileHandle(forWritingTo: handlers.appendingPathComponent("ops_note"))
            try handle.seekToEnd()
            try handle.write(contentsOf: $0)
            try handle.close()
        }
        let changed = try SHA256.hexDigest(fileAt: handlers.appendingPathComponent("ops_note").path)
        digest = try db.contentDigest()
        run = try execute(stdin: apr.line)
        try assertRefused(run, "handler_not_governed", 3, unchangedFrom: digest)
        XCTAssertTrue(run.stderr.contains(changed), "names the hash it found: \(run.stderr)")
        XCTAssertEqual(handlerCalls, [], "nothing ran")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")
    }

    /// A handler deploy rolled back: the file holds its earlier bytes again,
    /// which the restore records, so they run; the bytes rolled back are
    /// governed no longer, and put back by hand they never run.
    func testARestoredHandlerRunsAndTheBytesRolledBackNeverDo() throws {
        try installCountingNoteHandler()
        let path = handlers.appendingPathComponent("ops_note").path
        let first = try SHA256.hexDigest(fileAt: path)
        let second = "#!/bin/bash\nset -euo pipefail\necho second >> \"$HANDLER_OUT_DIR/calls\"\necho '{}'\n"
        let upgrade = try db.approved(Fixtures.patch(filePath: path, content: second))
        XCTAssertEqual(try Tool.run("patch-apply", ["-d", db.conninfo(as: "executor"), "--apr", upgrade.code]).status, 0)
        let restore = try Tool.run("patch-apply", ["-d", db.conninfo(as: "executor"), "--restore", "--apr", upgrade.code])
        XCTAssertEqual(restore.status, 0, restore.description)
        XCTAssertEqual(try SHA256.hexDigest(fileAt: path), first)

        let apr = try approvedNote()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(handlerCalls, [apr.code], "the restored handler ran")

        try writeHandler("ops_note", "echo second >> \"$HANDLER_OUT_DIR/calls\"\necho '{}'\n")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), second)
        let again = try approvedNote("second note")
        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: again.line), "handler_not_governed", 3, unchangedFrom: digest)
        XCTAssertEqual(handlerCalls, [apr.code], "the rolled-back bytes never ran")
    }

    /// The executor records a patch and a restore that never happened, the
    /// restore "putting back" bytes of its choosing: those bytes were never
    /// installed by a governed deploy, so they govern nothing.
    func testARestoreOfBytesNoGovernedDeployInstalledGovernsNothing() throws {
        try db.scalar("SELECT patch_target_set($1, 'bash -n')", [handlers.path])
        let path = handlers.appendingPathComponent("forged_arm").path
        let approved = "#!/bin/bash\necho '{}'\n"
        let apr = try db.approved(Fixtures.patch(filePath: path, content: approved))
        let good = SHA256.hexDigest(Array(approved.utf8))
        let evil = SHA256.hexDigest(Array("#!/bin/bash\necho evil\n".utf8))
        let executor = try db.connect(as: "executor")
        try executor.execute("SELECT patch_record($1, 'h1', $2, $3, $4, '/nonexistent', 'success')", [apr.code, path, evil, good])
        try executor.execute("SELECT patch_restore_record($1, 'h1', $2, $3, $4, '/nonexistent')", [apr.code, path, good, evil])
        XCTAssertEqual(try db.scalar("SELECT apr_governed_handler($1) -> 'deploy'", [path]), "null")
    }

    /// The handler's dispatcher dies while the handler runs: what the
    /// handler did is unknown, so the attempt is indeterminate and the
    /// handler never runs again on its own; the operator's --retry runs it
    /// again, as attempt 2.
    func testADispatchLostMidRunIsIndeterminateAndRunsAgainOnlyOnRetry() throws {
        try installNoteHandler("""
            printf '%s\\n' "$APR_CODE" >> "$HANDLER_OUT_DIR/calls"
            if [ "$APR_ATTEMPT" = 1 ]; then kill -9 "$PPID"; sleep 1; fi
            echo '{}'

            """)
        let apr = try approvedNote()
        let crashed = try execute(stdin: apr.line)
        XCTAssertEqual(crashed.status, SIGKILL, "killed mid-run: \(crashed.description)")
        XCTAssertEqual(crashed.stdout, "")
        try db.waitForNoSessions("apr-execute")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_dispatches WHERE apr_code = $1 AND outcome IS NULL", [apr.code]), "1")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")

        let found = try execute(stdin: apr.line)
        XCTAssertEqual(found.status, 3, found.description)
        XCTAssertEqual(found.json["reason"] as? String, "dispatch_indeterminate")
        XCTAssertEqual(found.json["result"] as? String, "STOP")
        XCTAssertTrue(found.stderr.contains("--retry"), found.stderr)
        XCTAssertEqual(try db.scalar("SELECT outcome FROM apr_dispatches WHERE apr_code = $1 AND attempt = 1", [apr.code]), "indeterminate")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")
        XCTAssertEqual(handlerCalls, [apr.code], "the handler is not run again")

        let digest = try db.contentDigest()
        try assertRefused(try execute(stdin: apr.line), "dispatch_indeterminate", 3, unchangedFrom: digest)
        XCTAssertEqual(try execute(["--pending"]).lines.filter { $0["apr_code"] as? String == apr.code }.first?["reason"] as? String,
                       "dispatch_indeterminate")
        XCTAssertEqual(handlerCalls, [apr.code])

        let retried = try execute(["--retry", "--apr", apr.code])
        XCTAssertEqual(retried.status, 0, retried.description)
        XCTAssertEqual(retried.json["attempt"] as? Int, 2)
        XCTAssertEqual(handlerCalls, [apr.code, apr.code])
        XCTAssertEqual(try db.scalar("SELECT string_agg(attempt || ':' || outcome, ',' ORDER BY attempt) FROM apr_dispatches WHERE apr_code = $1", [apr.code]),
                       "1:indeterminate,2:applied")
    }

    func testAnotherExecutorWaitsForADispatchInFlightAndNeverRepeatsIt() throws {
        let started = outDir.appendingPathComponent("started").path
        let release = outDir.appendingPathComponent("release").path
        try installNoteHandler("""
            printf '%s\\n' "$APR_CODE" >> "$HANDLER_OUT_DIR/calls"
            : > "\(started)"
            while [ ! -e "\(release)" ]; do sleep 0.02; done
            echo '{}'

            """)
        let apr = try approvedNote()
        let first = try LaunchedTool("apr-execute", ["-d", db.conninfo(as: "executor"), "--apr", apr.code], env: environment)
        while !FileManager.default.fileExists(atPath: started) { usleep(10_000) }

        let digest = try db.contentDigest()
        let second = try execute(["--apr", apr.code, "--lock-wait", "1"])
        try assertRefused(second, "dispatch_in_progress", 75, unchangedFrom: digest)

        _ = FileManager.default.createFile(atPath: release, contents: nil)
        let done = first.wait()
        XCTAssertEqual(done.status, 0, done.description)
        let third = try execute(["--apr", apr.code])
        XCTAssertEqual(third.status, 0, third.description)
        XCTAssertEqual(third.json["unchanged"] as? Bool, true)
        XCTAssertEqual(handlerCalls, [apr.code])
    }

    // MARK: --pending and --self-check

    /// A planted handler whose #! line names a "bash" of its own: neither
    /// the self-check nor a dispatch runs that program (it is not governed,
    /// and a syntax check uses the system's shell, never the #! path).
    func testAPlantedHandlersInterpreterNeverRuns() throws {
        let fake = outDir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: fake, withIntermediateDirectories: true)
        let marker = outDir.appendingPathComponent("interpreter-ran").path
        try "#!/bin/sh\ntouch \(marker)\n".write(to: fake.appendingPathComponent("bash"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.appendingPathComponent("bash").path)
        let url = handlers.appendingPathComponent("ops_note")
        try "#!\(fake.path)/bash\necho '{}'\n".write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)

        let check = try execute(["--self-check"])
        XCTAssertNotEqual(check.status, 0, check.description)
        XCTAssertTrue(check.stdout.contains("handler_not_governed"), check.description)
        let apr = try approvedNote()
        let run = try execute(stdin: apr.line)
        XCTAssertEqual(run.json["reason"] as? String, "handler_not_governed", run.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the #! program ran")
    }

    func testPendingDispatchesEveryApprovedAprAndReportsEachRefusal() throws {
        try installCountingNoteHandler()
        let build = try db.approved()
        let tool = try approvedNote()
        let patch = try db.propose(Fixtures.patch(filePath: "/opt/ops/bin/handler", content: "true\n"))
        try db.vote(patch.code, by: ["owner1", "owner2"])   // approved, but patch_ops_code is unbound
        let proposed = try db.propose(Fixtures.buildStep())   // not approved: not taken
        let run = try execute(["--pending"])
        XCTAssertEqual(run.status, 1, run.description)
        let byCode = Dictionary(uniqueKeysWithValues: run.lines.map { ($0["apr_code"] as? String ?? "?", $0) })
        XCTAssertEqual(run.lines.count, 3, run.description)
        XCTAssertEqual(byCode[build.code]?["minted"] as? Bool, true)
        XCTAssertEqual(byCode[tool.code]?["status"] as? String, "applied")
        XCTAssertEqual(run.lines.first { $0["ok"] as? Bool == false }?["reason"] as? String, "handler_unbound")
        XCTAssertNil(byCode[proposed.code])
        XCTAssertEqual(handlerCalls, [tool.code])

        let digest = try db.contentDigest()
        let again = try execute(["--pending"])
        XCTAssertEqual(again.lines.count, 1, "only the unbound APR is left: \(again.stdout)")
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    func testPendingLeavesAnApprovedAprPastItsExpiry() throws {
        let live = try db.approved()
        let expired = try db.approved()
        let admin = try db.connect()
        try admin.execute("SET session_replication_role = replica")
        try admin.execute("UPDATE apr_requests SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE apr_code = $1", [expired.code])
        let dry = try execute(["--pending", "--dry-run"])
        XCTAssertEqual(dry.lines.map { $0["apr_code"] as? String }, [live.code], dry.description)
        let run = try execute(["--pending"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertEqual(run.lines.map { $0["apr_code"] as? String }, [live.code], run.description)
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [expired.code]), "approved")
    }

    func testSelfCheckWithNothingPendingIsANoOpPass() throws {
        try installCountingNoteHandler()
        let digest = try db.contentDigest()
        let run = try execute(["--self-check", "--pending"])
        XCTAssertEqual(run.status, 0, run.description)
        let arms = run.lines.compactMap { $0["arm"] as? String }
        XCTAssertEqual(arms, ["authorize_build_step", "patch_ops_code", "register_tool", "ops_note"])
        let note = run.lines.first { $0["arm"] as? String == "ops_note" }
        XCTAssertEqual(note?["syntax_check"] as? String, "bash -n")
        XCTAssertEqual(note?["governed"] as? Bool, true)
        XCTAssertEqual(run.lines.last?["self_check"] as? String, "passed")
        XCTAssertEqual(run.lines.last?["pending"] as? Int, 0)
        XCTAssertEqual(try db.contentDigest(), digest)
    }

    /// A governed handler whose bash is broken where its root's check (sh -n,
    /// dash here) sees a command: the self-check fails on the governed copy
    /// of its bytes, checked by the shell its #! names.
    func testSelfCheckFailsOnAHandlerThatFailsItsSyntaxCheckAndDispatchesNothing() throws {
        try db.scalar("SELECT patch_target_set($1, 'sh -n')", [handlers.path])
        try installNoteHandler("[[ x\n")
        let apr = try db.approved()
        let digest = try db.contentDigest()
        let run = try execute(["--self-check", "--pending"])
        XCTAssertEqual(run.status, 1, run.description)
        XCTAssertEqual(run.lines.first { $0["ok"] as? Bool == false }?["reason"] as? String, "handler_syntax_failed")
        XCTAssertEqual(run.lines.last?["self_check"] as? String, "failed")
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM apr_dispatches WHERE apr_code = $1", [apr.code]), "0")
        XCTAssertEqual(try db.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr.code]), "approved")
        XCTAssertEqual(try db.contentDigest(), digest)
    }
}
