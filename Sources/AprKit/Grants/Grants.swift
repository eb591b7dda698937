/// Time-bound build authorizations (SPEC §3): minting the one grant of an
/// approved authorize_build_step APR, revoking it, and the expiry sweep. The
/// rules live in the database (grant_mint, grant_revoke, grant_expire_due),
/// so a role with psql meets the same refusals as the tool.
public struct Grants {
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Mints the grant of `aprCode` in one transaction, reported only once the
    /// server has confirmed COMMIT; a grant that exists is printed unchanged.
    /// `payloadSHA256`, when the caller read the APR from a record, is the
    /// hash it saw, which must be the approved one. With `dryRun`, the row it
    /// would mint, and nothing written.
    public func mint(_ aprCode: String, payloadSHA256: String? = nil, dryRun: Bool) throws -> Outcome {
        let body = try connection.jsonObject("SELECT grant_mint($1, $2, $3)",
                                             [aprCode, payloadSHA256, String(dryRun)], readOnly: dryRun)
        return .done(Grants.ordered(body), unchanged: body["minted"] == .bool(false))
    }

    /// Revokes the grant of `aprCode`; a revoked grant is printed unchanged.
    public func revoke(_ aprCode: String, reason: String, dryRun: Bool) throws -> Outcome {
        let body = try connection.jsonObject("SELECT grant_revoke($1, $2, $3)",
                                             [aprCode, reason, String(dryRun)], readOnly: dryRun)
        return .done(Grants.ordered(body), unchanged: body["revoked"] == .bool(false))
    }

    /// Moves every active grant past its expiry to expired: one outcome per
    /// grant, none when nothing is due.
    public func expireDue(dryRun: Bool) throws -> [Outcome] {
        try connection.jsonObjects("SELECT grant_expire_due($1)", [String(dryRun)], readOnly: dryRun)
            .map { .done(Grants.ordered($0)) }
    }
}

extension Grants {
    static let keyOrder = ["apr_code", "dry_run", "minted", "revoked", "expired", "apr_status",
                           "grant", "would_mint", "would_revoke", "would_expire"]
    static let grantKeyOrder = ["auth_code", "request_ref", "status", "commit_allowed", "requires_sovereign_esign",
                                "scope", "granted_at", "expires_at", "revoked_at", "revoked_reason"]

    /// A grant_* answer in the documented order, the grant row's fields too.
    static func ordered(_ body: JSONObject) -> JSONObject {
        var out = body.ordered(keyOrder)
        for key in ["grant", "would_mint", "would_revoke", "would_expire"] {
            if var grant = out[key]?.objectValue?.ordered(grantKeyOrder) {
                if let scope = grant["scope"]?.objectValue {
                    grant["scope"] = .object(scope.ordered(["target", "manifest_hash"]))
                }
                out[key] = .object(grant)
            }
        }
        return out
    }
}
