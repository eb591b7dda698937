/// The checklists built into readback (SQL/checklists/NAME.checklist.sql),
/// as text in the checklist format, so an operator can print one
/// (`readback --print-checklist NAME`), copy it and adapt it.
extension Checklist {
    public static let builtinNames = ["post-grant", "prewrite", "ledger"]

    /// The files a built-in checklist may include: the ledger chain, which
    /// three checklists share, and the schema's fingerprint.
    static let includes: [String: [UInt8]] = [
        "-- @include ledger-chain.sql": Schema.ledgerChainQuery,
        "-- @include schema-fingerprint.sql": Schema.schemaFingerprintQuery,
    ]

    /// A built-in checklist's text, each `-- @include FILE` line replaced by
    /// that file's query.
    public static func builtinText(_ name: String) -> String? {
        guard let bytes = Schema.checklists[name] else { return nil }
        return String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in includes[String(line)].map { String(decoding: $0, as: UTF8.self).dropLast() } ?? line }
            .joined(separator: "\n")
    }

    /// A built-in checklist by name, else the checklist file at `path`
    /// (`-` is stdin). A name with a slash is always a path.
    public static func load(_ nameOrPath: String) throws(Refusal) -> Checklist {
        if !nameOrPath.contains("/"), let text = builtinText(nameOrPath) {
            return try Checklist(parsing: text, name: nameOrPath)
        }
        if nameOrPath != "-", !nameOrPath.contains("/"), !nameOrPath.contains(".") {
            throw Refusal("unknown_checklist",
                          "no built-in checklist \(nameOrPath) (\(builtinNames.joined(separator: ", "))); a file is named with a slash or a dot, e.g. ./\(nameOrPath)")
        }
        let bytes = try FileBytes.read(nameOrPath == "-" ? "/dev/stdin" : nameOrPath, maxBytes: 1 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Refusal("not_utf8", "\(nameOrPath) is not UTF-8 text")
        }
        if let offset = bytes.firstIndex(of: 0) {
            throw Refusal("invalid_text", "\(nameOrPath) holds a NUL byte at offset \(offset); it is not checklist text")
        }
        return try Checklist(parsing: text, name: label(forPath: nameOrPath))
    }

    /// A checklist file's name in reports: its base name without extension.
    static func label(forPath path: String) -> String {
        if path == "-" { return "stdin" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
        return String(base[..<dot])
    }
}
