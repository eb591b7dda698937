/// The refusal reasons: one registry (the table apr_reasons, seeded by the
/// migrations), one SQLSTATE and one exit status per reason. The SQLSTATE's
/// third letter names the exit status, so a refusal raised by the database
/// maps to its status without a lookup; `registry` (generated from the
/// migrations by scripts/gen-reasons) lets the tools raise the same reasons.
public enum Reasons {
    /// The exit status a reason's refusal ends with; an unregistered reason
    /// is an internal error (a test keeps every reason in the code registered).
    public static func exitStatus(of reason: String) -> ExitStatus {
        registry[reason].flatMap(ExitStatus.init(sqlstate:)) ?? .software
    }

    public static func isRegistered(_ reason: String) -> Bool { registry[reason] != nil }
}

extension ExitStatus {
    /// The status an aprkit SQLSTATE (`AK` + status letter + two characters) names.
    public init?(sqlstate: String) {
        let chars = Array(sqlstate.utf8)
        guard chars.count == 5, chars[0] == UInt8(ascii: "A"), chars[1] == UInt8(ascii: "K") else { return nil }
        switch chars[2] {
        case UInt8(ascii: "F"): self = .fail
        case UInt8(ascii: "S"): self = .skip
        case UInt8(ascii: "T"): self = .stop
        case UInt8(ascii: "U"): self = .usage
        case UInt8(ascii: "D"): self = .dataError
        case UInt8(ascii: "N"): self = .unavailable
        case UInt8(ascii: "X"): self = .software
        case UInt8(ascii: "B"): self = .tempFail
        default: return nil
        }
    }
}
