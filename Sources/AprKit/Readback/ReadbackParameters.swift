/// The values a checklist's `:name` parameters are bound to: `--param
/// KEY=VALUE`, `--file-sha256 KEY=FILE`, and the built-in ones. Every problem
/// is a usage error (64), found before anything runs.
public struct ReadbackParameters: Sendable {
    /// Names readback binds itself; `--param` cannot set them.
    public static let builtIn = ["bundled_migrations", "bundled_repeatables", "ledger_head_seq", "ledger_head_hash",
                                 "ledger_verify_from_seq", "ledger_verify_from_hash"]

    /// name → value; nil is SQL null (a file whose digest could not be taken).
    public let values: [String: String?]

    public init(for checklist: Checklist, params: [String] = [], fileDigests: [String] = [],
                ledgerHead: LedgerHead? = nil, verifyFrom: LedgerHead? = nil) throws(Refusal) {
        var given: [String: Source] = [:]
        for (option, entries, kind) in [("--param", params, Source.value), ("--file-sha256", fileDigests, Source.fileDigest)] {
            for entry in entries {
                guard let eq = entry.firstIndex(of: "="), NamedParameters.isValidName(String(entry[..<eq])) else {
                    throw Refusal("bad_parameter", "\(option) \(entry): expected KEY=\(option == "--param" ? "VALUE" : "FILE") with KEY a name ([A-Za-z_][A-Za-z0-9_]*)")
                }
                let key = String(entry[..<eq])
                let rest = String(entry[entry.index(after: eq)...])
                guard !ReadbackParameters.builtIn.contains(key) else {
                    throw Refusal("reserved_parameter", "\(key) is bound by readback itself and cannot be given")
                }
                guard given[key] == nil else {
                    throw Refusal("bad_parameter", "parameter \(key) is given twice")
                }
                given[key] = kind(rest)
            }
        }
        let needed = Set(checklist.parameters)
        if let unknown = given.keys.sorted().first(where: { !needed.contains($0) }) {
            throw Refusal("unknown_parameter",
                          "checklist \(checklist.name) has no parameter \(unknown) (it takes: \(checklist.parameters.joined(separator: ", ")))")
        }

        var values: [String: String?] = [:]
        // Hashing every bundled file costs more than a readback's query:
        // only a checklist that asks for the checksums gets them.
        if checklist.parameters.contains("bundled_migrations") {
            values["bundled_migrations"] = ReadbackParameters.checksums(Schema.versioned)
        }
        if checklist.parameters.contains("bundled_repeatables") {
            values["bundled_repeatables"] = ReadbackParameters.checksums(Schema.repeatables)
        }
        // The chain is verified from this checkpoint on; genesis (0) is every row.
        values["ledger_verify_from_seq"] = String((verifyFrom ?? .genesis).seq)
        values["ledger_verify_from_hash"] = (verifyFrom ?? .genesis).hash
        if let ledgerHead {
            values["ledger_head_seq"] = String(ledgerHead.seq)
            values["ledger_head_hash"] = ledgerHead.hash
        }
        for (key, source) in given {
            switch source {
            case .value(let value): values[key] = value
            case .fileDigest(let path): values[key] = .some(try? SHA256.hexDigest(fileAt: path))
            }
        }
        let missing = checklist.parameters.filter { values[$0] == nil }
        guard missing.isEmpty else {
            let hint = missing.contains { $0.hasPrefix("ledger_head_") } ? "; give the saved head with --ledger-head FILE" : ""
            throw Refusal("missing_parameter",
                          "checklist \(checklist.name) needs \(missing.joined(separator: ", "))\(hint)",
                          details: ["missing": .array(missing.map { .string($0) })])
        }
        self.values = values
    }

    private enum Source {
        case value(String)
        case fileDigest(String)
    }

    /// The files built into this aprkit, `{"version": "checksum"}`: what W1
    /// holds the database's gov_migrations and gov_repeatables against.
    static func checksums(_ migrations: [Migration]) -> String {
        var object = JSONObject()
        for m in migrations { object[m.version] = .string(m.checksum) }
        return object.serialized()
    }
}
