/// Withdrawing an APR that is not yet applied (apr-cancel): its proposer or
/// any active approver cancels a proposed or approved APR, with a reason.
/// The rules live in the database (apr_cancel, cancel.sql), so a role with
/// psql meets the same refusals as the tool.
public struct Cancellation {
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Cancels `aprCode` as the session user in one transaction, reported only
    /// once the server has confirmed COMMIT; an APR cancelled already is
    /// printed unchanged (exit 0). An active grant of the APR is revoked with
    /// it. With `dryRun`, what it would write, and nothing written.
    public func cancel(_ aprCode: String, reason: String, dryRun: Bool) throws -> Outcome {
        let body = try connection.jsonObject("SELECT apr_cancel($1, $2, $3)", [aprCode, reason, String(dryRun)],
                                             readOnly: dryRun)
        return .done(body.ordered(Cancellation.keyOrder), unchanged: body["cancelled"] == .bool(false))
    }

    static let keyOrder = ["apr_code", "dry_run", "cancelled", "apr_status", "revoked_grant", "apr",
                           "would_cancel", "would_revoke"]
}
