extension Migration {
    /// A staged migration file: its version and name are the file's base name
    /// without `.sql` (and `.staged`), so a file is applied once, ever; a
    /// changed file under an applied name is refused.
    public static func staged(fromFile path: String) throws -> Migration {
        let bytes = try FileBytes.read(path, maxBytes: 16 * 1024 * 1024)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw Refusal("not_utf8", "\(path) is not UTF-8 text")
        }
        if let offset = bytes.firstIndex(of: 0) {
            throw Refusal("invalid_text", "\(path) holds a NUL byte at offset \(offset); it is not SQL text")
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var version = base
        for suffix in [".sql", ".staged"] where version.hasSuffix(suffix) { version.removeLast(suffix.count) }
        let valid = !version.isEmpty && version.utf8.count <= 200 && version.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
        }
        guard valid else {
            throw Refusal("bad_migration_name", "\(base): a staged migration is named [A-Za-z0-9._-]+.sql")
        }
        return Migration(kind: .staged, version: version, name: base, bytes: bytes)
    }
}
