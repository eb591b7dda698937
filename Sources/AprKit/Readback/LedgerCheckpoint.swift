import Glibc

/// A signed checkpoint of the ledger: the note `{origin, seq, hash, time}`
/// on one line, then an SSH signature of that line (`ssh-keygen -Y sign -n
/// aprkit-ledger`, an ed25519 key). A head file in this form is read like a
/// plain `SEQ HASH` one; with an allowed-signers file its signature is
/// verified before the head is trusted.
public struct LedgerCheckpoint: Sendable, Equatable {
    /// The namespace every checkpoint signature is made in, so that a
    /// signature made for anything else (a git commit, a file) never passes.
    public static let namespace = "aprkit-ledger"

    /// Which ledger: `aprkit-ledger/` and the hash of its first row.
    public let origin: String
    public let head: LedgerHead
    /// When the checkpoint was taken, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    public let time: String

    public init(origin: String, head: LedgerHead, time: String) {
        self.origin = origin
        self.head = head
        self.time = time
    }

    /// The origin of the ledger whose first row has `firstHash`.
    public static func origin(firstHash: String?) -> String {
        "aprkit-ledger/" + (firstHash ?? LedgerHead.genesis.hash)
    }

    /// The note as signed: one JSON line, its newline included.
    public var note: String {
        let object: JSONObject = ["origin": .string(origin), "seq": .integer(head.seq),
                                  "hash": .string(head.hash), "time": .string(time)]
        return object.serialized() + "\n"
    }

    /// Parses a note line; anything else is bad data (65).
    init(parsingNote line: Substring, path: String) throws(Refusal) {
        let bad = Refusal("bad_ledger_head",
                          "\(path): the checkpoint note is not {\"origin\", \"seq\", \"hash\", \"time\"}")
        guard let object = (try? JSONValue.parse(String(line)))?.objectValue,
              Set(object.keys) == ["origin", "seq", "hash", "time"],
              let origin = object["origin"]?.stringValue, let seq = object["seq"]?.integerValue,
              let hash = object["hash"]?.stringValue, let time = object["time"]?.stringValue
        else { throw bad }
        let head = try LedgerHead(parsing: "\(seq) \(hash)", path: path)
        self.init(origin: origin, head: head, time: time)
    }

    /// UTC time of `timestamp` (seconds since the epoch), as a note says it.
    public static func utc(_ timestamp: Int64) -> String {
        var t = time_t(timestamp)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The file's text: the note signed with the SSH key at `keyPath`.
    func signed(keyPath: String, savingTo path: String) throws(Refusal) -> String {
        let result = try SSHKeygen.run(["-Y", "sign", "-f", keyPath, "-n", LedgerCheckpoint.namespace],
                                       input: note, purpose: "sign the checkpoint")
        guard result.succeeded, String(decoding: result.stdout, as: UTF8.self).hasPrefix("-----BEGIN SSH SIGNATURE-----")
        else {
            throw Refusal("ledger_head_not_saved",
                          "every item passed, but the checkpoint for \(path) cannot be signed with \(keyPath): \(SSHKeygen.said(result))")
        }
        return note + String(decoding: result.stdout, as: UTF8.self)
    }
}

/// A head file as read: the head, and the signed checkpoint when the file is one.
public struct SavedLedgerHead: Sendable {
    public let head: LedgerHead
    public let checkpoint: LedgerCheckpoint?
    /// The armoured signature of a checkpoint.
    let signature: String?

    /// Reads `path`: empty (genesis), `SEQ HASH`, or a signed checkpoint.
    /// With `allowedSigners`, the file must be a checkpoint whose signature
    /// verifies against that file (`ssh-keygen -Y verify`), or it is refused
    /// before anything trusts its head.
    public static func read(from path: String, allowedSigners: String? = nil) throws(Refusal) -> SavedLedgerHead {
        let bytes = try FileBytes.read(path, maxBytes: 16384)
        let text = String(decoding: bytes, as: UTF8.self)
        let saved: SavedLedgerHead
        if text.first == "{" {
            let newline = text.firstIndex(of: "\n") ?? text.endIndex
            let checkpoint = try LedgerCheckpoint(parsingNote: text[..<newline], path: path)
            let signature = newline < text.endIndex ? String(text[text.index(after: newline)...]) : ""
            guard signature.hasPrefix("-----BEGIN SSH SIGNATURE-----\n"),
                  signature.hasSuffix("-----END SSH SIGNATURE-----\n") else {
                throw Refusal("bad_ledger_head", "\(path): the checkpoint note is not followed by an SSH signature")
            }
            saved = SavedLedgerHead(head: checkpoint.head, checkpoint: checkpoint, signature: signature)
        } else {
            saved = SavedLedgerHead(head: try LedgerHead(parsing: text, path: path), checkpoint: nil, signature: nil)
        }
        if let allowedSigners { try saved.verify(path: path, allowedSigners: allowedSigners) }
        return saved
    }

    /// Checks the signature against the allowed signers: first which
    /// principal the signing key is, then that its signature of the note holds.
    func verify(path: String, allowedSigners: String) throws(Refusal) {
        guard let checkpoint, let signature else {
            throw Refusal("bad_ledger_head", "\(path) is not a signed checkpoint, and --allowed-signers asks for one")
        }
        let signatureFile = try TemporaryFile(holding: signature, purpose: "verify the checkpoint signature")
        defer { signatureFile.remove() }
        let found = try SSHKeygen.run(["-Y", "find-principals", "-s", signatureFile.path, "-f", allowedSigners],
                                      purpose: "verify the checkpoint signature")
        let principal = String(decoding: found.stdout, as: UTF8.self).split(separator: "\n").first.map(String.init)
        guard found.succeeded, let principal else {
            throw Refusal("bad_ledger_head",
                          "\(path): bad signature: its key is none of the signers allowed in \(allowedSigners) (\(SSHKeygen.said(found)))")
        }
        let verified = try SSHKeygen.run(["-Y", "verify", "-f", allowedSigners, "-I", principal,
                                          "-n", LedgerCheckpoint.namespace, "-s", signatureFile.path],
                                         input: checkpoint.note, purpose: "verify the checkpoint signature")
        guard verified.succeeded else {
            throw Refusal("bad_ledger_head",
                          "\(path): bad signature: the checkpoint note is not what \(principal) signed (\(SSHKeygen.said(verified)))")
        }
    }
}

/// ssh-keygen, run without a shell, in the C locale and the caller's PATH.
enum SSHKeygen {
    /// ssh-keygen's first line of complaint, without its carriage return.
    static func said(_ result: Subprocess.Result) -> String {
        result.summary.trimmingWhitespace()
    }

    static func run(_ arguments: [String], input: String = "", purpose: String) throws(Refusal) -> Subprocess.Result {
        guard let path = Subprocess.executable(["/usr/bin/ssh-keygen", "/bin/ssh-keygen", "/usr/local/bin/ssh-keygen"]) else {
            throw Refusal("spawn_failed", "cannot \(purpose): ssh-keygen is not installed in /usr/bin, /bin or /usr/local/bin")
        }
        do {
            return try Subprocess.run(path, arguments, input: Array(input.utf8), environment: Subprocess.checkEnvironment(),
                                      inheritEnvironment: false, maxOutputBytes: 65536, timeoutSeconds: 30)
        } catch {
            throw Refusal("spawn_failed", "cannot \(purpose): \(error.description)")
        }
    }
}

/// A file of ours in the temporary directory, for a program that reads a file only.
struct TemporaryFile {
    let path: String

    init(holding text: String, purpose: String) throws(Refusal) {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/aprkit.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw Refusal("io_error", "cannot \(purpose): cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else {
            unlink(path)
            throw Refusal("io_error", "cannot \(purpose): cannot write \(path)")
        }
    }

    func remove() { unlink(path) }
}
