import Glibc

/// The ledger's head (its last seq and hash), as saved in a file outside the
/// database. A later ledger that no longer holds that row with that hash has
/// lost or rewritten its tail, however intact its chain looks.
///
/// The file is one line, `SEQ HASH`, or a signed checkpoint note
/// (LedgerCheckpoint). An empty file is the genesis head (`0` and 64 zeros):
/// that is how an operator starts a new copy.
public struct LedgerHead: Sendable, Equatable {
    public let seq: Int64
    public let hash: String

    public static let genesis = LedgerHead(seq: 0, hash: String(repeating: "0", count: 64))

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// Parses the file's text; anything but `SEQ HASH` is bad data (65).
    public init(parsing text: String, path: String) throws(Refusal) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        if fields.isEmpty {
            self = .genesis
            return
        }
        guard fields.count == 2, let seq = Int64(fields[0]), seq >= 0,
              fields[1].utf8.count == 64, fields[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else {
            throw Refusal("bad_ledger_head", "\(path) is not a saved ledger head (one line: SEQ HASH)")
        }
        guard seq > 0 || fields[1] == LedgerHead.genesis.hash else {
            throw Refusal("bad_ledger_head", "\(path): seq 0 is the genesis head, whose hash is 64 zeros")
        }
        self.init(seq: seq, hash: String(fields[1]))
    }

    /// The head a file holds, in either form; a checkpoint's signature is not checked here.
    public static func read(from path: String) throws(Refusal) -> LedgerHead {
        try SavedLedgerHead.read(from: path).head
    }

    /// The text the file holds.
    public var line: String { "\(seq) \(hash)\n" }

    /// The head as a query sees it: the last row, or genesis when there is
    /// none; and the hash of the first row, which names the ledger.
    static let currentSQL = """
        SELECT l.seq, l.hash, (SELECT f.hash FROM gov_ledger f WHERE f.seq = 1)
          FROM gov_ledger l ORDER BY l.seq DESC LIMIT 1
        """

    /// The head that `currentSQL` answered.
    init(current r: QueryResult) {
        guard r.rowCount == 1, let seq = r.value(0, 0).flatMap({ Int64($0) }), let hash = r.value(0, 1) else {
            self = .genesis
            return
        }
        self.init(seq: seq, hash: hash)
    }

    /// Replaces the file at `path` atomically: a reader sees the old head or
    /// the new one, never a torn line, even if the machine stops mid-write.
    public func write(to path: String) throws(Refusal) {
        try LedgerHead.save(line, to: path)
    }

    /// Replaces the file at `path` with `text`, atomically.
    static func save(_ text: String, to path: String) throws(Refusal) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let temporary = "\(path).tmp.\(getpid())"
        func failed(_ what: String) -> Refusal {
            Refusal("ledger_head_not_saved",
                    "every item passed, but the ledger head cannot be saved to \(path): \(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failed("create \(temporary)") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else {
            let refusal = failed("write \(temporary)")
            unlink(temporary)
            throw refusal
        }
        guard rename(temporary, path) == 0 else {
            let refusal = failed("rename \(temporary)")
            unlink(temporary)
            throw refusal
        }
        // The rename is durable once the directory is synced.
        let dir = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    var json: JSONObject { ["seq": .integer(seq), "hash": .string(hash)] }
}
