import CLibPQ

/// A server result, cleared when the last reference goes.
public final class QueryResult {
    let raw: OpaquePointer

    init(owning raw: OpaquePointer) { self.raw = raw }
    deinit { PQclear(raw) }

    /// Wraps what `PQexecParams` returned, throwing the server's error if any.
    static func checked(_ raw: OpaquePointer?, connection: Connection) throws(PGError) -> QueryResult {
        guard let raw else { throw connection.lastError() }
        let result = QueryResult(owning: raw)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE: return result
        default:
            var error = result.error()
            if error.kind == .other, PQstatus(connection.handle) != CONNECTION_OK {
                error = PGError(kind: .unavailable, sqlstate: error.sqlstate, message: error.message)
            }
            throw error
        }
    }

    var status: ExecStatusType { PQresultStatus(raw) }

    public var rowCount: Int { Int(PQntuples(raw)) }
    public var columnCount: Int { Int(PQnfields(raw)) }

    /// The command tag's verb, e.g. "COMMIT", "UPDATE 1" → "UPDATE 1".
    public var commandTag: String { String(cString: PQcmdStatus(raw)) }

    /// The text value at (row, column), nil for SQL NULL.
    public func value(_ row: Int, _ column: Int) -> String? {
        guard row < rowCount, column < columnCount, PQgetisnull(raw, Int32(row), Int32(column)) == 0 else {
            return nil
        }
        return String(cString: PQgetvalue(raw, Int32(row), Int32(column)))
    }

    func error() -> PGError {
        func field(_ code: Character) -> String? {
            guard let p = PQresultErrorField(raw, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let message = field("M") ?? Connection.trimmedMessage(PQresultErrorMessage(raw))
        return PGError.classify(sqlstate: field("C"), message: message, detail: field("D"))
    }
}
