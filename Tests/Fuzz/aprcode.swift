// Fuzz target: the APR code check (AprReference.checked, code(from:)).
//
// Properties: a code is accepted exactly when it is `APR-` and one or more
// ASCII digits, 64 bytes at most, and is returned as given; an accepted code
// read from a record (`{"apr_code": …}`, as the tools print it) is the same
// code; and every code the schema numbers (`APR-` and the number, at least
// six digits, zero-padded) is accepted and reads back as its number.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAprCode(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let code = String(decoding: bytes, as: UTF8.self)
    let utf8 = Array(code.utf8)
    let wellFormed = utf8.count > 4 && utf8.count <= 64 && utf8.starts(with: Array("APR-".utf8))
        && utf8.dropFirst(4).allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    let accepted = try? AprReference.checked(code)
    require((accepted != nil) == wellFormed, "\(shown(code)) accepted: \(accepted != nil)")
    if let accepted { require(accepted == code, "returned as given") }

    let record: JSONObject = ["apr_code": .string(code), "ok": true]
    if let read = try? JSONValue.parse(record.serialized()).objectValue {
        let fromRecord = try? AprReference.code(from: read)
        require(fromRecord == accepted, "\(shown(code)) from a record: \(shown(fromRecord))")
    }

    // A number the schema may give (the first bytes, as an unsigned integer).
    var number: UInt64 = 0
    for byte in bytes.prefix(8) { number = number << 8 | UInt64(byte) }
    number %= 1_000_000_000_000
    let digits = String(number)
    let formatted = "APR-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    require((try? AprReference.checked(formatted)) == formatted, "\(formatted) accepted")
    require(UInt64(formatted.dropFirst(4)) == number, "\(formatted) reads back as \(number)")
    return 0
}
