import AprKit
import Foundation
import XCTest

/// How stdin is cut into records, and what a record may not hold.
final class RecordReaderTests: XCTestCase {
    /// Each record read from `input`: "ok {json}", or "reason: message".
    func records(_ input: [UInt8], maxRecordBytes: Int = RecordReader.defaultMaxRecordBytes) throws -> [String] {
        let path = NSTemporaryDirectory() + "record-reader-\(getpid())-\(UUID().uuidString)"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(input)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var reader = RecordReader(fd: fd, maxRecordBytes: maxRecordBytes)
        var out: [String] = []
        while let item = reader.next() {
            switch item {
            case .record(let object): out.append("ok \(object.serialized())")
            case .invalid(let refusal): out.append("\(refusal.reason): \(refusal.message)")
            }
        }
        return out
    }

    func records(_ input: String, maxRecordBytes: Int = RecordReader.defaultMaxRecordBytes) throws -> [String] {
        try records(Array(input.utf8), maxRecordBytes: maxRecordBytes)
    }

    func reasons(_ input: String) throws -> [String] {
        try records(input).map { String($0.prefix { $0 != " " && $0 != ":" }) }
    }

    // MARK: NUL

    func testAStringHoldingAnEscapedNulIsInvalidText() throws {
        XCTAssertEqual(try reasons(#"{"reason":"ok\u0000evil"}"# + "\n{\"reason\":\"ok\"}\n"), ["invalid_text", "ok"])
    }

    func testANestedStringHoldingANulIsInvalidText() throws {
        XCTAssertEqual(try reasons(#"{"a":{"b":["x","y\u0000"]}}"#), ["invalid_text"])
    }

    func testAKeyHoldingANulIsInvalidText() throws {
        XCTAssertEqual(try reasons(#"{"rea\u0000son":"ok"}"#), ["invalid_text"])
    }

    func testARawNulByteIsInvalidText() throws {
        XCTAssertEqual(try records(Array("{\"reason\":\"ok".utf8) + [0] + Array("evil\"}\n{}".utf8)).map { $0.prefix(12) },
                       ["invalid_text", "ok {}"])
    }

    func testAnEscapedBackslashBeforeU0000IsNotANul() throws {
        XCTAssertEqual(try records(#"{"a":"\\u0000"}"#), [#"ok {"a":"\\u0000"}"#])
    }
}
