import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// patch-apply killed with SIGKILL at random instants, and run 32 at a time.
/// The figures (runs, old/new split, torn files, leftovers) are printed as
/// one `patch-apply crash loop:` line for the record.
final class PatchCrashTests: XCTestCase {
    /// A valid bash script of about `size` bytes, different for every version:
    /// big enough that a kill often lands while it is being written.
    static func script(_ version: Int, size: Int = 256 * 1024) -> Data {
        let line = ": 'padding so that writing this file takes a while ...........................'\n"
        let head = "#!/bin/bash\n# version \(version)\n"
        let tail = "echo \(version)\n"
        let count = (size - head.utf8.count - tail.utf8.count) / line.utf8.count
        return Data((head + String(repeating: line, count: count) + tail).utf8)
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// `bash -n FILE` passes.
    static func passesSyntaxCheck(_ path: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-n", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Starts `process`, kills it with SIGKILL after a random delay in
    /// [0, window), and waits; true when it had already finished by itself.
    static func killAtRandom(_ process: Process, window: Double) -> Bool {
        usleep(UInt32(Double.random(in: 0..<window) * 1e6))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .exit
    }

    func testKilledAtAnyInstantTheTargetIsOldOrNewAndTheNextRunSettlesIt() throws {
        let runs = Int(ProcessInfo.processInfo.environment["APRKIT_CRASH_RUNS"] ?? "") ?? 200
        let h = try PatchHarness(targetContent: nil)
        try h.write(data: PatchCrashTests.script(0), to: h.target)

        // The kill window is the length of a whole run: measured on the first
        // patch, then kept as a moving average of the re-runs that swap.
        let first = try h.approved(data: PatchCrashTests.script(1))
        let start = DispatchTime.now()
        XCTAssertEqual(try h.patchApply(["--apr", first]).status, 0)
        var window = PatchCrashTests.seconds(since: start)

        var old = 0, new = 0, torn = 0, finishedFirst = 0, unrecordedSwaps = 0, leftoversAfterKill = 0
        var leftoversAfterRerun = 0, settled = 0
        var installed = PatchCrashTests.script(1)
        for version in 2..<(runs + 2) {
            // Bytes are compared directly (memcmp); only the database needs hex digests.
            let content = PatchCrashTests.script(version)
            let apr = try h.approved(data: content)
            let newSha = PatchHarness.sha256(content)

            if PatchCrashTests.killAtRandom(try h.spawn(["--apr", apr]), window: window) { finishedFirst += 1 }
            try h.waitForToolSessionsToEnd()

            let now = try h.bytes(of: h.target)
            if now == installed { old += 1 } else if now == content { new += 1 } else { torn += 1 }
            XCTAssertTrue(try PatchCrashTests.passesSyntaxCheck(h.target), "run \(version): the target fails bash -n")
            if try !h.tempFiles().isEmpty { leftoversAfterKill += 1 }

            // The records agree with the disk, or the mismatch is an approved
            // APR whose bytes are already in place: the re-run settles it.
            let status = try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr])
            let rows = try h.scalar("SELECT count(*) FROM vps_deploy_log WHERE apr_code = $1", [apr])
            if status == "applied" {
                XCTAssertTrue(now == content, "run \(version): applied, but the disk does not hold the new bytes")
                XCTAssertEqual(rows, "1")
            } else {
                XCTAssertEqual(status, "approved", "run \(version)")
                XCTAssertEqual(rows, "0", "run \(version): a deploy row without the APR applied")
                if now == content { unrecordedSwaps += 1 }
            }

            let rerunStart = DispatchTime.now()
            let rerun = try h.patchApply(["--apr", apr])
            XCTAssertEqual(rerun.status, 0, "run \(version): \(rerun.description)")
            if rerun.json["unchanged"] == nil { window = 0.8 * window + 0.2 * PatchCrashTests.seconds(since: rerunStart) }
            if rerun.json["settled"] as? Bool == true { settled += 1 }
            XCTAssertTrue(try h.bytes(of: h.target) == content, "run \(version)")
            if try !h.tempFiles().isEmpty { leftoversAfterRerun += 1 }
            XCTAssertEqual(try h.scalar("SELECT status FROM apr_requests WHERE apr_code = $1", [apr]), "applied")
            XCTAssertEqual(try h.scalar("SELECT count(*) FROM vps_deploy_log WHERE apr_code = $1 AND status = 'success' AND sha256_after = $2", [apr, newSha]), "1")
            XCTAssertEqual(try h.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'patch' AND apr_code = $1", [apr]), "1")
            XCTAssertTrue(try h.bytes(of: h.root + "/.handler.sh.aprkit-backup.\(apr)") == installed,
                          "run \(version): the backup is the whole old file")
            installed = content
        }
        XCTAssertEqual(try h.db.ledgerChain(), "intact")

        print("patch-apply crash loop: runs=\(runs) old=\(old) new=\(new) torn=\(torn)"
              + " finished_before_kill=\(finishedFirst) leftovers_after_kill=\(leftoversAfterKill)"
              + " unrecorded_swaps=\(unrecordedSwaps) settled_by_rerun=\(settled)"
              + " leftovers_after_rerun=\(leftoversAfterRerun) window_ms=\(Int(window * 1000))")
        XCTAssertEqual(old + new + torn, runs)
        XCTAssertEqual(torn, 0)
        XCTAssertEqual(leftoversAfterRerun, 0)
        XCTAssertEqual(settled, unrecordedSwaps, "every swap a kill left unrecorded was settled by the re-run")
        // The kills must have landed on both sides of the swap, or the loop proved nothing.
        XCTAssertGreaterThan(old, 0)
        XCTAssertGreaterThan(new, 0)
    }

    /// The control: the same kill loop against a writer that writes in place
    /// (dd, truncating, one synced block at a time) does tear the file, and
    /// the check above sees it.
    func testTheSameKillLoopTearsAFileWrittenInPlace() throws {
        let h = try PatchHarness(targetContent: nil)
        let oldData = PatchCrashTests.script(0), newData = PatchCrashTests.script(1)
        let newFile = h.dir + "/new.sh"
        try h.write(data: newData, to: newFile)

        func inPlaceWriter() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/dd")
            process.arguments = ["if=\(newFile)", "of=\(h.target)", "bs=4096", "oflag=dsync", "status=none"]
            try process.run()
            return process
        }
        try h.write(data: oldData, to: h.target)
        let start = DispatchTime.now()
        let calibration = try inPlaceWriter()
        calibration.waitUntilExit()
        let window = PatchCrashTests.seconds(since: start) * 1.3

        var torn = 0, runs = 0
        while torn == 0 && runs < 50 {
            runs += 1
            try h.write(data: oldData, to: h.target)
            _ = PatchCrashTests.killAtRandom(try inPlaceWriter(), window: window)
            let now = try h.sha256(of: h.target)
            if now != PatchHarness.sha256(oldData) && now != PatchHarness.sha256(newData) { torn += 1 }
        }
        print("patch-apply crash loop control: in-place writes killed=\(runs) torn=\(torn)")
        XCTAssertGreaterThan(torn, 0, "the kill loop never tore an in-place write: it could not have caught a tear")
    }

    /// 32 runs at once, each with its own approved APR for the same file: they
    /// queue on the lock; the file ends as one whole version and each backup
    /// is the whole version before it.
    func testConcurrentRunsOnOneTargetLeaveWholeVersionsAndAChainOfBackups() throws {
        let h = try PatchHarness(targetContent: nil)
        let original = PatchCrashTests.script(0, size: 64 * 1024)
        try h.write(data: original, to: h.target)
        var versions: Set<String> = [PatchHarness.sha256(original)]
        var aprs: [String] = []
        for version in 1...32 {
            let content = PatchCrashTests.script(version, size: 64 * 1024)
            versions.insert(PatchHarness.sha256(content))
            aprs.append(try h.approved(data: content))
        }

        let processes = try aprs.map { try h.spawn(["--apr", $0]) }
        for process in processes { process.waitUntilExit() }
        XCTAssertEqual(processes.map(\.terminationStatus), Array(repeating: 0, count: 32))

        let rows = try h.db.connect().execute(
            "SELECT apr_code, sha256_before, sha256_after, backup_path, status FROM vps_deploy_log ORDER BY id")
        XCTAssertEqual(rows.rowCount, 32)
        var previous = PatchHarness.sha256(original)
        for row in 0..<rows.rowCount {
            XCTAssertEqual(rows.value(row, 4), "success")
            XCTAssertEqual(rows.value(row, 1), previous, "deploy \(row) replaced what the one before installed")
            XCTAssertTrue(versions.contains(rows.value(row, 2)!))
            XCTAssertEqual(try h.sha256(of: rows.value(row, 3)!), rows.value(row, 1), "backup \(row) is a whole earlier version")
            previous = rows.value(row, 2)!
        }
        XCTAssertEqual(try h.sha256(of: h.target), previous, "the file is the last version installed, whole")
        XCTAssertTrue(try PatchCrashTests.passesSyntaxCheck(h.target))
        XCTAssertEqual(try h.tempFiles(), [])
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM apr_requests WHERE status = 'applied'"), "32")
    }

    /// 32 runs at once of one APR: one swap, one deploy row; the others
    /// report it as already done.
    func testConcurrentRunsOfOneAprSwapOnce() throws {
        let h = try PatchHarness()
        let apr = try h.approved(PatchHarness.newScript)
        let outputs = (0..<32).map { _ in Pipe() }
        let processes = try outputs.map { try h.spawn(["--apr", apr], output: $0.fileHandleForWriting) }
        for process in processes { process.waitUntilExit() }
        XCTAssertEqual(processes.map(\.terminationStatus), Array(repeating: 0, count: 32))
        let lines = outputs.map { pipe -> String in
            try? pipe.fileHandleForWriting.close()
            return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        XCTAssertEqual(lines.filter { $0.contains("\"unchanged\":true") }.count, 31, lines.joined())
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM vps_deploy_log"), "1")
        XCTAssertEqual(try h.scalar("SELECT count(*) FROM gov_ledger WHERE event = 'patch'"), "1")
        XCTAssertEqual(try h.read(h.target), PatchHarness.newScript)
    }
}
