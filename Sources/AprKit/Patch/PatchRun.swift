import Glibc

/// One apply, under the target's lock, in the order that keeps the target
/// whole at every instant: back up, write a temp file and fsync it, verify
/// it, syntax-check it, give it the old file's owner and mode, rename it over
/// the target, fsync the directory, run the post-swap check, record.
struct PatchRun {
    /// What the target was before the swap, kept so it can be put back.
    enum Original {
        /// A file, copied to `.NAME.aprkit-backup.APR`.
        case file(name: String, path: String, digest: FileDigest)
        /// No file: the marker `.NAME.aprkit-backup.APR.none` (empty) says so.
        case none(marker: String)
        /// Found on settling with no backup: the file already held the
        /// approved bytes before any run of this APR touched it.
        case unchanged(FileDigest)

        var digest: FileDigest? {
            switch self {
            case .file(_, _, let digest), .unchanged(let digest): return digest
            case .none: return nil
            }
        }

        var backupPath: String? {
            if case .file(_, let path, _) = self { return path }
            return nil
        }

        /// The working file that records it, if any.
        var entry: String? {
            switch self {
            case .file(let name, _, _): return name
            case .none(let marker): return marker
            case .unchanged: return nil
            }
        }
    }

    let plan: PatchPlan
    let dir: TargetDirectory
    let records: PatchRecords
    let host: String
    /// Temp files of killed runs removed before this one started.
    let leftovers: Int

    var backupName: String { dir.backupName(for: plan.aprCode) }
    var markerName: String { backupName + ".none" }

    func run(_ content: Candidate) throws -> Outcome {
        let stat = try dir.inspect()
        let after = content.digest
        // One read of the target gives both its digest and the copy that
        // becomes its backup (so the backup is exactly the bytes hashed).
        let copy = stat == nil ? nil : try dir.copyToTemp(dir.name)
        let before = copy?.digest
        guard before != after else {
            if let copy { dir.remove(copy.name) }
            return try settle(after)
        }
        do {
            try PatchRun.checkExpectedBefore(plan, before, dir)
        } catch {
            if let copy { dir.remove(copy.name) }
            throw error
        }

        let original = try keep(copy)
        var temp: String?
        do {
            let written = try dir.writeTemp(content.bytes)
            temp = written
            guard try dir.digest(of: written) == after else {
                throw Refusal("temp_verify_failed", "\(dir.pathOf(written)) does not read back as written")
            }
            let check = try plan.checks.syntax(dir.pathOf(written))
            guard check.succeeded else {
                dir.remove(written)
                if let entry = original.entry { dir.remove(entry) }
                return try syntaxFailed(before: before, check)
            }
            try dir.copyAttributes(from: stat, to: written)
            try dir.rename(written, to: dir.name)
        } catch {
            // Not swapped: the target is as it was, so neither file is needed.
            if let temp { dir.remove(temp) }
            if let entry = original.entry { dir.remove(entry) }
            throw error
        }
        try dir.syncDirectory()
        return try finish(original, after: after, settled: false)
    }

    /// The target already holds the approved bytes: a killed run swapped them
    /// in but did not record it, or the file was already so. No second swap;
    /// the check and the record are completed. What a killed run kept (a
    /// backup or the no-file marker) says what the file was before.
    func settle(_ after: FileDigest) throws -> Outcome {
        let original: Original
        if try dir.inspect(backupName) != nil, let digest = try dir.digest(of: backupName) {
            original = .file(name: backupName, path: dir.pathOf(backupName), digest: digest)
        } else if try dir.inspect(markerName) != nil {
            original = .none(marker: markerName)
        } else {
            original = .unchanged(after)
        }
        return try finish(original, after: after, settled: true)
    }

    /// The post-swap check, then the record. A failed check puts the old file
    /// back and stops; a record the database refused puts it back too, so that
    /// disk and deploy log agree.
    func finish(_ original: Original, after: FileDigest, settled: Bool) throws -> Outcome {
        let check = try plan.checks.post(dir.targetPath)
        guard check.succeeded else { return try postCheckFailed(original, check) }
        let row: JSONObject
        do {
            row = try records.recordApply(plan, host: host, before: original.digest, after: after,
                                          backupPath: original.backupPath, status: "success",
                                          detail: settled ? ["settled": true] : [:])
        } catch let error as PGError where error.kind == .unavailable {
            // COMMIT may or may not have happened: keep the new file; the
            // re-run finds it in place and settles the record.
            var refusal = Refusal(error)
            refusal.details = ["apr_code": .string(plan.aprCode), "swapped": true, "recorded": "unknown"]
            throw refusal
        } catch {
            // The database answered and refused, so nothing was recorded:
            // put the old file back, and drop the backup with the swap.
            try undo(original)
            if let entry = original.entry { dir.remove(entry) }
            var refusal = (error as? Refusal) ?? (error as? PGError).map { Refusal($0) }
                ?? Refusal("internal_error", "\(error)")
            refusal.details.merge(["apr_code": .string(plan.aprCode), "swapped": true, "swap_undone": true])
            throw refusal
        }
        var fields = report(row, before: original.digest, after: after)
        if settled { fields["settled"] = true }
        return .done(fields, unchanged: settled)
    }

    /// Keeps what the target was before the swap: its copy, renamed to the
    /// backup's name only now that it is whole and fsynced (so a backup is
    /// whole whenever it exists); or, where there is no file, the marker
    /// that says so.
    func keep(_ copy: (name: String, digest: FileDigest)?) throws -> Original {
        guard let copy else {
            let marker = dir.openEntry(markerName, O_WRONLY | O_CREAT)
            guard marker >= 0 else { throw ioError("create \(dir.pathOf(markerName))", errno) }
            close(marker)
            try dir.syncDirectory()
            return .none(marker: markerName)
        }
        do {
            try dir.rename(copy.name, to: backupName)
        } catch {
            dir.remove(copy.name)
            throw error
        }
        // A restore checks the backup against this digest again before it
        // trusts a byte of it.
        try dir.syncDirectory()
        return .file(name: backupName, path: dir.pathOf(backupName), digest: copy.digest)
    }

    /// Puts the target back as it was before the swap: the backup, installed
    /// the same atomic way; or, where there was no file, no file.
    @discardableResult
    func undo(_ original: Original) throws -> FileDigest? {
        do {
            switch original {
            case .file(let name, _, let digest):
                return try dir.replace(dir.name, withCopyOf: name, expectedSha256: digest.sha256,
                                       attributesFrom: try dir.inspect())
            case .none:
                try dir.removeDurably(dir.name)
                return nil
            case .unchanged(let digest):
                return digest  // these bytes were there before: nothing older to put back
            }
        } catch let refusal as Refusal {
            throw Refusal("undo_failed",
                          "\(dir.targetPath) holds \(plan.aprCode)'s bytes and the old file could not be put back (\(refusal.message)); restore it by hand",
                          details: ["apr_code": .string(plan.aprCode), "backup_path": .string(orNull: original.backupPath)])
        }
    }

    /// The seed's first stop condition: the candidate fails its syntax check.
    /// The target was never touched; the deploy log says failed.
    func syntaxFailed(before: FileDigest?, _ check: Subprocess.Result) throws -> Outcome {
        let row = try records.recordApply(plan, host: host, before: before, after: before, backupPath: nil,
                                          status: "failed",
                                          detail: ["reason": "syntax_check_failed", "check_output": .string(check.summary)])
        return .refused(Refusal("syntax_check_failed",
            "\(plan.aprCode): the new \(plan.filePath) fails \(plan.checks.syntaxCheck): \(check.summary); the file is untouched",
            details: report(row, before: before, after: before).merging(["check_output": .string(check.summary)])))
    }

    /// The installed file failed its post-swap check: the old one is back.
    func postCheckFailed(_ original: Original, _ check: Subprocess.Result) throws -> Outcome {
        let restored = try undo(original)
        let row = try records.recordApply(plan, host: host, before: original.digest, after: restored,
                                          backupPath: original.backupPath, status: "failed",
                                          detail: ["reason": "post_check_failed", "check_output": .string(check.summary)])
        return .refused(Refusal("post_check_failed",
            "\(plan.aprCode): the installed \(plan.filePath) failed its \(plan.checks.postCheck) check (\(check.summary)); the old file is back",
            details: report(row, before: original.digest, after: restored).merging(["check_output": .string(check.summary)])))
    }

    /// `expected_sha256_before`, when the APR has one, must be what the
    /// target holds now (no file never matches).
    static func checkExpectedBefore(_ plan: PatchPlan, _ before: FileDigest?, _ dir: TargetDirectory) throws {
        guard let expected = plan.expectedSha256Before, expected != before?.sha256 else { return }
        throw Refusal("sha256_before_mismatch",
                      "\(dir.targetPath) hashes to \(before?.sha256 ?? "nothing (there is no file)"), not to the expected \(expected)",
                      details: ["apr_code": .string(plan.aprCode), "sha256_before": .string(orNull: before?.sha256),
                                "expected_sha256_before": .string(expected)])
    }

    func report(_ row: JSONObject, before: FileDigest?, after: FileDigest?) -> JSONObject {
        [
            "apr_code": .string(plan.aprCode), "file_path": .string(plan.filePath), "host": .string(host),
            "status": row["status"] ?? .null, "deploy_id": row["id"] ?? .null,
            "before": before.map { .object($0.json) } ?? .null, "after": after.map { .object($0.json) } ?? .null,
            "backup_path": row["backup_path"] ?? .null, "is_known_good": row["is_known_good"] ?? .null,
            "leftovers_removed": .integer(Int64(leftovers)),
        ]
    }
}
