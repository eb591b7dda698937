/// Reads APRs for apr-list and apr-show, each in one read-only transaction
/// (the server refuses any write): the SQL is apr_list and apr_show
/// (reading.sql), so psql reads the same.
public struct Reading {
    /// How a reader prints: JSON lines for pipelines, text for a person.
    public enum Format: String, Sendable, CaseIterable {
        case json, text
    }

    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// The APRs under `filter`, newest first, as apr-propose prints them.
    public func list(_ filter: ListFilter) throws -> [JSONObject] {
        var aprs: [JSONObject] = []
        try list(filter) { aprs.append($0) }
        return aprs
    }

    /// The same, handed to `body` one at a time as they are fetched (a few
    /// hundred a round trip), so that a long list is printed as it comes and
    /// never held whole in memory.
    public func list(_ filter: ListFilter, batch: Int = 500, _ body: (JSONObject) throws -> Void) throws {
        try connection.withTransaction(isolation: .readOnly) { db in
            try db.execute(
                "DECLARE apr_list_rows NO SCROLL CURSOR FOR "
                    + "SELECT apr_list($1::text[], $2, $3, $4, $5::timestamptz, $6::interval, $7::boolean, $8::integer)",
                filter.parameters)
            while true {
                let rows = try db.execute("FETCH \(batch) FROM apr_list_rows")
                for row in 0..<rows.rowCount { try body(try JSONObject.fromDatabase(rows.value(row, 0))) }
                if rows.rowCount < batch { break }
            }
        }
    }
}
