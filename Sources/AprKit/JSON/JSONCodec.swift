import CJansson
import Glibc

/// Why a text is not the JSON we accept.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A valid start cut short: more input may complete it.
        case prematureEnd
        /// A NUL byte in a string or a key (`\u0000`): refused, never cut short.
        case nulByte
        /// A number beyond what a 64-bit integer or a double holds.
        case numberOutOfRange
        /// Anything else: not JSON.
        case invalid
    }

    public let kind: Kind
    public let message: String
    public let line: Int
    public let column: Int

    /// True when the text was a valid start cut short: more input may complete it.
    public var prematureEnd: Bool { kind == .prematureEnd }
}

extension JSONValue {
    /// Parses one JSON document. Duplicate keys are refused: a proposal whose
    /// `reason` appears twice is ambiguous, not a choice to make silently. So
    /// is a NUL in a string or a key: a parsed string never holds one. A raw
    /// NUL byte anywhere is refused too: jansson skips one that follows a
    /// number (`[5\0]` would read as `[5]`).
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        if let nul = bytes.firstIndex(of: 0) {
            let lineStart = bytes[..<nul].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            throw JSONSyntaxError(kind: .nulByte, message: "NUL byte in the input",
                                  line: 1 + bytes[..<nul].count { $0 == 0x0A }, column: nul - lineStart + 1)
        }
        var error = json_error_t()
        let flags = aprkit_json_load_flags()
        let root: UnsafeMutablePointer<json_t>? = bytes.withUnsafeBytes { raw in
            // An empty array may have no base address; jansson wants a pointer.
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer<CChar>(bitPattern: 1)!
            return json_loadb(base, raw.count, flags, &error)
        }
        guard let root else {
            let text = withUnsafeBytes(of: &error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let kind: JSONSyntaxError.Kind
            switch Int(aprkit_json_error_code(&error)) {
            case APRKIT_JSON_ERROR_PREMATURE_END: kind = .prematureEnd
            case APRKIT_JSON_ERROR_NULL_CHARACTER, APRKIT_JSON_ERROR_NULL_BYTE_IN_KEY: kind = .nulByte
            case APRKIT_JSON_ERROR_NUMERIC_OVERFLOW: kind = .numberOutOfRange
            default: kind = .invalid
            }
            throw JSONSyntaxError(kind: kind, message: text, line: Int(error.line), column: Int(error.column))
        }
        defer { aprkit_json_decref(root) }
        return JSONValue(jansson: root)
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private init(jansson node: UnsafeMutablePointer<json_t>) {
        switch Int(aprkit_json_typeof(node)) {
        case APRKIT_JSON_OBJECT:
            var object = JSONObject()
            var iter = json_object_iter(node)
            while let it = iter {
                let key = String(cString: json_object_iter_key(it))
                object[key] = JSONValue(jansson: json_object_iter_value(it))
                iter = json_object_iter_next(node, it)
            }
            self = .object(object)
        case APRKIT_JSON_ARRAY:
            self = .array((0..<json_array_size(node)).map { JSONValue(jansson: json_array_get(node, $0)) })
        case APRKIT_JSON_STRING:
            let length = json_string_length(node)
            let chars = json_string_value(node)!
            self = .string(chars.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            })
        case APRKIT_JSON_INTEGER:
            self = .integer(Int64(json_integer_value(node)))
        case APRKIT_JSON_REAL:
            self = .real(json_real_value(node))
        case APRKIT_JSON_TRUE:
            self = .bool(true)
        case APRKIT_JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// The compact one-line form: what every tool prints, one object a line.
    public func serialized() -> String {
        let node = makeJansson()
        defer { aprkit_json_decref(node) }
        let flags = aprkit_json_dump_flags()
        guard let text = json_dumps(node, flags) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }

    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null: return json_null()
        case .bool(let b): return b ? json_true() : json_false()
        case .integer(let i): return json_integer(json_int_t(i))
        case .real(let d): return json_real(d)
        case .string(let s):
            // Swift strings are valid UTF-8 and may hold NUL, so pass the length.
            let bytes = Array(s.utf8) + [0]
            return bytes.withUnsafeBufferPointer { buf in
                buf.withMemoryRebound(to: CChar.self) { json_stringn_nocheck($0.baseAddress!, buf.count - 1) }
            }
        case .array(let items):
            let a = json_array()!
            for item in items { _ = aprkit_json_array_append_new(a, item.makeJansson()) }
            return a
        case .object(let object):
            let o = json_object()!
            for (k, v) in object.entries { _ = aprkit_json_object_set_new(o, k, v.makeJansson()) }
            return o
        }
    }
}

extension JSONObject {
    public func serialized() -> String { JSONValue.object(self).serialized() }
}
