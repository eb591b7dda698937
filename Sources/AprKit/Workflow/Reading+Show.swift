/// apr-show: one APR's whole story, in one read-only statement.
extension Reading {
    /// One APR's whole story (see apr_show), or unknown_apr.
    public func show(_ aprCode: String) throws -> Outcome {
        let text = try connection.retrying { () throws(PGError) in
            try connection.transaction([Statement("SELECT apr_show($1)", [aprCode])], isolation: .readOnly)[0].value(0, 0)
        }
        guard text != nil else { throw Refusal("unknown_apr", "no APR \(aprCode)", details: ["apr_code": .string(aprCode)]) }
        return .done(try JSONObject.fromDatabase(text))
    }
}
