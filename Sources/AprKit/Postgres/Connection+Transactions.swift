import CLibPQ
import Glibc

extension Connection {
    /// Runs a script of several statements (simple query protocol), as a
    /// migration needs; there are no parameters, so nothing is spliced in.
    @discardableResult
    public func executeScript(_ sql: String) throws(PGError) -> QueryResult {
        try Connection.refuseNUL(sql, [])
        try pinSearchPathIfNeeded()
        return try QueryResult.checked(PQexec(handle, sql), connection: self)
    }

    /// Where the session stands, as the server last reported it.
    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inError
        default: return .unknown
        }
    }

    /// Runs a script as `executeScript` does, and reports what the server
    /// did with it: the command tag of each statement that completed, in
    /// order, and the error that stopped it, if one did (the statements after
    /// it did not run). A `COPY … FROM STDIN` is given no data: it fails.
    public func runScript(_ sql: String) -> ScriptRun {
        do { try pinSearchPathIfNeeded() } catch { return ScriptRun(commandTags: [], error: error) }
        guard PQsendQuery(handle, sql) == 1 else { return ScriptRun(commandTags: [], error: lastError()) }
        var tags: [String] = []
        var failure: PGError?
        while let raw = PQgetResult(handle) {
            let result = QueryResult(owning: raw)
            switch result.status {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                tags.append(result.commandTag)
            case PGRES_EMPTY_QUERY:
                break
            case PGRES_COPY_IN:
                _ = PQputCopyEnd(handle, "no data is given to COPY FROM STDIN")
            case PGRES_COPY_OUT:
                var buffer: UnsafeMutablePointer<CChar>?
                while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
            default:
                if failure == nil { failure = result.error() }
            }
        }
        if let error = failure, error.kind == .other, PQstatus(handle) != CONNECTION_OK {
            failure = PGError(kind: .unavailable, sqlstate: error.sqlstate, message: error.message)
        }
        return ScriptRun(commandTags: tags, error: failure)
    }

    /// Runs `body` between BEGIN and COMMIT on this connection, rolling back if
    /// it throws; succeeds only when the server answers COMMIT with COMMIT.
    public func withTransaction<T>(
        isolation: Isolation = .readCommitted, _ body: (Connection) throws -> T
    ) throws -> T {
        try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body(self)
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
        let tag = try execute("COMMIT").commandTag
        guard tag == "COMMIT" else {
            throw PGError(kind: .other, sqlstate: nil,
                          message: "the server did not confirm COMMIT (it answered \(tag))")
        }
        return value
    }

    /// Retries `body` on serialization failures and deadlocks only, at most
    /// `attempts` times with jittered back-off; every other error is final.
    public func retrying<T>(attempts: Int = 5, _ body: () throws(PGError) -> T) throws(PGError) -> T {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch where error.kind == .retryable && attempt < attempts {
                let base = UInt32(1_000 << min(attempt, 6))  // 2 ms … 64 ms
                usleep(base + UInt32.random(in: 0..<base))
                attempt += 1
            }
        }
    }
}

/// A session's transaction status (libpq's PQtransactionStatus).
public enum TransactionStatus: Sendable, Equatable {
    /// Outside any transaction block.
    case idle
    /// A command is running.
    case active
    /// Inside a transaction block.
    case inTransaction
    /// Inside a failed transaction block: only its end is accepted.
    case inError
    /// The connection is bad.
    case unknown
}

/// What the server did with a script, statement by statement.
public struct ScriptRun {
    /// The command tag of each statement that completed, in order
    /// ("CREATE TABLE", "UPDATE 1", "COMMIT").
    public let commandTags: [String]
    /// The error that stopped the script, or nil when every statement ran.
    public let error: PGError?
}
