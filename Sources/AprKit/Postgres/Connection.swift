import CLibPQ
import Glibc

/// One libpq connection. Every tool opens exactly one, runs its operation in
/// as few round trips as it allows, and closes it.
public final class Connection {
    let handle: OpaquePointer

    /// Connects with libpq's defaults and environment (`PGHOST`, `PGSERVICE`,
    /// `.pgpass`, …); `dbname`, when given, may be a database name or a full
    /// conninfo string or URI, as with psql's `-d`.
    public init(dbname: String? = nil, applicationName: String) throws(PGError) {
        var keys: [String] = ["fallback_application_name"]
        var values: [String] = [applicationName]
        if let dbname, !dbname.isEmpty {
            keys.append("dbname")
            values.append(dbname)
        }
        let conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectStartParams(k, v, 1) }
        }
        guard let conn else {
            throw PGError(kind: .unavailable, sqlstate: nil, message: "out of memory allocating a connection")
        }
        // Server notices (NOTICE, WARNING) are not the tool's output: stderr
        // carries one line per refusal and nothing else. Set before the
        // handshake, so that not even a FATAL that ends a session as it
        // starts (pg_terminate_backend, a shutdown) is printed by libpq.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        if let failure = Connection.completeHandshake(conn) {
            PQfinish(conn)
            throw PGError(kind: .unavailable, sqlstate: nil, message: failure)
        }
        handle = conn
    }

    /// Drives libpq's non-blocking handshake to its end, as PQconnectdbParams
    /// would, within connect_timeout (PGCONNECT_TIMEOUT) when one is set.
    /// Returns why it failed, or nil once connected.
    private static func completeHandshake(_ conn: OpaquePointer) -> String? {
        let failed = { trimmedMessage(PQerrorMessage(conn)) }
        guard PQstatus(conn) != CONNECTION_BAD else { return failed() }
        let timeout = connectTimeoutSeconds(conn)
        let deadline = timeout > 0 ? monotonicSeconds() + Double(timeout) : nil
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK: return PQstatus(conn) == CONNECTION_OK ? nil : failed()
            case PGRES_POLLING_FAILED: return failed()
            default: break
            }
            var fds = [pollfd(fd: PQsocket(conn), events: Int16(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), revents: 0)]
            let wait = deadline.map { Int32(max(0, ($0 - monotonicSeconds()) * 1000)) } ?? -1
            let ready = poll(&fds, 1, wait)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { return "timeout expired after \(timeout) s (connect_timeout)" }
            state = PQconnectPoll(conn)
        }
    }

    private static func connectTimeoutSeconds(_ conn: OpaquePointer) -> Int {
        guard let options = PQconninfo(conn) else { return 0 }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val {
                return Int(String(cString: value)) ?? 0
            }
            option += 1
        }
        return 0
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    deinit { PQfinish(handle) }

    /// Runs one statement with text parameters ($1, $2, …); parameters are never
    /// spliced into the SQL text.
    @discardableResult
    public func execute(_ sql: String, _ params: [String?] = []) throws(PGError) -> QueryResult {
        try Connection.refuseNUL(sql, params)
        let raw = withCStringArray(params) { p in
            PQexecParams(handle, sql, Int32(params.count), nil, p, nil, nil, 0)
        }
        return try QueryResult.checked(raw, connection: self)
    }

    /// Runs `statements` as one transaction in a single round trip (libpq
    /// pipeline mode: BEGIN, the statements, COMMIT, sync), and reports success
    /// only when COMMIT's command tag reads COMMIT. Returns each statement's result.
    public func transaction(
        _ statements: [Statement], isolation: Isolation = .readCommitted
    ) throws(PGError) -> [QueryResult] {
        let results = try pipeline([Statement("BEGIN ISOLATION LEVEL \(isolation.rawValue)")] + statements + [Statement("COMMIT")])
        let commitTag = results.last?.commandTag
        guard commitTag == "COMMIT" else {
            throw PGError(
                kind: PQstatus(handle) == CONNECTION_OK ? .other : .unavailable, sqlstate: nil,
                message: "the server did not confirm COMMIT (it answered \(commitTag ?? "nothing"))")
        }
        return Array(results.dropFirst().dropLast())
    }

    /// Sends every statement, then one sync, and reads every answer: one round
    /// trip. Returns a result per statement, or throws the first error (the
    /// statements after it were skipped by the server). An explicit
    /// transaction the statements left open or aborted is rolled back.
    public func pipeline(_ statements: [Statement]) throws(PGError) -> [QueryResult] {
        for statement in statements { try Connection.refuseNUL(statement.sql, statement.params) }
        guard PQenterPipelineMode(handle) == 1 else { throw lastError() }
        defer {
            PQexitPipelineMode(handle)
            if PQtransactionStatus(handle) == PQTRANS_INERROR || PQtransactionStatus(handle) == PQTRANS_INTRANS {
                PQclear(PQexec(handle, "ROLLBACK"))
            }
        }
        var sent = 0
        var sendFailed = false
        for statement in statements {
            let ok = withCStringArray(statement.params) { p in
                PQsendQueryParams(handle, statement.sql, Int32(statement.params.count), nil, p, nil, nil, 0)
            }
            if ok != 1 { sendFailed = true; break }
            sent += 1
        }
        let synced = PQpipelineSync(handle) == 1
        if sendFailed || !synced {
            let error = lastError()
            drainPipeline()
            throw error
        }

        var results: [QueryResult] = []
        var firstError: PGError?
        for _ in 0..<sent {
            guard let raw = PQgetResult(handle) else { break }
            let result = QueryResult(owning: raw)
            // Each query in a pipeline is followed by a NULL that ends its results.
            while let extra = PQgetResult(handle) { PQclear(extra) }
            switch result.status {
            case PGRES_FATAL_ERROR:
                if firstError == nil { firstError = result.error() }
            case PGRES_PIPELINE_ABORTED:
                break
            default:
                results.append(result)
            }
        }
        drainPipeline()
        if var firstError {
            // libpq's own "server closed the connection" carries no SQLSTATE:
            // a connection that died is unavailable (69), not an internal error.
            if firstError.kind == .other, PQstatus(handle) != CONNECTION_OK {
                firstError = PGError(kind: .unavailable, sqlstate: firstError.sqlstate, message: firstError.message)
            }
            throw firstError
        }
        guard results.count == statements.count else { throw lastError() }
        return results
    }

    /// Reads results up to and including the pipeline's sync point.
    private func drainPipeline() {
        while true {
            guard let raw = PQgetResult(handle) else {
                if PQstatus(handle) != CONNECTION_OK { return }
                continue
            }
            let status = PQresultStatus(raw)
            PQclear(raw)
            if status == PGRES_PIPELINE_SYNC { return }
        }
    }

    func lastError() -> PGError {
        let message = Connection.trimmedMessage(PQerrorMessage(handle))
        let kind: PGError.Kind = PQstatus(handle) == CONNECTION_OK ? .other : .unavailable
        return PGError(kind: kind, sqlstate: nil, message: message)
    }

    /// libpq takes text as C strings, which end at the first NUL byte: a
    /// text holding one would reach the server cut short. It is refused
    /// whole (invalid_text, exit 65) before anything is sent.
    static func refuseNUL(_ sql: String, _ params: [String?]) throws(PGError) {
        guard sql.utf8.contains(0) || params.contains(where: { $0?.utf8.contains(0) ?? false }) else { return }
        throw PGError(kind: .refusal(.dataError), sqlstate: Reasons.registry["invalid_text"], message: "invalid_text",
                      detail: "a text for the database holds a NUL byte; nothing was sent")
    }

    /// The role the server authenticated: the identity every vote is cast as.
    public var sessionUser: String? {
        try? execute("SELECT session_user").value(0, 0)
    }

    static func trimmedMessage(_ cString: UnsafePointer<CChar>?) -> String {
        guard let cString else { return "unknown libpq error" }
        var text = String(cString: cString)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        if text.hasPrefix("ERROR:  ") { text.removeFirst(8) }
        // libpq's connection errors span lines; the last one says why. Lines
        // that start with a tab only continue a hint ("\tThis probably means…").
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("\t") }
        return lines.last.map(String.init) ?? text
    }
}

/// One statement of a transaction, with its text parameters.
public struct Statement: Sendable {
    public let sql: String
    public let params: [String?]
    public init(_ sql: String, _ params: [String?] = []) {
        self.sql = sql
        self.params = params
    }
}

public enum Isolation: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
    case readOnly = "REPEATABLE READ READ ONLY"
}

/// Calls `body` with a NULL-safe C array of C strings (nil stays NULL).
func withCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { for p in pointers { free(p) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { body($0) }
    }
}

func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withCStringArray(strings.map { Optional($0) }, body)
}
