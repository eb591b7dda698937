// Fuzz target: the `:name` parameter lexer of checklist queries
// (NamedParameters), judged by how the server reads the SQL it sends
// (SQLScript's pieces, the server's scanner rules).
//
// Properties:
// - it refuses the text exactly when it holds a positional parameter ($1)
//   or a `:` and a word that is no parameter name, where the server would
//   see them (outside strings, quoted identifiers, bodies and comments);
// - otherwise, in the SQL it sends, the server sees a `$n` where, and only
//   where, the text had a `:name`, n the name's place among the names (one
//   number per name, in order of first use): putting the names back gives
//   the text (but for a space kept between a word and a parameter), and the
//   text splits into the same statements.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParams(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let written = Array(source.unicodeScalars)
    let uses = parameters(written)
    let numbered: NamedParameters
    do {
        numbered = try NamedParameters(numbering: source)
    } catch {
        require(uses.contains { $0.positional || !NamedParameters.isValidName($0.text) },
                "refused (\(error)), but the server sees no $n nor bad name in \(shown(source))")
        return 0
    }
    require(!uses.contains { $0.positional }, "a positional parameter passed: \(shown(source))")
    require(uses.allSatisfy { NamedParameters.isValidName($0.text) }, "a bad name passed: \(shown(source))")
    var names: [String] = []
    for use in uses where !names.contains(use.text) { names.append(use.text) }
    require(numbered.names == names, "names \(numbered.names), the text uses \(names)")

    let sent = Array(numbered.sql.unicodeScalars)
    let seen = parameters(sent)
    require(seen.allSatisfy(\.positional), "a :name left in \(shown(numbered.sql))")
    require(seen.map(\.text) == uses.map { String(names.firstIndex(of: $0.text)! + 1) },
            "the server sees \(seen.map(\.text)) in \(shown(numbered.sql)) for \(uses.map(\.text))")
    let restored = spaceDropped(sent, before: seen) { ":" + names[Int($0.text)! - 1] }
    require(restored == spaceDropped(written, before: uses) { ":" + $0.text },
            "\(shown(numbered.sql)) is not \(shown(source)) with its names numbered")
    require(SQLScript.topLevelStatements(numbered.sql).count == SQLScript.topLevelStatements(source).count,
            "the statements split differently")
    return 0
}

private struct Use {
    /// `$n` (text: the digits), or `:name` (text: the name).
    let positional: Bool
    let text: String
    /// Where it is in the text.
    let range: Range<Int>
}

/// The parameters the server's scanner finds: `$` and digits, or a `:` (not
/// part of `::`) and the identifier after it.
private func parameters(_ s: [Unicode.Scalar]) -> [Use] {
    var pieces: [(piece: SQLScript.Piece, range: Range<Int>)] = []
    SQLScript.pieces(s) { pieces.append(($0, $1)) }
    var uses: [Use] = []
    var k = 0
    while k < pieces.count {
        let (piece, range) = pieces[k]
        let text = String(String.UnicodeScalarView(s[range]))
        if piece == .parameter, range.count > 1 {
            uses.append(Use(positional: true, text: String(text.dropFirst()), range: range))
        } else if piece == .other, text == ":", k + 1 < pieces.count {
            let next = pieces[k + 1]
            let word = String(String.UnicodeScalarView(s[next.range]))
            if word == ":" { k += 1 }  // a cast
            if next.piece == .identifier, let first = word.unicodeScalars.first, first.isASCII,
               first.properties.isAlphabetic || first == "_" {
                uses.append(Use(positional: false, text: word, range: range.lowerBound..<next.range.upperBound))
                k += 1
            }
        }
        k += 1
    }
    return uses
}

/// The text with each use replaced by `replacement`, and a space between a
/// word and a use dropped.
private func spaceDropped(_ s: [Unicode.Scalar], before uses: [Use], _ replacement: (Use) -> String) -> String {
    var out = String.UnicodeScalarView()
    var i = 0
    for use in uses {
        out.append(contentsOf: s[i..<use.range.lowerBound])
        if out.count >= 2, out.last == " ", SQLScript.isIdentifierPart(out[out.index(out.endIndex, offsetBy: -2)]) {
            out.removeLast()
        }
        out.append(contentsOf: replacement(use).unicodeScalars)
        i = use.range.upperBound
    }
    out.append(contentsOf: s[i...])
    return String(out)
}
