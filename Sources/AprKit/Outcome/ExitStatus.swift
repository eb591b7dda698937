/// The exit statuses every aprkit tool shares (SPEC §4), mirrored by each man
/// page's EXIT STATUS table and pinned by a test.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case ok = 0
    case fail = 1
    case skip = 2
    case stop = 3
    case usage = 64
    case dataError = 65
    case unavailable = 69
    case software = 70
    case tempFail = 75

    /// How bad a status is when a stream of records reports several: the run
    /// exits with the worst one seen. A skip is an expected block, so it ranks
    /// below a refusal; anything that stops or breaks the run ranks above.
    public var severity: Int {
        switch self {
        case .ok: return 0
        case .skip: return 1
        case .fail: return 2
        case .dataError: return 3
        case .usage: return 4
        case .stop: return 5
        case .tempFail: return 6
        case .unavailable: return 7
        case .software: return 8
        }
    }

    public func worse(_ other: ExitStatus) -> ExitStatus {
        other.severity > severity ? other : self
    }

    /// The `result` word a refusal carries in its JSON: SKIP for an expected
    /// block, STOP for a stop condition, FAIL for everything else.
    public var resultWord: String {
        switch self {
        case .ok: return "OK"
        case .skip: return "SKIP"
        case .stop: return "STOP"
        default: return "FAIL"
        }
    }
}
