/// Just enough of PostgreSQL's lexical rules (those of its scanner) to split
/// a script into its top-level statements where the server does: strings,
/// quoted identifiers, dollar-quoted bodies and comments are passed over
/// whole, so a PL/pgSQL BEGIN … END stays inside its body and a `;` or a
/// COMMIT inside a string is not a statement.
///
/// - `'…'`, `U&'…'`, `B'…'`, `X'…'`, `N'…'`: a doubled `''` is a quote; a
///   backslash is an ordinary character (standard_conforming_strings on, the
///   default, as the script is read).
/// - `E'…'` (`e'…'`, where the E starts a token, not where it ends an
///   identifier such as `type'…'`): a backslash escapes the next character
///   (`\'`, `\\`), and the string goes on in a `'…'` that follows after
///   whitespace holding a newline, as the server reads it.
/// - `"…"`, `U&"…"`: a doubled `""` is a quote.
/// - `$tag$ … $tag$`: nothing inside counts; a `$` within an identifier
///   (`a$b$`) or a parameter (`$1`) starts none.
/// - `-- …` to the end of the line (`\n` or `\r`); `/* … */`, nested.
///
/// Where releases of PostgreSQL read a text differently, it is read as one
/// that runs it does; the others refuse to parse the whole script, so
/// nothing of it runs.
enum SQLScript {
    /// A lexical piece of a script, as the server's scanner cuts it.
    enum Piece: Equatable {
        /// `-- …`, up to (not including) the newline.
        case lineComment
        /// `/* … */`, nested ones included.
        case blockComment
        /// `'…'`, and `U&'…'`'s, `B'…'`'s, … quoted part.
        case string
        /// `E'…'`, the E and any continuation included.
        case escapeString
        /// `"…"`.
        case quotedIdentifier
        /// `$tag$ … $tag$`.
        case body
        /// `$` and the digits after it (a parameter), or a lone `$`.
        case parameter
        case number
        /// A keyword or a name, `$` within it included.
        case identifier
        case semicolon
        /// Any other one character: whitespace, an operator, a parenthesis.
        case other
    }

    /// Calls `visit` with each piece of the script and where it is in `s`,
    /// in order: the ranges follow each other and cover all of `s`.
    static func pieces<E: Error>(_ s: [Unicode.Scalar], _ visit: (Piece, Range<Int>) throws(E) -> Void) throws(E) {
        func at(_ i: Int) -> Unicode.Scalar? { i < s.count ? s[i] : nil }
        var i = 0
        while i < s.count {
            let c = s[i]
            let piece: Piece
            let end: Int
            switch c {
            case "-" where at(i + 1) == "-":
                (piece, end) = (.lineComment, endOfLineComment(s, from: i))
            case "/" where at(i + 1) == "*":
                (piece, end) = (.blockComment, endOfBlockComment(s, from: i))
            case "'":
                (piece, end) = (.string, endOfString(s, from: i + 1, backslashEscapes: false))
            case "\"":
                (piece, end) = (.quotedIdentifier, endOfQuotedIdentifier(s, from: i + 1))
            case "$":
                if let close = endOfDollarQuote(s, from: i) {
                    (piece, end) = (.body, close)
                } else {
                    // A parameter ($1) or a lone $: its digits are not an identifier.
                    var j = i + 1
                    while let d = at(j), isDigit(d) { j += 1 }
                    (piece, end) = (.parameter, j)
                }
            case _ where isDigit(c) || (c == "." && at(i + 1).map(isDigit) == true):
                (piece, end) = (.number, endOfNumber(s, from: i))
            case _ where isIdentifierStart(c):
                var j = i + 1
                while let d = at(j), isIdentifierPart(d) { j += 1 }
                if j == i + 1, c == "E" || c == "e", at(j) == "'" {
                    (piece, end) = (.escapeString, endOfString(s, from: j + 1, backslashEscapes: true))
                } else {
                    (piece, end) = (.identifier, j)
                }
            case ";":
                (piece, end) = (.semicolon, i + 1)
            default:
                (piece, end) = (.other, i + 1)
            }
            try visit(piece, i..<end)
            i = end
        }
    }

    /// Each top-level statement, its leading whitespace dropped, with the
    /// contents of strings, quoted identifiers and dollar-quoted bodies left
    /// out (`''`, `E''`, `""`, ` $body$ `) and comments read as a space.
    static func topLevelStatements(_ sql: String) -> [Substring] {
        let s = Array(sql.unicodeScalars)
        var statements: [Substring] = []
        var current = String.UnicodeScalarView()
        func flush() {
            let trimmed = String(current).drop { $0.isWhitespace }
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = String.UnicodeScalarView()
        }
        pieces(s) { piece, range in
            switch piece {
            case .lineComment: break
            case .blockComment: current.append(" ")
            case .string: current.append(contentsOf: "''".unicodeScalars)
            case .escapeString: current.append(contentsOf: "E''".unicodeScalars)
            case .quotedIdentifier: current.append(contentsOf: "\"\"".unicodeScalars)
            case .body: current.append(contentsOf: " $body$ ".unicodeScalars)
            case .semicolon: flush()
            case .parameter, .number, .identifier, .other: current.append(contentsOf: s[range])
            }
        }
        flush()
        return statements
    }

    // MARK: character classes, as the server's scanner has them

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// `[A-Za-z\200-\377_]`: every byte of a non-ASCII character counts.
    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c.value >= 0x80
    }

    /// `[A-Za-z\200-\377_0-9\$]`
    static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == "$"
    }

    /// `[A-Za-z\200-\377_0-9]`: a dollar-quote tag holds no `$`.
    static func isTagPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) }

    static func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" }

    /// Space, tab, form feed and (since PostgreSQL 16) vertical tab. Before
    /// 16 a vertical tab is no whitespace at all but a syntax error, so
    /// reading it as whitespace is never wrong about what runs.
    static func isHorizontalSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\u{0C}" || c == "\u{0B}"
    }

    // MARK: where each construct ends (the index just past it, or the end)

    /// The newline that ends a `--` comment (not consumed), or the end.
    static func endOfLineComment(_ s: [Unicode.Scalar], from i: Int) -> Int {
        var j = i
        while j < s.count, !isNewline(s[j]) { j += 1 }
        return j
    }

    /// Past the `*/` that closes the `/*` at `i`, counting nested ones.
    static func endOfBlockComment(_ s: [Unicode.Scalar], from i: Int) -> Int {
        var depth = 0
        var j = i
        repeat {
            if s[j] == "/", j + 1 < s.count, s[j + 1] == "*" {
                depth += 1
                j += 2
            } else if s[j] == "*", j + 1 < s.count, s[j + 1] == "/" {
                depth -= 1
                j += 2
            } else {
                j += 1
            }
        } while depth > 0 && j < s.count
        return j
    }

    /// Past the quote that closes a string whose contents start at `i`.
    static func endOfString(_ s: [Unicode.Scalar], from i: Int, backslashEscapes: Bool) -> Int {
        var j = i
        while j < s.count {
            switch s[j] {
            case "\\" where backslashEscapes:
                j += 2
            case "'" where j + 1 < s.count && s[j + 1] == "'":
                j += 2
            case "'":
                // An E'' string goes on, escapes and all, in a '…' after
                // whitespace with a newline; other strings go on likewise,
                // which ends them where reading a new string would.
                guard backslashEscapes, let next = continuation(s, after: j + 1) else { return j + 1 }
                j = next + 1
            default:
                j += 1
            }
        }
        return s.count
    }

    /// The quote that continues a string closed just before `i`: one that
    /// follows whitespace and `--` comments holding at least one newline.
    static func continuation(_ s: [Unicode.Scalar], after i: Int) -> Int? {
        var j = i
        var newline = false
        while j < s.count {
            if isNewline(s[j]) {
                newline = true
                j += 1
            } else if isHorizontalSpace(s[j]) {
                j += 1
            } else if s[j] == "-", j + 1 < s.count, s[j + 1] == "-" {
                j = endOfLineComment(s, from: j)
            } else {
                break
            }
        }
        return newline && j < s.count && s[j] == "'" ? j : nil
    }

    /// Past the `"` that closes a quoted identifier whose name starts at `i`.
    static func endOfQuotedIdentifier(_ s: [Unicode.Scalar], from i: Int) -> Int {
        var j = i
        while j < s.count {
            if s[j] == "\"" {
                if j + 1 < s.count, s[j + 1] == "\"" { j += 2; continue }
                return j + 1
            }
            j += 1
        }
        return s.count
    }

    /// Past the closing tag of a dollar quote that opens at `i`, or nil when
    /// no `$tag$` opens there.
    static func endOfDollarQuote(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        var j = i + 1
        if j < s.count, isIdentifierStart(s[j]) {
            while j < s.count, isTagPart(s[j]) { j += 1 }
        }
        guard j < s.count, s[j] == "$" else { return nil }
        let tag = s[i...j]
        var k = j + 1
        while k + tag.count <= s.count {
            if s[k] == "$", s[k..<k + tag.count].elementsEqual(tag) { return k + tag.count }
            k += 1
        }
        return s.count
    }

    /// Past a number: digits, a fraction, an exponent when digits follow the
    /// E. An E that no digit follows is not the number's: `1E'…'` is `1` and
    /// an E'' string up to PostgreSQL 14, and refused by later releases.
    static func endOfNumber(_ s: [Unicode.Scalar], from i: Int) -> Int {
        var j = i
        while j < s.count, isDigit(s[j]) { j += 1 }
        if j < s.count, s[j] == "." {
            j += 1
            while j < s.count, isDigit(s[j]) { j += 1 }
        }
        if j < s.count, s[j] == "e" || s[j] == "E" {
            var k = j + 1
            if k < s.count, s[k] == "+" || s[k] == "-" { k += 1 }
            if k < s.count, isDigit(s[k]) {
                j = k
                while j < s.count, isDigit(s[j]) { j += 1 }
            }
        }
        return j
    }
}
