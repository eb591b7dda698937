// Fuzz target: the statement lexer that guards migrations
// (SQLScript.topLevelStatements).
//
// Properties: each statement is non-empty, starts with no whitespace and
// holds no `;`; there are no more statements than `;` plus one; and what
// the lexer leaves of a script (strings, quoted identifiers and comments
// emptied, a body as ` $body$ `) is read again as the same statements once
// each body stands as an empty one: nothing taken out hid a `;`, a quote or
// a comment the lexer then lost track of.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSQLScript(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let sql = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let statements = SQLScript.topLevelStatements(sql)
    let semicolons = sql.unicodeScalars.reduce(0) { $0 + ($1 == ";" ? 1 : 0) }
    require(statements.count <= semicolons + 1, "\(statements.count) statements, \(semicolons) semicolons")
    for statement in statements {
        require(!statement.isEmpty && !statement.first!.isWhitespace, "a statement starts with text: \(shown(statement))")
        require(!statement.contains(";"), "a statement holds no ; \(shown(statement))")
    }
    // A body's stand-in, made a body that is read as one again.
    let body = " $body$ "
    let closed = statements.map { $0.replacing(body, with: " $body$$body$ ") }
    let reread = SQLScript.topLevelStatements(closed.joined(separator: ";\n"))
    require(reread.map { $0.replacing(body, with: " $body$$body$ ") } == closed,
            "read again as \(shown(reread)), was \(shown(statements))")
    return 0
}
