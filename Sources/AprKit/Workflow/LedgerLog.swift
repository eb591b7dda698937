/// apr-log: the ledger as NDJSON, oldest first, and `--follow`, which
/// streams each event as it commits. A follower LISTENs first, then reads
/// the backlog, then, each time a notification says an event of interest
/// committed, the events after the last seq it printed; after a lost
/// connection it re-opens one and resumes after that seq, so no event is
/// skipped and none printed twice.
public struct LedgerLog {
    /// The channel gov_ledger_append notifies as each event commits
    /// (payload `{"seq": N, "event": E, "apr_code": C}`).
    public static let channel = "aprkit_ledger"

    /// What to print.
    public struct Filter: Sendable {
        public var aprCode: String?
        public var events: [String]
        /// Only the events with a seq above this one.
        public var sinceSeq: Int64
        /// At most this many events in all (nil: no limit).
        public var limit: Int?

        public init(aprCode: String? = nil, events: [String] = [], sinceSeq: Int64 = 0, limit: Int? = nil) {
            self.aprCode = aprCode
            self.events = events
            self.sinceSeq = sinceSeq
            self.limit = limit
        }

        /// Whether a notification may announce an event this filter prints
        /// (one that cannot be read is taken to).
        func admits(_ notification: PGNotification, after last: Int64) -> Bool {
            guard case .object(let note)? = try? JSONValue.parse(notification.payload) else { return true }
            if let seq = note["seq"]?.integerValue, seq <= last { return false }
            if let aprCode, note["apr_code"]?.stringValue != aprCode { return false }
            if !events.isEmpty, let event = note["event"]?.stringValue, !events.contains(event) { return false }
            return true
        }
    }

    /// An event name as the ledger allows it (`^[a-z_]{1,32}$`).
    public static func isEventName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x61 && $0 <= 0x7A) }
    }

    /// Events read per query: memory stays flat however long the backlog.
    static let batchSize = 500

    let open: () throws(PGError) -> Connection
    let filter: Filter
    let log: ((String) -> Void)?
    let reconnectWindow: Int

    /// `open` opens a connection (the first, and again after one is lost);
    /// `log` hears what happens to the connection while following.
    public init(filter: Filter, reconnectWindowMilliseconds: Int = Reconnect.defaultWindowMilliseconds,
                log: ((String) -> Void)? = nil, open: @escaping () throws(PGError) -> Connection) {
        self.filter = filter
        self.open = open
        self.log = log
        self.reconnectWindow = reconnectWindowMilliseconds
    }

    /// Prints the events (`emit` gets one line each, without its newline,
    /// and answers false when no one reads any more); with `follow`, goes on
    /// printing each as it commits until the limit is reached or `emit`
    /// answers false. Throws a Refusal or a PGError for what stopped it.
    public func run(follow: Bool, emit: (String) -> Bool) throws {
        var connection = try open()
        var cursor = Cursor(last: filter.sinceSeq, printed: 0)
        guard follow else {
            _ = try emitEvents(from: connection, &cursor, emit)
            return
        }
        var listening = false
        while true {
            do {
                if !listening {
                    // LISTEN first, then the backlog: an event that commits
                    // in between is both read and announced, never missed.
                    try connection.listen(LedgerLog.channel)
                    listening = true
                    guard try emitEvents(from: connection, &cursor, emit) else { return }
                }
                let notes = try connection.waitForNotifications(milliseconds: 3_600_000)
                if notes.contains(where: { filter.admits($0, after: cursor.last) }) {
                    guard try emitEvents(from: connection, &cursor, emit) else { return }
                }
            } catch let error as PGError where error.kind == .unavailable || !connection.isConnected {
                log?("connection lost (\(error.message)); reconnecting to resume after seq \(cursor.last)")
                connection = try Reconnect.reopen(open, until: MonotonicClock.now() + reconnectWindow, log: log)
                listening = false
                log?("reconnected")
            }
        }
    }

    struct Cursor {
        var last: Int64
        var printed: Int
    }

    /// Prints every event after the cursor that the filter takes, batch by
    /// batch, moving the cursor past each line printed. False when the
    /// run is over (the limit reached, or no one reads any more).
    private func emitEvents(from connection: Connection, _ cursor: inout Cursor, _ emit: (String) -> Bool) throws -> Bool {
        while true {
            let want = min(LedgerLog.batchSize, filter.limit.map { $0 - cursor.printed } ?? Int.max)
            if want <= 0 { return false }
            let rows = try read(connection, after: cursor.last, limit: want)
            for row in 0..<rows.rowCount {
                guard let seqText = rows.value(row, 0), let seq = Int64(seqText), let line = rows.value(row, 1) else {
                    throw Refusal("internal_error", "the database returned a ledger event without its seq")
                }
                guard emit(line) else { return false }
                cursor.last = seq
                cursor.printed += 1
            }
            if rows.rowCount < want { return filter.limit.map { cursor.printed < $0 } ?? true }
        }
    }

    private func read(_ connection: Connection, after seq: Int64, limit: Int) throws -> QueryResult {
        let events = filter.events.isEmpty ? nil : "{" + filter.events.map { "\"\($0)\"" }.joined(separator: ",") + "}"
        let result: QueryResult
        do {
            result = try connection.execute("SELECT seq, line FROM gov_ledger_events($1, $2, $3::text[], $4)",
                                            [String(seq), filter.aprCode, events, String(limit)])
        } catch {
            switch error.sqlstate {
            case "42501":
                throw Refusal("not_a_reader", "\(connection.user) may not read the ledger: grant it apr_reader")
            case "42883", "42P01":
                throw Refusal("schema_missing", "the database has no aprkit ledger (run gov-migrate)")
            default:
                throw error
            }
        }
        return result
    }
}
