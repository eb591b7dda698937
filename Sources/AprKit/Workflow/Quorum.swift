/// Votes and quorum. The approver is always the database session user; the
/// database refuses own-APR votes, second votes and privileged sessions.
public struct Quorum {
    public enum Decision: String, Sendable, CaseIterable {
        case approve, reject
    }

    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// The quorum state: exit 0 when it has passed, 2 (SKIP) while votes are
    /// missing, 1 (FAIL) when the APR is rejected or expired.
    public func state(of aprCode: String) throws -> Outcome {
        try Quorum.stateCall(aprCode).run(on: connection)
    }

    /// The call that reads an APR's quorum state (see `state(of:)`).
    public static func stateCall(_ aprCode: String) -> DatabaseCall {
        DatabaseCall(Statement("SELECT apr_quorum_state($1)", [aprCode]), writes: false) { text in
            guard text != nil else { throw Refusal("unknown_apr", "no APR \(aprCode)", details: ["apr_code": .string(aprCode)]) }
            return Quorum.outcome(for: try JSONObject.fromDatabase(text))
        }
    }

    /// What the voter saw: the payload a record showed them (its hash is
    /// taken by the database, the one canonical form), else a hash they gave.
    public enum Seen: Sendable {
        case payload(JSONObject)
        case sha256(String)
    }

    /// Records the session user's vote, bound to what the voter saw (nil
    /// binds it to the payload as it is, which the answer shows), and prints
    /// the state after it. A recorded vote is done (exit 0) whether or not
    /// the quorum has passed, and so is the same vote cast again (unchanged,
    /// nothing written: a voter cut off by a failover is re-run); a payload
    /// other than the one seen is refused (payload_changed), nothing written.
    public func vote(_ decision: Decision, on aprCode: String, seen: Seen?) throws -> Outcome {
        try Quorum.voteCall(decision, on: aprCode, seen: seen).run(on: connection)
    }

    /// The call that records the vote (see `vote(_:on:seen:)`); a record of
    /// a stream runs it as its own transaction.
    public static func voteCall(_ decision: Decision, on aprCode: String, seen: Seen?) -> DatabaseCall {
        var payload: String?, sha256: String?
        switch seen {
        case .payload(let object)?: payload = object.serialized()
        case .sha256(let hash)?: sha256 = hash
        case nil: break
        }
        let statement = Statement(
            "SELECT apr_vote($1, $2, coalesce(apr_payload_sha256($4::jsonb), $3))",
            [aprCode, decision.rawValue, sha256, payload])
        return DatabaseCall(statement, writes: true) { text in
            let answer = try JSONObject.fromDatabase(text)
            return .done(answer, unchanged: answer["unchanged"] == .bool(true))
        }
    }

    static func outcome(for state: JSONObject) -> Outcome {
        if state["quorum_passed"] == .bool(true) { return .done(state) }
        let status = state["status"]?.stringValue ?? ""
        let refusal: Refusal
        if status == "rejected" || state["rejections"]?.arrayValue?.isEmpty == false {
            refusal = Refusal("apr_rejected", "\(state["apr_code"]?.stringValue ?? "the APR") was rejected")
        } else if status == "cancelled" {
            refusal = Refusal("apr_cancelled", "\(state["apr_code"]?.stringValue ?? "the APR") was cancelled: it is never voted on, dispatched or applied")
        } else if state["expired"] == .bool(true) {
            refusal = Refusal("apr_expired", "\(state["apr_code"]?.stringValue ?? "the APR") has expired")
        } else {
            refusal = Refusal("quorum_not_met", "\(state["apr_code"]?.stringValue ?? "the APR") needs \(Quorum.missingVotes(state))")
        }
        var outcome = Outcome.refused(refusal)
        outcome.body.merge(state)
        return outcome
    }

    /// "1 more approver of role owner, 1 more approver" — what is still missing.
    static func missingVotes(_ state: JSONObject) -> String {
        let missing = (state["factors"]?.arrayValue ?? []).compactMap { factor -> String? in
            guard let f = factor.objectValue, f["met"] != .bool(true),
                  let required = f["required"]?.integerValue, let have = f["have"]?.integerValue else { return nil }
            let role = f["role"]?.stringValue.map { " of role \($0)" } ?? ""
            return "\(required - have) more approval\(required - have == 1 ? "" : "s")\(role)"
        }
        return missing.isEmpty ? "a quorum policy for its risk level" : missing.joined(separator: " and ")
    }
}
