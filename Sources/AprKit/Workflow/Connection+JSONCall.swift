extension Connection {
    /// Calls one function that answers one jsonb object. A read-only call runs
    /// in a READ ONLY transaction, so the server itself refuses any write (what
    /// every dry run relies on); any other runs in its own transaction,
    /// reported only once COMMIT is confirmed, and retried on serialization
    /// failures and deadlocks only.
    func jsonObject(_ sql: String, _ params: [String?], readOnly: Bool) throws -> JSONObject {
        let statement = Statement(sql, params)
        let text = try retrying { () throws(PGError) in
            try transaction([statement], isolation: readOnly ? .readOnly : .readCommitted)[0].value(0, 0)
        }
        return try JSONObject.fromDatabase(text)
    }

    /// The rows of a function that answers a set of jsonb objects, in one
    /// transaction as `jsonObject` does.
    func jsonObjects(_ sql: String, _ params: [String?], readOnly: Bool) throws -> [JSONObject] {
        let statement = Statement(sql, params)
        let result = try retrying { () throws(PGError) in
            try transaction([statement], isolation: readOnly ? .readOnly : .readCommitted)[0]
        }
        return try (0..<result.rowCount).map { try JSONObject.fromDatabase(result.value($0, 0)) }
    }
}
