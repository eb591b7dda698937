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
        try connection.jsonObjects(
            "SELECT apr_list($1::text[], $2, $3, $4, $5::timestamptz, $6::interval, $7::boolean, $8::integer)",
            filter.parameters, readOnly: true)
    }
}
