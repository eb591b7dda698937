/// A refusal: the tool will not do what was asked. `reason` is the stable
/// snake_case code the man page lists; `message` is for the human on stderr.
public struct Refusal: Error, Sendable {
    public let status: ExitStatus
    public let reason: String
    public let message: String
    public var details: JSONObject

    public init(_ status: ExitStatus, _ reason: String, _ message: String, details: JSONObject = JSONObject()) {
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details
    }

    /// Bad input data: exit 65.
    public static func data(_ reason: String, _ message: String) -> Refusal {
        Refusal(.dataError, reason, message)
    }

    /// What a database error means to the user: aprkit's own refusals keep their
    /// reason code; everything else fails closed with the matching exit status.
    public init(_ error: PGError) {
        switch error.kind {
        case .refusal(let status):
            self.init(status, error.message, error.detail ?? error.message)
        case .unavailable where error.sqlstate?.hasPrefix("28") == true:
            self.init(.unavailable, "authentication_failed", "authentication failed: \(error.message)")
        case .unavailable:
            self.init(.unavailable, "database_unavailable", "cannot reach the database: \(error.message)")
        case .retryable:
            self.init(.tempFail, "serialization_retries_exhausted",
                      "the database kept refusing to serialize the transaction; safe to re-run")
        case .temporary:
            self.init(.tempFail, "database_busy", "the database is busy (\(error.message)); safe to re-run")
        case .other:
            self.init(.software, "database_error", "the database refused: \(error.message)")
        }
    }
}
