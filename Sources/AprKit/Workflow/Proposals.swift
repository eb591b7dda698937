/// Creates APRs. The database validates the proposal against the action type
/// (apr_propose), so a proposer with psql meets the same checks as the tool.
public struct Proposals {
    /// The envelope of a proposal on stdin; `proposed_action` is checked
    /// against the action's declared fields by the database.
    public static let schema = RecordSchema([
        .init("request_type", .string, maxBytes: 64),
        .init("action_code", .string, maxBytes: 64),
        .init("proposed_action", .object),
        .init("session_code", .string, maxBytes: 128),
        .init("reason", .string, maxBytes: 4096),
    ])

    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Creates the APR described by `record` in its own transaction, or with
    /// `dryRun` returns the APR it would create and writes nothing.
    public func propose(_ record: JSONObject, dryRun: Bool) throws -> Outcome {
        try Proposals.call(record, dryRun: dryRun).run(on: connection)
    }

    /// The call that creates the APR `record` describes (with `dryRun`, that
    /// shows it and writes nothing), once the record is checked; a record
    /// of a stream runs it as its own transaction.
    public static func call(_ record: JSONObject, dryRun: Bool) throws -> DatabaseCall {
        try schema.validate(record)
        let statement = Statement(
            "SELECT apr_propose($1, $2, $3::jsonb, $4, $5, $6)",
            [record["request_type"]?.stringValue, record["action_code"]?.stringValue,
             record["proposed_action"]?.serialized(), record["session_code"]?.stringValue,
             record["reason"]?.stringValue, dryRun ? "true" : "false"])
        return DatabaseCall(statement, writes: !dryRun) { text in .done(try JSONObject.fromDatabase(text)) }
    }
}

extension JSONObject {
    /// Parses a jsonb value the database returned.
    static func fromDatabase(_ text: String?) throws -> JSONObject {
        guard let text, case .object(let object) = try JSONValue.parse(text) else {
            throw Refusal("internal_error", "the database returned no JSON object")
        }
        return object
    }
}
