/// The database side of a patch: reading the plan, and recording each outcome
/// (deploy-log row, ledger event, APR status) in one committed transaction.
struct PatchRecords {
    let connection: Connection

    /// The plan; `withContent: false` leaves the (large) content out, for a
    /// second look once the content is already in hand.
    func plan(_ aprCode: String, withContent: Bool = true) throws -> PatchPlan {
        try PatchPlan(JSONObject.fromDatabase(
            connection.execute("SELECT patch_plan($1, $2)", [aprCode, String(withContent)]).value(0, 0)))
    }

    /// The plan of a restore, which never needs the content.
    func restorePlan(_ aprCode: String) throws -> PatchPlan {
        try PatchPlan(JSONObject.fromDatabase(
            connection.execute("SELECT patch_restore_plan($1)", [aprCode]).value(0, 0)))
    }

    /// One apply's outcome: `success` (the APR becomes applied) or `failed`.
    /// The database decides whether the deploy is known-good: a success whose
    /// bytes hash to the approved new_content_sha256.
    func recordApply(_ plan: PatchPlan, host: String, before: FileDigest?, after: FileDigest?,
                     backupPath: String?, status: String, detail: JSONObject) throws -> JSONObject {
        try commit(Statement(
            "SELECT patch_record($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
            [plan.aprCode, host, plan.filePath, before?.sha256, after?.sha256, backupPath, status,
             detail.serialized()]))
    }

    /// A restore's outcome: a `rolled_back` row, and the APR revoked.
    func recordRestore(_ plan: PatchPlan, host: String, before: String?, after: String?,
                       backupPath: String?) throws -> JSONObject {
        try commit(Statement(
            "SELECT patch_restore_record($1, $2, $3, $4, $5, $6)",
            [plan.aprCode, host, plan.filePath, before, after, backupPath]))
    }

    /// Commits the record. Every error thrown here means nothing was
    /// committed (or, for `unavailable`, that it is unknown): once the server
    /// confirmed COMMIT, a row that does not parse is reported empty rather
    /// than mistaken for a failed record.
    private func commit(_ statement: Statement) throws -> JSONObject {
        let text = try connection.retrying { () throws(PGError) in
            try connection.transaction([statement])[0].value(0, 0)
        }
        return (try? JSONObject.fromDatabase(text)) ?? JSONObject()
    }
}
