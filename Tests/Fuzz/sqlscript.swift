// Fuzz target: the statement lexer that guards migrations (SQLScript:
// pieces, topLevelStatements).
//
// Properties:
// - the pieces follow each other and cover the script, so the statement
//   split (the text between `;` pieces) re-joins to the input;
// - the lexer needs no context at a piece boundary: each statement's text
//   read alone gives the same pieces as within the script, and the same
//   statement; each piece read alone is that one piece again;
// - each statement is non-empty, starts with no whitespace, holds no `;`.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSQLScript(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let sql = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let s = Array(sql.unicodeScalars)
    let pieces = lex(s)
    var at = 0
    for (piece, range) in pieces {
        require(range.lowerBound == at && !range.isEmpty, "\(piece) at \(range), the last ended at \(at)")
        at = range.upperBound
        let alone = lex(Array(s[range]))
        require(alone.count == 1 && alone[0].piece == piece, "\(piece) \(shown(text(s, range))) alone is \(alone.map(\.piece))")
    }
    require(at == s.count, "the pieces end at \(at) of \(s.count)")

    var slices: [Range<Int>] = []
    var start = 0
    for (piece, range) in pieces where piece == .semicolon {
        slices.append(start..<range.lowerBound)
        start = range.upperBound
    }
    slices.append(start..<s.count)
    require(slices.map { text(s, $0) }.joined(separator: ";") == sql, "the statements re-join to the script")

    var statements: [Substring] = []
    for slice in slices {
        let inScript = pieces.filter { slice.contains($0.range.lowerBound) }
            .map { ($0.piece, ($0.range.lowerBound - slice.lowerBound)..<($0.range.upperBound - slice.lowerBound)) }
        let alone = lex(Array(s[slice]))
        require(alone.elementsEqual(inScript) { $0.piece == $1.0 && $0.range == $1.1 },
                "\(shown(text(s, slice))) alone is \(alone.map(\.piece)), in the script \(inScript.map(\.0))")
        let one = SQLScript.topLevelStatements(text(s, slice))
        require(one.count <= 1, "one statement's text read as \(one.count)")
        statements += one
    }
    require(SQLScript.topLevelStatements(sql) == statements, "the script's statements are its statements' read alone")
    for statement in statements {
        require(!statement.isEmpty && !statement.first!.isWhitespace, "a statement starts with text: \(shown(statement))")
        require(!statement.contains(";"), "a statement holds no ; \(shown(statement))")
    }
    return 0
}

private func lex(_ s: [Unicode.Scalar]) -> [(piece: SQLScript.Piece, range: Range<Int>)] {
    var pieces: [(piece: SQLScript.Piece, range: Range<Int>)] = []
    SQLScript.pieces(s) { pieces.append(($0, $1)) }
    return pieces
}

private func text(_ s: [Unicode.Scalar], _ range: Range<Int>) -> String {
    String(String.UnicodeScalarView(s[range]))
}
