import CLibPQ
import Glibc

extension Connection {
    /// Runs a script of several statements (simple query protocol), as a
    /// migration needs; there are no parameters, so nothing is spliced in.
    @discardableResult
    public func executeScript(_ sql: String) throws(PGError) -> QueryResult {
        try Connection.refuseNUL(sql, [])
        return try QueryResult.checked(PQexec(handle, sql), connection: self)
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
