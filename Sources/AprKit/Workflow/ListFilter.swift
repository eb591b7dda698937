/// Which APRs apr-list prints: the filters of its command line, each checked
/// here before anything reaches the database (a bad value is a usage error).
public struct ListFilter: Sendable, Equatable {
    /// Every status an APR can have (apr_requests_status_check).
    public static let allStatuses = ["proposed", "approved", "rejected", "expired", "applied", "failed", "revoked", "cancelled"]
    public static let defaultLimit = 100

    /// How far back --since reaches: a span counted back from the database
    /// clock, or a point in time.
    public enum Since: Sendable, Equatable {
        /// The last `seconds` seconds.
        case within(seconds: Int64)
        /// At or after this instant, as an ISO 8601 timestamp with its offset.
        case after(String)
    }

    /// A filter value that is not one (a usage error).
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public var statuses: [String] = []
    public var actionCode: String?
    public var target: String?
    public var proposedBy: String?
    public var since: Since?
    public var awaiting = false
    public var limit = ListFilter.defaultLimit

    public init() {}

    /// The statuses of one or more --status values, each a status or a comma
    /// list of them, in the order given, each once.
    public static func statuses(_ values: [String]) throws(Invalid) -> [String] {
        var out: [String] = []
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let status = String(part)
                guard allStatuses.contains(status) else {
                    throw Invalid("--status: \"\(status)\" is not a status (\(allStatuses.joined(separator: ", ")))")
                }
                if !out.contains(status) { out.append(status) }
            }
        }
        return out
    }

    /// A --limit: at least 1.
    public static func limit(_ value: Int) throws(Invalid) -> Int {
        guard value >= 1 else { throw Invalid("--limit must be at least 1, not \(value)") }
        return value
    }

    /// A --since: a duration (`30m`, `2h`, `7d`, `1w`, `1h30m`; units s, m,
    /// h, d, w) or an ISO 8601 timestamp (`2026-12-01`, `2026-12-01T09:30`,
    /// `2026-12-01T09:30:00Z`, `2026-12-01 09:30:00.5+01:00`); a timestamp
    /// without an offset is UTC.
    public static func since(_ text: String) throws(Invalid) -> Since {
        if let seconds = duration(text) { return .within(seconds: seconds) }
        if let timestamp = timestamp(text) { return .after(timestamp) }
        throw Invalid("--since: \"\(text)\" is neither a duration (30m, 2h, 7d) nor an ISO 8601 timestamp (2026-12-01T09:30:00Z)")
    }

    /// The number of seconds of a duration such as `1h30m`, or nil: digits
    /// then a unit, one or more times, more than zero in all, at most 100 years.
    static func duration(_ text: String) -> Int64? {
        let units: [UInt8: Int64] = [UInt8(ascii: "s"): 1, UInt8(ascii: "m"): 60, UInt8(ascii: "h"): 3600,
                                     UInt8(ascii: "d"): 86400, UInt8(ascii: "w"): 604800]
        let limit: Int64 = 100 * 366 * 86400
        var total: Int64 = 0, number: Int64 = 0, digits = 0
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                guard digits < 10 else { return nil }
                number = number * 10 + Int64(byte - 0x30)
                digits += 1
            } else if let unit = units[byte], digits > 0 {
                total += number * unit
                guard total <= limit else { return nil }
                number = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits == 0, total > 0 else { return nil }
        return total
    }

    /// An ISO 8601 timestamp as PostgreSQL reads it, always with its offset
    /// (`+00:00` when none was given), or nil when `text` is not one or names
    /// a day or time that does not exist.
    static func timestamp(_ text: String) -> String? {
        var s = Scanner(Array(text.utf8))
        guard let year = s.digits(4), s.skip("-"), let month = s.digits(2), s.skip("-"), let day = s.digits(2),
              year >= 1, (1...12).contains(month), (1...daysIn(month, of: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0, fraction = ""
        if s.skip("T") || s.skip("t") || s.skip(" ") {
            guard let h = s.digits(2), s.skip(":"), let m = s.digits(2), h <= 23, m <= 59 else { return nil }
            hour = h
            minute = m
            if s.skip(":") {
                guard let sec = s.digits(2), sec <= 59 else { return nil }
                second = sec
                if s.skip(".") {
                    let f = s.digitRun()
                    guard (1...6).contains(f.count) else { return nil }
                    fraction = "." + f
                }
            }
        }
        var offset = "+00:00"
        if s.skip("Z") || s.skip("z") {
        } else if let sign = s.sign() {
            guard let h = s.digits(2), h <= 14 else { return nil }
            var m = 0
            if s.skip(":") {
                guard let mm = s.digits(2) else { return nil }
                m = mm
            } else if let mm = s.digits(2) {
                m = mm
            }
            guard m <= 59 else { return nil }
            offset = sign + pad(h, 2) + ":" + pad(m, 2)
        }
        guard s.atEnd else { return nil }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2)
            + ":" + pad(second, 2) + fraction + offset
    }

    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The parameters of apr_list(p_statuses, p_action_code, p_target,
    /// p_proposed_by, p_since, p_within, p_awaiting, p_limit), as text.
    public var parameters: [String?] {
        var after: String?, within: String?
        switch since {
        case .after(let timestamp)?: after = timestamp
        case .within(let seconds)?: within = "\(seconds) seconds"
        case nil: break
        }
        return [statuses.isEmpty ? nil : "{" + statuses.joined(separator: ",") + "}", actionCode, target, proposedBy,
                after, within, awaiting ? "true" : "false", String(limit)]
    }
}

/// Reads a timestamp's fields byte by byte.
private struct Scanner {
    let bytes: [UInt8]
    var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { at == bytes.count }

    mutating func skip(_ c: Unicode.Scalar) -> Bool {
        guard at < bytes.count, bytes[at] == UInt8(ascii: c) else { return false }
        at += 1
        return true
    }

    /// Exactly `count` digits as a number.
    mutating func digits(_ count: Int) -> Int? {
        guard at + count <= bytes.count else { return nil }
        var n = 0
        for byte in bytes[at..<at + count] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            n = n * 10 + Int(byte - 0x30)
        }
        at += count
        return n
    }

    /// Every digit from here on, as text.
    mutating func digitRun() -> String {
        let start = at
        while at < bytes.count && bytes[at] >= 0x30 && bytes[at] <= 0x39 { at += 1 }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    mutating func sign() -> String? {
        if skip("+") { return "+" }
        if skip("-") { return "-" }
        return nil
    }
}
