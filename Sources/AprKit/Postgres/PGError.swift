/// What went wrong talking to PostgreSQL, classified by what the caller
/// should do next rather than by where it happened.
public struct PGError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection died: exit 69, the re-run completes.
        case unavailable
        /// Serialization failure or deadlock: retried, then exit 75.
        case retryable
        /// Lock not available or the server is shutting down mid-query: exit 75.
        case temporary
        /// A refusal raised by aprkit's own SQL (SQLSTATE class AK): the message
        /// is the stable reason code, registered in apr_reasons.
        case refusal(ExitStatus)
        /// Anything else the server or libpq said: fail closed, exit 70.
        case other
    }

    public let kind: Kind
    public let sqlstate: String?
    public let message: String
    public let detail: String?

    public init(kind: Kind, sqlstate: String?, message: String, detail: String? = nil) {
        self.kind = kind
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
    }

    public var description: String { message }

    /// A refusal of the session itself, not of what it asked: the schema is
    /// not installed, or the role lacks its group role. Whatever else the
    /// session asks meets the same.
    public var endsSession: Bool {
        message == "schema_missing" || GroupRoles.reasons.values.contains(message)
    }

    /// Maps a server error to its kind. aprkit's SQL raises refusals by their
    /// reason: SQLSTATE `AK` + a letter that names the exit status (see
    /// Reasons), and the reason code as the message.
    static func classify(sqlstate: String?, message: String, detail: String?) -> PGError {
        let kind: Kind
        switch sqlstate {
        case .some(let s) where ExitStatus(sqlstate: s) != nil: kind = .refusal(ExitStatus(sqlstate: s)!)
        case "40001", "40P01": kind = .retryable
        case "55P03", "57014", "53300": kind = .temporary
        case .some(let s) where s.hasPrefix("08") || s.hasPrefix("57P"): kind = .unavailable
        // libpq's own word that the socket closed carries no SQLSTATE, and
        // may come before libpq has marked the connection bad.
        case nil where message.hasPrefix("server closed the connection unexpectedly"): kind = .unavailable
        default: kind = .other
        }
        return PGError(kind: kind, sqlstate: sqlstate, message: message, detail: detail)
    }
}
