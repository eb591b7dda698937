/// A checklist's SQL names its parameters `:name`; PostgreSQL numbers them
/// `$n`. This rewrites the one into the other, so that every value is sent
/// as a bound parameter and none is ever spliced into the SQL text.
///
/// Quoted strings, quoted identifiers, dollar-quoted bodies and comments are
/// passed over whole (a `:word` inside them is text, not a parameter), and a
/// cast `::type` is not a parameter either.
public struct NamedParameters: Sendable, Equatable {
    /// The SQL with `$1`, `$2`, … in place of the names.
    public let sql: String
    /// The name behind each `$n`, in order: one name, one number.
    public let names: [String]

    public enum Problem: Error, Equatable {
        /// A `$1` written by hand would bypass the names.
        case positionalParameter
    }

    public init(numbering source: String) throws(Problem) {
        let chars = Array(source.unicodeScalars)
        var out = String.UnicodeScalarView()
        var names: [String] = []
        var i = 0

        /// Copies chars[i..<end] as they are.
        func copy(to end: Int) {
            out.append(contentsOf: chars[i..<min(end, chars.count)])
            i = min(end, chars.count)
        }

        while i < chars.count {
            let c = chars[i]
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                copy(to: (chars[i...].firstIndex(of: "\n") ?? chars.count))
            case "/" where next == "*":
                copy(to: NamedParameters.endOfBlockComment(chars, from: i))
            case "'":
                let escapes = i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                    && !(i > 1 && NamedParameters.isWordChar(chars[i - 2]))
                copy(to: NamedParameters.endOfQuoted(chars, from: i, backslashEscapes: escapes))
            case "\"":
                copy(to: NamedParameters.endOfQuoted(chars, from: i, backslashEscapes: false))
            case "$":
                if let next, ("0"..."9").contains(next), !(i > 0 && NamedParameters.isWordChar(chars[i - 1])) {
                    throw .positionalParameter
                }
                copy(to: NamedParameters.endOfDollarQuote(chars, from: i) ?? i + 1)
            case ":" where next == ":":
                copy(to: i + 2)
            case ":" where next.map(NamedParameters.isNameStart) ?? false:
                var j = i + 1
                while j < chars.count, NamedParameters.isWordChar(chars[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                let number = (names.firstIndex(of: name) ?? { names.append(name); return names.count - 1 }()) + 1
                out.append(contentsOf: "$\(number)".unicodeScalars)
                i = j
            default:
                copy(to: i + 1)
            }
        }
        self.sql = String(out)
        self.names = names
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    static func isWordChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c)
    }

    /// A parameter name as `--param` and the checklist spell it.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isNameStart(first), name.utf8.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy(isWordChar)
    }

    /// Past the `*/` that closes the (possibly nested) comment opened at `start`.
    static func endOfBlockComment(_ chars: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var i = start
        while i < chars.count {
            if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" { depth += 1; i += 2; continue }
            if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" {
                depth -= 1
                i += 2
                if depth == 0 { return i }
                continue
            }
            i += 1
        }
        return chars.count
    }

    /// Past the quote that closes the one at `start` (a doubled quote is part
    /// of the text; in an E'' string so is a backslash-escaped one).
    static func endOfQuoted(_ chars: [Unicode.Scalar], from start: Int, backslashEscapes: Bool) -> Int {
        let quote = chars[start]
        var i = start + 1
        while i < chars.count {
            if backslashEscapes, chars[i] == "\\" { i += 2; continue }
            if chars[i] == quote {
                if i + 1 < chars.count, chars[i + 1] == quote { i += 2; continue }
                return i + 1
            }
            i += 1
        }
        return chars.count
    }

    /// Past the closing tag of a `$tag$…$tag$` body opened at `start`, or nil
    /// when the `$` there opens no dollar quote.
    static func endOfDollarQuote(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        if start > 0, isWordChar(chars[start - 1]) { return nil }
        var j = start + 1
        if j < chars.count, !isNameStart(chars[j]), chars[j] != "$" { return nil }
        while j < chars.count, isWordChar(chars[j]) { j += 1 }
        guard j < chars.count, chars[j] == "$" else { return nil }
        let tag = Array(chars[start...j])
        var k = j + 1
        while k + tag.count <= chars.count {
            if Array(chars[k..<(k + tag.count)]) == tag { return k + tag.count }
            k += 1
        }
        return chars.count
    }
}
