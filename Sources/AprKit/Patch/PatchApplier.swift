import Glibc

/// The patch_ops_code handler: replaces a registered file with the bytes an
/// approved APR carries, and puts it back on `restore`. Killed at any instant
/// it leaves the target whole (old bytes or new), a backup of the old, and
/// nothing the next run does not clean up or settle. `patch-apply` and
/// apr-execute's patch_ops_code arm both call this.
public struct PatchApplier {
    let connection: Connection
    let lockTimeoutSeconds: Int
    let host: String

    public init(connection: Connection, lockTimeoutSeconds: Int = 60) {
        self.connection = connection
        self.lockTimeoutSeconds = lockTimeoutSeconds
        host = hostName()
    }

    var records: PatchRecords { PatchRecords(connection: connection) }

    /// Applies the APR's patch (SPEC §6 step 1), or with `dryRun` checks the
    /// candidate and prints what would change, writing nothing.
    public func apply(aprCode: String, dryRun: Bool) throws -> Outcome {
        let first = try records.plan(aprCode)
        if first.status == "applied" { return PatchApplier.alreadyApplied(first) }
        let dir = try TargetDirectory(filePath: first.filePath, root: first.root)
        let exists = try dir.inspect() != nil
        let content = try first.content()
        if dryRun || first.expectedSha256Before != nil {
            let before = exists ? try dir.digest(of: dir.name) : nil
            if dryRun { return try rehearse(first, dir, content, before: before) }
            // Refuse a wrong base before taking the lock (checked again under
            // it); a target that already holds the approved bytes is settled.
            if content.digest != before { try PatchRun.checkExpectedBefore(first, before, dir) }
        }

        let lock = try TargetLock(dir, timeoutSeconds: lockTimeoutSeconds)
        defer { lock.release() }
        let leftovers = try dir.removeLeftoverTemps()
        // Another run may have applied it while this one waited for the lock.
        let plan = try records.plan(aprCode, withContent: false)
        if plan.status == "applied" { return PatchApplier.alreadyApplied(plan) }
        return try PatchRun(plan: plan, dir: dir, records: records, host: host, leftovers: leftovers).run(content)
    }

    /// Puts back the file the APR's patch replaced (the last step of the
    /// runbook's rollback); a second restore changes nothing.
    public func restore(aprCode: String) throws -> Outcome {
        let first = try records.restorePlan(aprCode)
        if first.status != "applied" { return PatchApplier.nothingToRestore(first) }
        let dir = try TargetDirectory(filePath: first.filePath, root: first.root)

        let lock = try TargetLock(dir, timeoutSeconds: lockTimeoutSeconds)
        defer { lock.release() }
        let leftovers = try dir.removeLeftoverTemps()
        let plan = try records.restorePlan(aprCode)
        if plan.status != "applied" { return PatchApplier.nothingToRestore(plan) }
        return try PatchRestore(plan: plan, dir: dir, records: records, host: host, leftovers: leftovers).run()
    }

    /// The dry run: every check a real run makes before it writes, and the
    /// syntax check on the candidate in a scratch file outside the target's
    /// directory. No lock, no backup, no row.
    func rehearse(_ plan: PatchPlan, _ dir: TargetDirectory, _ content: Candidate, before: FileDigest?) throws -> Outcome {
        let after = content.digest
        if before != after { try PatchRun.checkExpectedBefore(plan, before, dir) }
        let check = try withScratchFile(content.bytes) { try plan.checks.syntax($0) }
        var fields: JSONObject = [
            "dry_run": true, "apr_code": .string(plan.aprCode), "file_path": .string(plan.filePath),
            "before": before.map { .object($0.json) } ?? .null, "after": .object(after.json),
            "would_swap": .bool(before != after), "syntax_check": .string(plan.checks.syntaxCheck),
        ]
        guard check.succeeded else {
            throw Refusal("syntax_check_failed",
                          "\(plan.aprCode): the new \(plan.filePath) fails \(plan.checks.syntaxCheck): \(check.summary)",
                          details: fields.merging(["check_output": .string(check.summary)]))
        }
        fields["backup_path"] = before == nil ? .null : .string(dir.pathOf(dir.backupName(for: plan.aprCode)))
        return .done(fields, unchanged: before == after)
    }

    static func alreadyApplied(_ plan: PatchPlan) -> Outcome {
        let row = plan.lastDeploy("success")
        return .done([
            "apr_code": .string(plan.aprCode), "file_path": .string(plan.filePath), "status": "applied",
            "deploy_id": row?["id"] ?? .null, "sha256_after": row?["sha256_after"] ?? .null,
        ], unchanged: true)
    }

    /// A revoked APR was restored already; a failed one never changed the
    /// file (or its apply put the old file back itself).
    static func nothingToRestore(_ plan: PatchPlan) -> Outcome {
        let row = plan.lastDeploy(plan.status == "revoked" ? "rolled_back" : "failed")
        return .done([
            "apr_code": .string(plan.aprCode), "file_path": .string(plan.filePath), "status": .string(plan.status),
            "deploy_id": row?["id"] ?? .null, "sha256_after": row?["sha256_after"] ?? .null,
        ], unchanged: true)
    }
}

/// Runs `body` on a private scratch copy of `bytes` in $TMPDIR (or /tmp),
/// removed afterwards.
func withScratchFile<R>(_ bytes: [UInt8], _ body: (String) throws -> R) throws -> R {
    let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(dir)/patch-apply.XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    guard fd >= 0 else { throw ioError("create a scratch file in \(dir)", errno) }
    let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { unlink(path) }
    do {
        defer { close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }
    return try body(path)
}

extension JSONObject {
    func merging(_ other: JSONObject) -> JSONObject {
        var copy = self
        copy.merge(other)
        return copy
    }
}
