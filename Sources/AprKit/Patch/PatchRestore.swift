/// One restore, under the target's lock: the backup recorded for the APR is
/// checked against the sha256 the deploy log holds, then installed the same
/// atomic way as a patch (temp file, fsync, rename, fsync the directory).
struct PatchRestore {
    let plan: PatchPlan
    let dir: TargetDirectory
    let records: PatchRecords
    let host: String
    let leftovers: Int

    func run() throws -> Outcome {
        guard let deploy = plan.lastDeploy("success"), let patched = deploy["sha256_after"]?.stringValue else {
            throw Refusal("internal_error", "\(plan.aprCode) is applied but has no successful deploy row")
        }
        // nil: the patch created the file, so restoring removes it.
        let original = deploy["sha256_before"]?.stringValue
        let backupPath = deploy["backup_path"]?.stringValue
        let stat = try dir.inspect()
        let now = stat == nil ? nil : try dir.digest(of: dir.name)

        // Already the old bytes: a killed restore swapped them back, or the
        // patch changed nothing. Only the record is missing.
        let settled = now?.sha256 == original
        if !settled {
            guard now?.sha256 == patched else {
                throw Refusal("target_changed",
                              "\(dir.targetPath) holds \(now?.sha256 ?? "no file"), not \(plan.aprCode)'s \(patched); a restore would discard a later change",
                              details: ["apr_code": .string(plan.aprCode), "sha256_now": .string(orNull: now?.sha256)])
            }
            if let original {
                let backup = try backupEntry(backupPath)
                _ = try dir.replace(dir.name, withCopyOf: backup, expectedSha256: original, attributesFrom: stat)
            } else {
                try dir.removeDurably(dir.name)
            }
        }
        let row = try records.recordRestore(plan, host: host, before: patched, after: original, backupPath: backupPath)
        var fields: JSONObject = [
            "apr_code": .string(plan.aprCode), "file_path": .string(plan.filePath), "host": .string(host),
            "status": row["status"] ?? .null, "deploy_id": row["id"] ?? .null,
            "sha256_before": .string(patched), "sha256_after": .string(orNull: original),
            "backup_path": .string(orNull: backupPath), "leftovers_removed": .integer(Int64(leftovers)),
        ]
        if settled { fields["settled"] = true }
        return .done(fields, unchanged: settled)
    }

    /// The backup's name in the target's directory: it must be the one this
    /// APR's patch wrote there, and a regular file.
    func backupEntry(_ recorded: String?) throws -> String {
        let name = dir.backupName(for: plan.aprCode)
        guard let recorded, recorded == dir.pathOf(name) else {
            throw Refusal("backup_missing", "\(plan.aprCode) recorded no backup of \(dir.targetPath)",
                          details: ["apr_code": .string(plan.aprCode)])
        }
        let found: Bool
        do {
            found = try dir.inspect(name) != nil
        } catch let refusal as Refusal where refusal.reason != "io_error" {
            // A link, a directory or a device where the backup should be.
            throw Refusal("backup_corrupt", refusal.message, details: ["apr_code": .string(plan.aprCode)])
        }
        guard found else {
            throw Refusal("backup_missing", "the backup \(recorded) is gone",
                          details: ["apr_code": .string(plan.aprCode), "backup_path": .string(recorded)])
        }
        return name
    }
}
