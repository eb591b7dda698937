/// Just enough of SQL's lexical rules to split a script into its top-level
/// statements: quoted strings, quoted identifiers, dollar-quoted bodies and
/// comments are passed over whole, so a PL/pgSQL BEGIN … END stays inside.
enum SQLScript {
    static func topLevelStatements(_ sql: String) -> [Substring] {
        let chars = Array(sql.unicodeScalars)
        var statements: [Substring] = []
        var current = ""
        var i = 0
        func flush() {
            let trimmed = current.drop { $0.isWhitespace }
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }
        while i < chars.count {
            let c = chars[i]
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" { depth += 1; i += 2; continue }
                    if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" { depth -= 1; i += 2; continue }
                    i += 1
                } while depth > 0 && i < chars.count
                current.append(" ")
                continue
            case "'", "\"":
                current.unicodeScalars.append(c)
                i += 1
                while i < chars.count, chars[i] != c { i += 1 }
                i += 1
                current.unicodeScalars.append(c)
                continue
            case "$":
                var j = i + 1
                while j < chars.count, chars[j] == "_" || chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]) { j += 1 }
                if j < chars.count, chars[j] == "$", !(i > 0 && chars[i - 1].properties.isAlphabetic) {
                    let tag = Array(chars[i...j])
                    var k = j + 1
                    while k + tag.count <= chars.count, Array(chars[k..<k + tag.count]) != tag { k += 1 }
                    i = min(k + tag.count, chars.count)
                    current.append(" $body$ ")
                    continue
                }
            case ";":
                flush()
                i += 1
                continue
            default:
                break
            }
            current.unicodeScalars.append(c)
            i += 1
        }
        flush()
        return statements
    }
}
