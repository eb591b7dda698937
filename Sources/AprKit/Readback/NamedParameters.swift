/// A checklist's SQL names its parameters `:name`; PostgreSQL numbers them
/// `$n`. This rewrites the one into the other, so that every value is sent
/// as a bound parameter and none is ever spliced into the SQL text.
///
/// The SQL is read with the statement lexer's rules (SQLScript), those of
/// the server's scanner: quoted strings, quoted identifiers, dollar-quoted
/// bodies and comments are passed over whole (a `:word` inside them is text,
/// not a parameter), and a cast `::type` is not a parameter either. A name is
/// the whole identifier after the `:`, as the server would read it.
public struct NamedParameters: Sendable, Equatable {
    /// The SQL with `$1`, `$2`, … in place of the names.
    public let sql: String
    /// The name behind each `$n`, in order: one name, one number.
    public let names: [String]

    public enum Problem: Error, Equatable {
        /// A `$1` written by hand would bypass the names.
        case positionalParameter
        /// `:` and an identifier that is no parameter name (`:a$b`, `:aé`).
        case invalidName(String)
    }

    public init(numbering source: String) throws(Problem) {
        let chars = Array(source.unicodeScalars)
        var pieces: [(piece: SQLScript.Piece, range: Range<Int>)] = []
        SQLScript.pieces(chars) { pieces.append(($0, $1)) }
        // The output is built from the source's own UTF-8 bytes (scalar i
        // starts at byte offsets[i]), copied a piece at a time, and made a
        // String once: appending scalars to a String one by one re-encodes
        // each and cost more than the whole query's round trip.
        let bytes = Array(source.utf8)
        var offsets = [0]
        offsets.reserveCapacity(chars.count + 1)
        for c in chars { offsets.append(offsets[offsets.count - 1] + UTF8.width(c)) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        func copy(_ r: Range<Int>) { out.append(contentsOf: bytes[offsets[r.lowerBound]..<offsets[r.upperBound]]) }
        var names: [String] = []
        var k = 0
        while k < pieces.count {
            let (piece, range) = pieces[k]
            let next = k + 1 < pieces.count ? pieces[k + 1] : nil
            if piece == .parameter, range.count > 1 { throw .positionalParameter }
            guard piece == .other, chars[range.lowerBound] == ":", let next else {
                copy(range)
                k += 1
                continue
            }
            if next.piece == .other, chars[next.range.lowerBound] == ":" {
                // A cast, `::type`.
                copy(range.lowerBound..<next.range.upperBound)
                k += 2
            } else if next.piece == .identifier, NamedParameters.isNameStart(chars[next.range.lowerBound]) {
                let name = String(String.UnicodeScalarView(chars[next.range]))
                guard NamedParameters.isValidName(name) else { throw .invalidName(name) }
                let number = (names.firstIndex(of: name) ?? { names.append(name); return names.count - 1 }()) + 1
                // `a:b` is `a $1`, not the identifier `a$1`.
                // (A last byte >= 0x80 ends a non-ASCII scalar, an identifier's.)
                if let last = out.last, SQLScript.isIdentifierPart(Unicode.Scalar(last)) { out.append(UInt8(ascii: " ")) }
                out.append(contentsOf: "$\(number)".utf8)
                k += 2
            } else {
                copy(range.lowerBound..<range.lowerBound + 1)
                k += 1
            }
        }
        self.sql = String(decoding: out, as: UTF8.self)
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
}
