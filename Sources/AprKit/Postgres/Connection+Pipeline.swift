import CLibPQ
import Glibc

/// A stream of independent transactions on one connection, sent ahead in
/// libpq's pipeline mode: up to `window` of them are on their way to the
/// server before the first answer is read, so the stream pays no round trip
/// per transaction. Answers come back in the order the items were submitted.
///
/// Each transaction is its statements followed by a sync point: the server
/// runs them as one implicit transaction, committed at the sync, and rolls
/// it back at the sync when a statement fails. A failing transaction never
/// touches its neighbours: the server skips only the rest of its own
/// statements. A transaction is reported done only once the server's answer
/// to its sync has been read (its commit is confirmed); a serialization
/// failure or deadlock is sent again (at most `attempts` times, with the
/// same back-off as `Connection.retrying`), every other error is its answer.
///
/// Every transaction runs READ COMMITTED, whatever the session's default
/// (the stream sets `default_transaction_isolation` when it starts).
///
/// Durability costs one WAL flush per batch, not per transaction: the
/// stream's transactions commit without waiting for the flush
/// (`synchronous_commit = off` for the session while the stream lasts),
/// except each flush point (`submit(…, flushPoint: true)`, and every
/// `window / 2`-th transaction), which commits with the session's own
/// `synchronous_commit` (set locally for its transaction). The server
/// writes its WAL in order, so a flush point's confirmed commit makes every
/// commit before it as durable as its own. A transaction is answered done
/// only once a flush point at or after it has been confirmed; when none is
/// on its way (the flush point itself failed), the stream waits until the
/// server has flushed its WAL past the point where it stood.
///
/// When the connection is lost, every transaction whose answer was not read
/// is answered `unavailable`: it may or may not have been committed, and is
/// never reported done; so is every transaction submitted after.
///
/// An item without statements (an input refused before the database) takes
/// its turn in the answers like any other. Memory stays flat: the caller
/// reads the oldest answer (`next(waiting: true)`) once `isFull`.
public final class TransactionStream<Item> {
    public typealias Answer = Result<[QueryResult], PGError>

    /// How many transactions are sent ahead of the oldest unread answer.
    public static var defaultWindow: Int { 64 }

    public let connection: Connection
    public let window: Int
    public let attempts: Int

    private final class Entry {
        let item: Item
        let statements: [Statement]?
        var answer: Answer?
        var attempt = 1
        var results: [QueryResult] = []
        var error: PGError?
        /// Commits as the session's setting says, making every commit before it durable.
        var flushPoint = false
        /// Its place among the transactions sent (a transaction sent again gets a later one).
        var sequence = 0
        init(item: Item, statements: [Statement]?) {
            self.item = item
            self.statements = statements
        }
    }

    /// Every item not yet handed back, in submission order.
    private var queue: [Entry] = []
    private var queueHead = 0
    /// The transactions sent and not yet answered, in the server's order
    /// (a transaction sent again after a serialization failure goes last).
    private var inFlight: [Entry] = []
    private var inFlightHead = 0
    private var piped = false
    /// Set once the connection is gone: the answer of every transaction after.
    private var lost: PGError?
    private var sent = 0
    private var sinceFlushPoint = 0
    /// Every transaction sent up to this one is durable once committed.
    private var durableThrough = 0
    /// The latest flush point on its way, unanswered.
    private var pendingFlushPoint = 0
    /// The session's own settings, which the stream's change for its time.
    private var saved: (synchronousCommit: String, isolation: String)?

    public init(connection: Connection, window: Int = TransactionStream.defaultWindow, attempts: Int = 5) {
        precondition(window > 0 && attempts > 0)
        self.connection = connection
        self.window = window
        self.attempts = attempts
    }

    deinit {
        // Whatever is still on its way is read, and the session's settings
        // are its own again, before the connection is given back.
        finishPipeline()
        if let saved, lost == nil {
            PQclear(withCStringArray([saved.synchronousCommit, saved.isolation]) { p in
                PQexecParams(handle, """
                    SELECT pg_catalog.set_config('synchronous_commit', $1, false),
                           pg_catalog.set_config('default_transaction_isolation', $2, false)
                    """, 2, nil, p, nil, nil, 0)
            })
        }
    }

    var handle: OpaquePointer { connection.handle }

    /// Items submitted and not yet handed back by `next`.
    public var count: Int { queue.count - queueHead }

    /// Whether the caller should read an answer before submitting more.
    public var isFull: Bool { count >= window }

    /// Queues `item`; `statements`, when given, are sent at once as one
    /// transaction, whose answer `next` hands back with the item. A caller
    /// about to wait (for more input, or for the answers) makes its last
    /// transaction a `flushPoint`, so that no answer waits on another flush.
    public func submit(_ item: Item, _ statements: [Statement]?, flushPoint: Bool = false) {
        let entry = Entry(item: item, statements: statements)
        queue.append(entry)
        guard statements != nil else { return }
        sinceFlushPoint += 1
        entry.flushPoint = flushPoint || sinceFlushPoint >= max(1, window / 2)
        if entry.flushPoint { sinceFlushPoint = 0 }
        send(entry)
    }

    /// The oldest item and its answer (nil for an item without statements),
    /// or nil when nothing is queued. Without `waiting`, only when that
    /// answer has come in already; with it, blocks until it has.
    public func next(waiting: Bool) -> (item: Item, answer: Answer?)? {
        guard queueHead < queue.count else { return nil }
        let head = queue[queueHead]
        if head.statements != nil {
            pump(until: waiting ? head : nil)
            guard var answer = head.answer else { return nil }
            if case .success = answer, head.sequence > durableThrough {
                guard waiting else { return nil }
                awaitDurable(head)
                answer = head.answer!
            }
            if case .failure(let error) = answer, connection.mayDiagnose(error) {
                // The one query that names the cause runs outside the pipeline.
                finishPipeline()
                answer = .failure(connection.diagnosed(error))
            }
            head.answer = answer
        }
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
            // Nothing left on its way: the connection is free for a query of its own.
            if inFlightHead == inFlight.count { finishPipeline() }
        } else if queueHead >= window {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return (head.item, head.answer)
    }

    // MARK: sending

    private func send(_ entry: Entry) {
        if let lost {
            entry.answer = .failure(lost)
            return
        }
        guard let statements = entry.statements else { return }
        do {
            for statement in statements { try Connection.refuseNUL(statement.sql, statement.params) }
        } catch {
            entry.answer = .failure(error)
            return
        }
        guard startPipeline() else {
            entry.answer = .failure(lost ?? connection.lastError())
            return
        }
        if entry.flushPoint, let saved {
            let sent = withCStringArray([saved.synchronousCommit]) { p in
                PQsendQueryParams(handle, "SELECT pg_catalog.set_config('synchronous_commit', $1, true)", 1, nil, p, nil, nil, 0)
            }
            if sent != 1 { entry.error = connection.lastError() }
        }
        for statement in statements {
            let sent = withCStringArray(statement.params) { p in
                PQsendQueryParams(handle, statement.sql, Int32(statement.params.count), nil, p, nil, nil, 0)
            }
            if sent != 1 {
                // The statements queued so far are still answered, up to the
                // sync below; the transaction is answered with this error.
                if entry.error == nil { entry.error = connection.lastError() }
                break
            }
        }
        guard PQpipelineSync(handle) == 1 else {
            connectionLost()
            entry.answer = .failure(lost ?? connection.lastError())
            return
        }
        entry.results = []
        sent += 1
        entry.sequence = sent
        if entry.flushPoint { pendingFlushPoint = sent }
        inFlight.append(entry)
        if PQflush(handle) < 0 { connectionLost() }
    }

    /// Enters pipeline mode (nonblocking, so that a large transaction being
    /// sent never waits on a server waiting for its answers to be read);
    /// the first time, pins the isolation level of the stream's transactions.
    private func startPipeline() -> Bool {
        if piped { return true }
        if saved == nil {
            // The stream's statements go out on the raw connection: the
            // search_path is pinned first, as for every other statement.
            do {
                try connection.pinSearchPathIfNeeded()
            } catch {
                if PQstatus(handle) != CONNECTION_OK { connectionLost() }
                return false
            }
            let set = PQexec(handle, """
                SELECT pg_catalog.current_setting('synchronous_commit'),
                       pg_catalog.current_setting('default_transaction_isolation'),
                       pg_catalog.set_config('synchronous_commit', 'off', false),
                       pg_catalog.set_config('default_transaction_isolation', 'read committed', false)
                """)
            defer { PQclear(set) }
            guard PQresultStatus(set) == PGRES_TUPLES_OK, PQntuples(set) == 1 else {
                if PQstatus(handle) != CONNECTION_OK { connectionLost() }
                return false
            }
            saved = (String(cString: PQgetvalue(set, 0, 0)), String(cString: PQgetvalue(set, 0, 1)))
        }
        guard PQenterPipelineMode(handle) == 1, PQsetnonblocking(handle, 1) == 0 else {
            if PQstatus(handle) != CONNECTION_OK { connectionLost() }
            PQexitPipelineMode(handle)
            return false
        }
        piped = true
        return true
    }

    /// Reads every answer still on its way and leaves pipeline mode, so
    /// the connection can run a query of its own.
    private func finishPipeline() {
        while inFlightHead < inFlight.count, lost == nil { pump(until: inFlight[inFlightHead]) }
        guard piped else { return }
        piped = false
        if lost == nil {
            PQexitPipelineMode(handle)
            PQsetnonblocking(handle, 0)
        }
    }

    // MARK: reading

    /// Sends what is buffered and reads the answers that have come in; with
    /// `entry`, waits on the socket until that one is answered.
    private func pump(until entry: Entry?) {
        while true {
            if lost != nil || inFlightHead == inFlight.count { return }
            let flushed = PQflush(handle)
            if flushed < 0 || PQconsumeInput(handle) == 0 {
                connectionLost()
                return
            }
            readAvailable()
            guard let entry, entry.answer == nil, lost == nil else { return }
            if PQstatus(handle) != CONNECTION_OK {
                connectionLost()
                return
            }
            var fd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN) | (flushed == 1 ? Int16(POLLOUT) : 0), revents: 0)
            if poll(&fd, 1, -1) < 0, errno != EINTR {
                connectionLost()
                return
            }
        }
    }

    /// Takes every result libpq can hand over without waiting.
    private func readAvailable() {
        var nulls = 0
        while inFlightHead < inFlight.count, PQisBusy(handle) == 0 {
            guard let raw = PQgetResult(handle) else {
                // The end of one statement's results; twice in a row: none ready.
                nulls += 1
                if nulls > 1 { return }
                continue
            }
            nulls = 0
            take(raw, for: inFlight[inFlightHead])
        }
    }

    private func take(_ raw: OpaquePointer, for entry: Entry) {
        let result = QueryResult(owning: raw)
        switch result.status {
        case PGRES_PIPELINE_SYNC:
            inFlightHead += 1
            if inFlightHead == inFlight.count {
                inFlight.removeAll(keepingCapacity: true)
                inFlightHead = 0
            } else if inFlightHead >= window {
                // A stream that never runs dry keeps no answered transaction.
                inFlight.removeFirst(inFlightHead)
                inFlightHead = 0
            }
            settle(entry)
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            entry.results.append(result)
        case PGRES_PIPELINE_ABORTED:
            break
        case PGRES_FATAL_ERROR:
            if entry.error == nil { entry.error = result.error() }
        default:
            if entry.error == nil {
                entry.error = PGError(kind: .other, sqlstate: nil,
                                      message: "unexpected answer in a pipeline: \(String(cString: PQresStatus(result.status)))")
            }
        }
    }

    /// The transaction's sync point has been answered: its commit is
    /// confirmed, or it failed as a whole.
    private func settle(_ entry: Entry) {
        let expected = (entry.statements?.count ?? 0) + (entry.flushPoint ? 1 : 0)
        if entry.sequence == pendingFlushPoint { pendingFlushPoint = 0 }
        if let error = entry.error {
            if error.kind == .retryable, entry.attempt < attempts {
                let base = UInt32(1_000 << min(entry.attempt, 6))  // 2 ms … 64 ms
                usleep(base + UInt32.random(in: 0..<base))
                entry.attempt += 1
                entry.error = nil
                send(entry)
                return
            }
            entry.answer = .failure(error)
        } else if entry.results.count != expected {
            entry.answer = .failure(PGError(
                kind: .other, sqlstate: nil,
                message: "the server did not confirm the commit (\(entry.results.count) of \(expected) statements answered)"))
        } else {
            entry.answer = .success(Array(entry.results.dropFirst(entry.flushPoint ? 1 : 0)))
            if entry.flushPoint { durableThrough = max(durableThrough, entry.sequence) }
        }
        entry.results = []
    }

    /// Waits until `entry`'s commit is durable: by the flush point on its
    /// way after it, else by the server's WAL flush.
    private func awaitDurable(_ entry: Entry) {
        while entry.sequence > durableThrough, lost == nil, pendingFlushPoint >= entry.sequence,
              inFlightHead < inFlight.count {
            pump(until: inFlight[inFlightHead])
        }
        if entry.sequence > durableThrough, lost == nil { awaitWALFlush() }
        if entry.sequence > durableThrough {
            entry.answer = .failure(lost ?? PGError(
                kind: .unavailable, sqlstate: nil, message: "the commit could not be confirmed durable"))
        }
    }

    /// Waits, outside the pipeline, until the server has flushed its WAL past
    /// where it stood once every transaction sent had been answered (the WAL
    /// writer flushes commits that did not wait, within a few
    /// wal_writer_delay).
    private func awaitWALFlush() {
        finishPipeline()
        if lost != nil { return }
        let through = sent
        let insert = PQexec(handle, "SELECT pg_catalog.pg_current_wal_insert_lsn()")
        defer { PQclear(insert) }
        guard PQresultStatus(insert) == PGRES_TUPLES_OK, PQntuples(insert) == 1 else {
            if PQstatus(handle) != CONNECTION_OK { connectionLost() }
            return
        }
        let lsn = String(cString: PQgetvalue(insert, 0, 0))
        while true {
            let flushed = withCStringArray([lsn]) { p in
                PQexecParams(handle, "SELECT pg_catalog.pg_current_wal_flush_lsn() >= $1::pg_lsn", 1, nil, p, nil, nil, 0)
            }
            let status = PQresultStatus(flushed)
            let done = status == PGRES_TUPLES_OK && String(cString: PQgetvalue(flushed, 0, 0)) == "t"
            PQclear(flushed)
            if done {
                durableThrough = max(durableThrough, through)
                return
            }
            if status != PGRES_TUPLES_OK {
                if PQstatus(handle) != CONNECTION_OK { connectionLost() }
                return
            }
            usleep(5_000)
        }
    }

    /// The connection is gone: no transaction still on its way is known to
    /// have committed, and none after can be sent.
    private func connectionLost() {
        if lost != nil { return }
        let reason = Connection.trimmedMessage(PQerrorMessage(handle))
        let error = PGError(kind: .unavailable, sqlstate: nil,
                            message: "the connection was lost before the database answered (\(reason))")
        lost = error
        for entry in inFlight[inFlightHead...] {
            // The server's own word (e.g. the session was terminated) when it sent one.
            if let own = entry.error, own.kind == .unavailable {
                entry.answer = .failure(own)
            } else {
                entry.answer = .failure(error)
            }
            entry.results = []
        }
        inFlight.removeAll()
        inFlightHead = 0
        // Committed, but not yet known to be durable: not done either.
        for entry in queue[queueHead...] where entry.sequence > durableThrough {
            if case .success = entry.answer { entry.answer = .failure(error) }
        }
    }
}
