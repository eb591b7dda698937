/// A refusal: the tool will not do what was asked. `reason` is the stable
/// snake_case code from the one registry (apr_reasons), which also decides
/// the exit status; `message` is for the person reading stderr.
public struct Refusal: Error, Sendable {
    public let reason: String
    public let message: String
    public var details: JSONObject
    public let status: ExitStatus

    public init(_ reason: String, _ message: String, details: JSONObject = JSONObject()) {
        self.init(reason, message, details: details, status: Reasons.exitStatus(of: reason))
    }

    private init(_ reason: String, _ message: String, details: JSONObject = JSONObject(), status: ExitStatus) {
        self.reason = reason
        self.message = message
        self.details = details
        self.status = status
    }

    /// What a database error means to the user: aprkit's own refusals keep
    /// their reason and its registered exit status; everything else fails
    /// closed with the matching status.
    public init(_ error: PGError) {
        switch error.kind {
        case .refusal(let status):
            // The SQLSTATE names the status; the registry agrees for every
            // reason aprkit raises (a trigger of the operator's own may raise
            // an aprkit-class SQLSTATE too).
            self.init(error.message, error.detail ?? error.message,
                      status: Reasons.isRegistered(error.message) ? Reasons.exitStatus(of: error.message) : status)
        case .unavailable where error.sqlstate?.hasPrefix("28") == true:
            self.init("authentication_failed", "authentication failed: \(error.message)")
        case .unavailable:
            self.init("database_unavailable", "cannot reach the database: \(error.message)")
        case .retryable:
            self.init("serialization_retries_exhausted",
                      "the database kept refusing to serialize the transaction; safe to re-run")
        case .temporary:
            self.init("database_busy", "the database is busy (\(error.message)); safe to re-run")
        case .other:
            self.init("database_error", "the database refused: \(error.message)")
        }
    }
}
