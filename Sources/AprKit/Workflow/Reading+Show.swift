/// apr-show: one APR's whole story, in one read-only statement.
extension Reading {
    /// One APR's whole story (see apr_show), or unknown_apr.
    public func show(_ aprCode: String) throws -> Outcome {
        let text = try connection.retrying { () throws(PGError) in
            try connection.transaction([Statement("SELECT apr_show($1)", [aprCode])], isolation: .readOnly)[0].value(0, 0)
        }
        guard text != nil else { throw Refusal("unknown_apr", "no APR \(aprCode)", details: ["apr_code": .string(aprCode)]) }
        return .done(try JSONObject.fromDatabase(text).ordered(Reading.showOrder))
    }

    /// apr-show's keys in the order its page documents them: the APR, then
    /// its story.
    static let showOrder = [
        "apr_code", "status", "action_code", "request_type", "proposed_by", "reason", "session_code",
        "created_at", "expires_at", "applied_at", "cancelled_at", "cancelled_by", "cancel_reason", "result",
        "payload_sha256", "proposed_action", "quorum", "votes", "dispatches", "grant", "deploys", "ledger",
    ]
}
