import CLibPQ
import Glibc

/// One libpq connection. Every tool opens exactly one, runs its operation in
/// as few round trips as it allows, and closes it.
public final class Connection {
    let handle: OpaquePointer
    /// The tool that opened the connection (its application name), which
    /// decides the group role a denied permission names.
    public let tool: String
    /// Whether errors whose cause is the database or the role are named as
    /// such (see `diagnosed`): a tool's connection does, except
    /// gov-migrate's, which installs the schema; the library's own callers
    /// (and tests of what psql meets) get the server's errors as they are.
    public var explainsErrors = false

    /// Connects with libpq's defaults and environment (`PGHOST`, `PGSERVICE`,
    /// `.pgpass`, …); `dbname`, when given, may be a database name or a full
    /// conninfo string or URI, as with psql's `-d`. libpq's own blocking
    /// connect runs the handshake, so a host list, connect_timeout (per
    /// host), target_session_attrs and sslmode behave exactly as in psql.
    public init(dbname: String? = nil, applicationName: String) throws(PGError) {
        var keys: [String] = ["fallback_application_name"]
        var values: [String] = [applicationName]
        if let dbname, !dbname.isEmpty {
            keys.append("dbname")
            values.append(dbname)
        }
        // What libpq prints on stderr while it connects is held back: server
        // notices are not the tool's output (stderr carries one line per
        // refusal), nor is the FATAL of a session ended as it started
        // (pg_terminate_backend, a shutdown), which the first query reports.
        // When the connect fails, it is passed on as libpq would have printed
        // it (e.g. that a password file with group or world access was ignored).
        var held: UnsafeMutablePointer<CChar>? = nil
        var heldCount = 0
        let sink = open_memstream(&held, &heldCount)
        let conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in aprkit_connectdb_params(k, v, sink) }
        }
        if let sink { fclose(sink) }
        defer { free(held) }
        guard let conn else {
            throw PGError(kind: .unavailable, sqlstate: nil, message: "out of memory allocating a connection")
        }
        // From here on libpq reads from the socket only inside a call.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        guard PQstatus(conn) == CONNECTION_OK else {
            if let held, heldCount > 0 { _ = write(2, held, heldCount) }
            let failure = Connection.connectFailure(conn)
            PQfinish(conn)
            throw failure
        }
        handle = conn
        tool = applicationName
    }

    /// Why a connection attempt failed, in libpq's words. A login the server
    /// refused (wrong or missing password, no such role, no pg_hba.conf entry)
    /// carries SQLSTATE class 28, as the server's own FATAL does, so that it
    /// is told apart from a server that could not be reached. libpq keeps
    /// no SQLSTATE of a failed connect, so the server's (English) words tell.
    static func connectFailure(_ conn: OpaquePointer) -> PGError {
        let message = trimmedMessage(PQerrorMessage(conn))
        let sqlstate: String?
        if PQconnectionNeedsPassword(conn) == 1 || message.contains("password authentication failed")
            || message.contains("no password supplied") {
            sqlstate = "28P01"  // invalid_password
        } else if message.contains("authentication failed") || message.contains("no pg_hba.conf entry")
            || message.contains("pg_hba.conf rejects") || message.contains("is not permitted to log in")
            || isMissingRole(message) {
            sqlstate = "28000"  // invalid_authorization_specification
        } else {
            sqlstate = nil
        }
        return PGError(kind: .unavailable, sqlstate: sqlstate, message: message)
    }

    /// `FATAL:  role "x" does not exist` (a database that does not exist
    /// is not a login failure).
    private static func isMissingRole(_ message: String) -> Bool {
        message.contains(#/FATAL:  role ".*" does not exist/#)
    }

    /// Every name the tools use resolves in pg_catalog (searched first when
    /// not listed) or in the schema aprkit installs, never in a schema a
    /// role made for itself ("$user") nor in a temp schema that shadows a
    /// table (pg_temp listed last): a planted look-alike cannot take a vote,
    /// a migration record or a readback. Every session the connection opens
    /// is pinned before its first statement: `execute` and `pipeline` send
    /// the SET in the same round trip as that statement, in the same
    /// transaction (so a statement never runs unless the SET did), and count
    /// the session pinned only once that transaction committed; until then
    /// each statement carries the SET again.
    static let pinSQL = "SET search_path = public, pg_temp"

    /// Whether the session's search_path is pinned and committed.
    var searchPathPinned = false

    /// Pins the session now, in a round trip of its own (for the paths that
    /// do not go through `execute` or `pipeline`).
    func pinSearchPathIfNeeded() throws(PGError) {
        guard !searchPathPinned else { return }
        try Connection.pinSearchPath(handle)
        searchPathPinned = PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    static func pinSearchPath(_ conn: OpaquePointer) throws(PGError) {
        let pinned = PQexec(conn, pinSQL)
        let pinnedOK = PQresultStatus(pinned) == PGRES_COMMAND_OK
        PQclear(pinned)
        guard pinnedOK else {
            throw PGError(kind: .unavailable, sqlstate: nil, message: Connection.trimmedMessage(PQerrorMessage(conn)))
        }
    }

    /// A command tag after which the pin sent with a statement may not
    /// hold: ROLLBACK (also ABORT, ROLLBACK TO SAVEPOINT, and a COMMIT the
    /// server answered ROLLBACK) or PREPARE TRANSACTION.
    static func undoesThePin(_ tag: String) -> Bool {
        tag == "ROLLBACK" || tag == "PREPARE TRANSACTION"
    }

    deinit { PQfinish(handle) }

    /// Runs one statement with text parameters ($1, $2, …); parameters are never
    /// spliced into the SQL text.
    @discardableResult
    public func execute(_ sql: String, _ params: [String?] = []) throws(PGError) -> QueryResult {
        try Connection.refuseNUL(sql, params)
        guard searchPathPinned else {
            do {
                return try sendPipeline([Statement(sql, params)], leavesTransactionOpen: true)[0]
            } catch {
                throw diagnosed(error)
            }
        }
        let raw = withCStringArray(params) { p in
            PQexecParams(handle, sql, Int32(params.count), nil, p, nil, nil, 0)
        }
        do {
            return try QueryResult.checked(raw, connection: self)
        } catch {
            throw diagnosed(error)
        }
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
        do {
            return try sendPipeline(statements)
        } catch {
            throw diagnosed(error)
        }
    }

    /// `leavesTransactionOpen`: a lone statement sent by `execute`, which
    /// may open a transaction (BEGIN) that later calls go on with.
    private func sendPipeline(_ statements: [Statement], leavesTransactionOpen: Bool = false) throws(PGError) -> [QueryResult] {
        for statement in statements { try Connection.refuseNUL(statement.sql, statement.params) }
        guard PQenterPipelineMode(handle) == 1 else { throw lastError() }
        defer {
            PQexitPipelineMode(handle)
            if !leavesTransactionOpen,
               PQtransactionStatus(handle) == PQTRANS_INERROR || PQtransactionStatus(handle) == PQTRANS_INTRANS {
                PQclear(PQexec(handle, "ROLLBACK"))
            }
        }
        // (In an aborted transaction only its ROLLBACK runs; a SET would fail.)
        let pinning = !searchPathPinned && PQtransactionStatus(handle) != PQTRANS_INERROR
        let sending = pinning ? [Statement(Connection.pinSQL)] + statements : statements
        var sent = 0
        var sendFailed = false
        for statement in sending {
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
        for index in 0..<sent {
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
                if !(pinning && index == 0) { results.append(result) }
            }
        }
        drainPipeline()
        // The SET holds from here on once its transaction committed: not
        // when the statements ended it with a ROLLBACK (which undid the SET
        // with everything else), nor when they prepared it.
        if pinning, firstError == nil, PQtransactionStatus(handle) == PQTRANS_IDLE,
           !results.contains(where: { Connection.undoesThePin($0.commandTag) }) {
            searchPathPinned = true
        }
        if var firstError {
            // libpq's own "server closed the connection" carries no SQLSTATE:
            // a connection that died is unavailable (69), not an internal error.
            if firstError.kind == .other, PQstatus(handle) != CONNECTION_OK {
                firstError = PGError(kind: .unavailable, sqlstate: firstError.sqlstate, message: firstError.message)
            }
            throw firstError
        }
        // Answers missing without an error: libpq dropped the rest of the
        // pipeline, as for a session the server is ending.
        guard results.count == statements.count else {
            throw PGError(kind: .unavailable, sqlstate: nil,
                          message: "the server ended the session before answering every statement (\(lastError().message))")
        }
        return results
    }

    /// Reads results up to and including the pipeline's sync point. A NULL
    /// ends each query's results; a second NULL in a row means libpq has
    /// nothing left queued (a session that sent its FATAL and is closing
    /// loses the rest of the pipeline before libpq has read the socket's
    /// end): there is no sync point to wait for.
    private func drainPipeline() {
        var nulls = 0
        while true {
            guard let raw = PQgetResult(handle) else {
                nulls += 1
                if PQstatus(handle) != CONNECTION_OK || nulls > 1 { return }
                continue
            }
            nulls = 0
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


    /// libpq's message as one line. Connection errors span lines: one
    /// `connection to server … failed: …` line per host tried, each maybe
    /// followed by tab-indented hint lines ("\tIs the server running…"),
    /// which are dropped. The last host's line says why the attempt failed in
    /// the end; a note libpq adds after it ("password retrieved from file …")
    /// is kept on the same line.
    static func trimmedMessage(_ cString: UnsafePointer<CChar>?) -> String {
        guard let cString else { return "unknown libpq error" }
        var text = String(cString: cString)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        if text.hasPrefix("ERROR:  ") { text.removeFirst(8) }
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("\t") }
        guard let last = lines.last else { return text }
        guard let attempt = lines.lastIndex(where: { $0.hasPrefix("connection to server ") }) else {
            return String(last)
        }
        return lines[attempt...].joined(separator: "; ")
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
