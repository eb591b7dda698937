/// What a checklist item expects of the one value its query returns:
/// `= VALUE`, `<> VALUE`, `< N`, `<= N`, `> N`, `>= N`, `is null` or
/// `is not null`. VALUE is bare text, a 'quoted' string ('' for a quote),
/// or `:name`, a parameter's value.
///
/// `=` and `<>` compare the text PostgreSQL prints (t and f for booleans;
/// true and false are read as t and f); the others compare numbers. As in
/// SQL, a comparison with null never holds: `is null` asks for null.
public struct Expectation: Sendable, Equatable, CustomStringConvertible {
    public enum Comparison: String, Sendable, CaseIterable {
        // Longest first, so that "<=" is not read as "<" and "=".
        case notEqual = "<>", bangEqual = "!=", lessOrEqual = "<=", greaterOrEqual = ">="
        case equal = "=", less = "<", greater = ">"
    }

    public enum Operand: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public enum Test: Sendable, Equatable {
        case compare(Comparison, Operand)
        case isNull
        case isNotNull
    }

    public let test: Test

    public struct Problem: Error, Equatable {
        public let message: String
    }

    public init(_ text: String) throws(Problem) {
        let trimmed = text.trimmingWhitespace()
        switch trimmed.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") {
        case "is null": test = .isNull; return
        case "is not null": test = .isNotNull; return
        default: break
        }
        guard let comparison = Comparison.allCases.first(where: { trimmed.hasPrefix($0.rawValue) }) else {
            throw Problem(message: "\"\(trimmed)\" is not an expectation (=, <>, <, <=, >, >= VALUE, is null, is not null)")
        }
        let operand = try Expectation.operand(String(trimmed.dropFirst(comparison.rawValue.count)).trimmingWhitespace())
        if comparison.isNumeric, case .literal(let value) = operand, Expectation.number(value) == nil {
            throw Problem(message: "\(comparison.rawValue) compares numbers, and \"\(value)\" is not one")
        }
        test = .compare(comparison, operand)
    }

    /// The parameter this expectation reads, if any.
    public var parameter: String? {
        if case .compare(_, .parameter(let name)) = test { return name }
        return nil
    }

    /// Whether `found` (nil for SQL null) meets the expectation; `parameters`
    /// gives the value of a `:name` operand.
    public func holds(for found: String?, parameters: [String: String?] = [:]) -> Bool {
        switch test {
        case .isNull: return found == nil
        case .isNotNull: return found != nil
        case .compare(let comparison, let operand):
            guard let found, let expected = value(of: operand, parameters) else { return false }
            switch comparison {
            case .equal: return Expectation.canonical(found) == Expectation.canonical(expected)
            case .notEqual, .bangEqual: return Expectation.canonical(found) != Expectation.canonical(expected)
            default:
                guard let a = Expectation.number(found), let b = Expectation.number(expected) else { return false }
                return comparison.orders(a, b)
            }
        }
    }

    /// The expectation with its parameter's value in place, as the report shows it.
    public func described(parameters: [String: String?] = [:]) -> String {
        switch test {
        case .isNull: return "is null"
        case .isNotNull: return "is not null"
        case .compare(let comparison, let operand):
            return "\(comparison.rawValue) \(value(of: operand, parameters) ?? "null")"
        }
    }

    public var description: String {
        switch test {
        case .compare(let comparison, .parameter(let name)): return "\(comparison.rawValue) :\(name)"
        default: return described()
        }
    }

    private func value(of operand: Operand, _ parameters: [String: String?]) -> String? {
        switch operand {
        case .literal(let text): return text
        case .parameter(let name): return parameters[name] ?? nil
        }
    }

    private static func operand(_ text: String) throws(Problem) -> Operand {
        if text.hasPrefix(":") {
            let name = String(text.dropFirst())
            guard NamedParameters.isValidName(name) else { throw Problem(message: "\"\(text)\" is not a parameter name") }
            return .parameter(name)
        }
        if text.hasPrefix("'") {
            guard text.count >= 2, text.hasSuffix("'") else { throw Problem(message: "unterminated quote in \(text)") }
            let inner = text.dropFirst().dropLast()
            guard !inner.replacing("''", with: "").contains("'") else {
                throw Problem(message: "a quote inside \(text) must be doubled ('')")
            }
            return .literal(String(inner.replacing("''", with: "'")))
        }
        guard let first = text.first else { throw Problem(message: "the expectation has no value to compare with") }
        guard !"=<>!".contains(first) else { throw Problem(message: "\"\(text)\" is not a value; write one operator, then the value") }
        return .literal(text)
    }

    /// PostgreSQL prints booleans as t and f; an expectation may say true or false.
    static func canonical(_ text: String) -> String {
        switch text.lowercased() {
        case "t", "true": return "t"
        case "f", "false": return "f"
        default: return text
        }
    }

    enum Number: Equatable {
        case integer(Int64)
        case real(Double)
    }

    static func number(_ text: String) -> Number? {
        if let i = Int64(text) { return .integer(i) }
        if let d = Double(text), d.isFinite { return .real(d) }
        return nil
    }
}

extension Expectation.Comparison {
    var isNumeric: Bool { ![.equal, .notEqual, .bangEqual].contains(self) }

    func orders(_ a: Expectation.Number, _ b: Expectation.Number) -> Bool {
        let less: Bool, equal: Bool
        switch (a, b) {
        case (.integer(let x), .integer(let y)): less = x < y; equal = x == y
        default: less = a.double < b.double; equal = a.double == b.double
        }
        switch self {
        case .less: return less
        case .lessOrEqual: return less || equal
        case .greater: return !less && !equal
        case .greaterOrEqual: return !less
        default: return false
        }
    }
}

extension Expectation.Number {
    var double: Double {
        switch self {
        case .integer(let i): return Double(i)
        case .real(let d): return d
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let text = Substring(self)
        let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.isWhitespace }.map { text.index(after: $0) } ?? start
        return String(text[start..<end])
    }
}
