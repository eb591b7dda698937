/// The fields a record may carry, their JSON types and size limits. Unknown
/// fields, missing ones, wrong types and oversized values are bad input (65).
public struct RecordSchema: Sendable {
    public enum FieldType: String, Sendable {
        case string, object, integer, boolean

        var article: String { self == .integer || self == .object ? "an" : "a" }
    }

    public struct Field: Sendable {
        public let name: String
        public let type: FieldType
        public let required: Bool
        public let maxBytes: Int?

        public init(_ name: String, _ type: FieldType, required: Bool = true, maxBytes: Int? = nil) {
            self.name = name
            self.type = type
            self.required = required
            self.maxBytes = maxBytes
        }
    }

    public let fields: [Field]
    /// Pass-through schemas accept fields they do not name (the APR JSON one
    /// tool prints carries more than the next one needs).
    public let allowsOtherFields: Bool

    public init(_ fields: [Field], allowsOtherFields: Bool = false) {
        self.fields = fields
        self.allowsOtherFields = allowsOtherFields
    }

    public func validate(_ record: JSONObject) throws(Refusal) {
        if !allowsOtherFields {
            for key in record.keys where !fields.contains(where: { $0.name == key }) {
                throw Refusal("unknown_field", "unknown field \"\(key)\"")
            }
        }
        for field in fields {
            guard let value = record[field.name], value != .null || field.required else {
                if field.required { throw Refusal("missing_field", "missing field \"\(field.name)\"") }
                continue
            }
            let matches: Bool
            switch (field.type, value) {
            case (.string, .string), (.object, .object), (.integer, .integer), (.boolean, .bool): matches = true
            default: matches = false
            }
            guard matches else {
                // An integer field takes an integer literal only: 60.0 and 1e3
                // are reals; a number beyond 64 bits never parses (see RecordReader).
                let given = if case .real(let d) = value { "a real number (\(d))" } else { "a \(value.typeName)" }
                throw Refusal("wrong_type", "field \"\(field.name)\" must be \(field.type.article) \(field.type.rawValue), not \(given)")
            }
            if let max = field.maxBytes, case .string(let s) = value, s.utf8.count > max {
                throw Refusal("field_too_long", "field \"\(field.name)\" is over \(max) bytes")
            }
        }
    }
}
