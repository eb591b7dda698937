// Fuzz target: JSON decoding (JSONValue.parse), encoding (serialized) and
// the record checks on what decodes (RecordSchema, AprReference).
//
// Properties:
// - a document that parses re-encodes to text that parses back equal, and
//   encoding that again gives the same text (the one-line form is stable);
// - no parsed string or key holds a NUL;
// - the reader's NUL stand-in (RecordReader.neutralizeNUL) leaves a
//   document that parses untouched, finds the NUL of every document refused
//   for one, and leaves none for the parser to find;
// - an object a schema accepts has each named field of its type and size.
@testable import AprKit

private let schema = RecordSchema([
    .init("apr_code", .string, maxBytes: 64),
    .init("reason", .string, required: false, maxBytes: 16),
    .init("payload", .object, required: false),
    .init("ttl", .integer, required: false),
    .init("dry_run", .boolean, required: false),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    var neutralized = bytes
    let heldNUL = RecordReader.neutralizeNUL(&neutralized)
    require(neutralized.count == bytes.count && !neutralized.contains(0), "the stand-in keeps the length, no NUL left")
    require(heldNUL || neutralized == bytes, "nothing changed when no NUL was found")

    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes)
    } catch {
        if error.kind == .nulByte { require(heldNUL, "a NUL the stand-in missed: \(error.message)") }
        if heldNUL, case .failure(let after) = Result(catching: { () throws(JSONSyntaxError) in try JSONValue.parse(neutralized) }) {
            require(after.kind != .nulByte, "a NUL left after the stand-in: \(after.message)")
        }
        return 0
    }
    require(!heldNUL, "a document that parses holds no NUL")
    require(!holdsNUL(value), "no parsed string or key holds a NUL")

    let text = value.serialized()
    require(!text.utf8.contains(0x0A), "the encoding is one line")
    let again: JSONValue
    do { again = try JSONValue.parse(text) } catch {
        require(false, "the encoding \(shown(text)) does not parse: \(error.message)")
        return 0
    }
    require(again == value, "re-read \(shown(again)) differs from \(shown(value))")
    require(again.serialized() == text, "the encoding is not stable: \(shown(text))")

    if case .object(let object) = value {
        if (try? schema.validate(object)) != nil {
            for field in schema.fields {
                guard let v = object[field.name], v != .null else {
                    require(!field.required, "required field \(field.name) missing")
                    continue
                }
                switch (field.type, v) {
                case (.string, .string(let s)): require(s.utf8.count <= field.maxBytes ?? .max, "\(field.name) within its size")
                case (.object, .object), (.integer, .integer), (.boolean, .bool): break
                default: require(false, "\(field.name) accepted as \(v.typeName)")
                }
            }
            require(object.keys.allSatisfy { key in schema.fields.contains { $0.name == key } }, "no unknown field accepted")
        }
        if let code = try? AprReference.code(from: object) {
            require(object["apr_code"] == .string(code), "the APR code is the record's")
        }
    }
    return 0
}

private func holdsNUL(_ value: JSONValue) -> Bool {
    switch value {
    case .string(let s): return s.utf8.contains(0)
    case .array(let items): return items.contains(where: holdsNUL)
    case .object(let o): return o.entries.contains { $0.key.utf8.contains(0) || holdsNUL($0.value) }
    default: return false
    }
}
