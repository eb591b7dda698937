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

    /// The payload hash an APR record carries (apr-propose, apr-list and
    /// apr-quorum print it): the hash the reader saw, which a vote, a mint
    /// or a dispatch holds against the APR's. nil when the record has none.
    public static func payloadSHA256(in record: JSONObject) throws(Refusal) -> String? {
        guard let value = record["payload_sha256"], value != .null else { return nil }
        guard let hash = value.stringValue else {
            throw Refusal("wrong_type", "field \"payload_sha256\" must be a string, not a \(value.typeName)")
        }
        return try checkedSHA256(hash, "field \"payload_sha256\"")
    }

    /// A sha256 as 64 lowercase hex digits, or bad input (invalid_field).
    public static func checkedSHA256(_ hash: String, _ what: String) throws(Refusal) -> String {
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw Refusal("invalid_field", "\(what) is not a sha256 (64 lowercase hex digits)")
        }
        return hash
    }
}
