// Fuzz target: the `:name` parameter lexer of checklist queries
// (NamedParameters), against the statement lexer (SQLScript), which reads
// SQL as the server does.
//
// Properties:
// - it refuses the text exactly when the server would see a positional
//   parameter ($1) in it;
// - otherwise each `:name` the server would see outside strings, quoted
//   identifiers, bodies and comments becomes `$n` there, n the name's
//   place among the names (one number per name, in order of first use),
//   no other `$n` appears, nothing else changes where the server looks,
//   and the text splits into the same statements.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParams(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let seen = SQLScript.topLevelStatements(source)
    let before = tokens(seen)
    let numbered: NamedParameters
    do {
        numbered = try NamedParameters(numbering: source)
    } catch {
        require(before.contains { $0.positional }, "refused as positional, but the server sees no $n in \(shown(seen))")
        return 0
    }
    require(!before.contains { $0.positional }, "a positional parameter passed: \(shown(seen))")

    var names: [String] = []
    for token in before where !names.contains(token.text) { names.append(token.text) }
    require(numbered.names == names, "names \(numbered.names), the server sees \(names) in \(shown(seen))")

    let sent = SQLScript.topLevelStatements(numbered.sql)
    let after = tokens(sent)
    require(after.allSatisfy(\.positional), "a :name left in \(shown(sent))")
    require(after.map(\.text) == before.map { String(names.firstIndex(of: $0.text)! + 1) },
            "the server sees \(shown(sent)) for \(shown(seen))")
    require(sent.count == seen.count, "\(sent.count) statements sent for \(seen.count) written")
    require(sent.map(positionalsAsNames(numbered.names)) == seen.map(String.init), "the text changed beyond the names")
    return 0
}

private struct Token {
    /// `$n` (the digits), or `:name` (the name).
    let positional: Bool
    let text: String
}

/// The parameters in what the statement lexer leaves of the text (strings,
/// quoted identifiers, bodies and comments taken out), read as the server
/// reads it: `$` and digits outside an identifier are a positional
/// parameter; `:` and a name, where the `:` is no part of `::`, a name.
/// `rewrite` gives each one's replacement text; nil keeps it.
private func scan(_ statement: Substring, _ rewrite: (Token) -> String? = { _ in nil }) -> (tokens: [Token], text: String) {
    let s = Array(statement.unicodeScalars)
    var tokens: [Token] = []
    var out = String.UnicodeScalarView()
    var i = 0
    func take(_ end: Int, _ token: Token?) {
        if let token {
            tokens.append(token)
            if let text = rewrite(token) { out.append(contentsOf: text.unicodeScalars); i = end; return }
        }
        out.append(contentsOf: s[i..<end])
        i = end
    }
    func run(from j: Int, while part: (Unicode.Scalar) -> Bool) -> Int {
        var j = j
        while j < s.count, part(s[j]) { j += 1 }
        return j
    }
    while i < s.count {
        let next = i + 1 < s.count ? s[i + 1] : nil
        if s[i] == "$", let next, isDigit(next) {
            let end = run(from: i + 1, while: isDigit)
            take(end, Token(positional: true, text: String(String.UnicodeScalarView(s[(i + 1)..<end]))))
        } else if s[i] == ":", next == ":" {
            take(i + 2, nil)
        } else if s[i] == ":", let next, isNameStart(next) {
            let end = run(from: i + 1) { isNameStart($0) || isDigit($0) }
            take(end, Token(positional: false, text: String(String.UnicodeScalarView(s[(i + 1)..<end]))))
        } else if isNameStart(s[i]) || s[i].value >= 0x80 {
            // An identifier runs on: a `$` inside it is its own.
            take(run(from: i, while: isIdentifierPart), nil)
        } else if isDigit(s[i]) {
            take(run(from: i, while: isDigit), nil)
        } else {
            take(i + 1, nil)
        }
    }
    return (tokens, String(out))
}

private func tokens(_ statements: [Substring]) -> [Token] {
    statements.flatMap { scan($0).tokens }
}

/// The statement as written: each `$n` put back as the name it stands for.
private func positionalsAsNames(_ names: [String]) -> (Substring) -> String {
    { statement in
        scan(statement) { token in token.positional ? ":" + names[Int(token.text)! - 1] : nil }.text
    }
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
private func isNameStart(_ c: Unicode.Scalar) -> Bool {
    c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
}
private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
    isNameStart(c) || isDigit(c) || c == "$" || c.value >= 0x80
}
