/// Which APR a tool acts on: `--apr CODE`, or the `apr_code` of the record
/// on stdin (the output of the tool before it in a pipeline).
public enum AprReference {
    public static let schema = RecordSchema([.init("apr_code", .string, maxBytes: 64)], allowsOtherFields: true)

    public static func code(from record: JSONObject) throws(Refusal) -> String {
        // A refusal upstream in a pipeline is passed on, not mistaken for input.
        if record["ok"] == .bool(false) {
            let reason = record["reason"]?.stringValue ?? "unknown"
            throw Refusal("upstream_refused", "the input record is a refusal (\(reason)), not an APR",
                          details: ["upstream_reason": .string(reason)])
        }
        try schema.validate(record)
        return try checked(record["apr_code"]!.stringValue!)
    }

    public static func checked(_ code: String) throws(Refusal) -> String {
        let valid = code.hasPrefix("APR-") && code.utf8.count <= 64
            && code.utf8.dropFirst(4).allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && code.utf8.count > 4
        guard valid else { throw Refusal("invalid_apr_code", "\"\(code)\" is not an APR code (APR-NNNNNN)") }
        return code
    }
}
