import AprKit
import Foundation
import XCTest

/// How stdin is cut into records: each line is one record; the one
/// exception is a stdin that is, as a whole, one JSON value over several
/// lines. A bad line is its own refusal, never read on with a neighbour.
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

    // MARK: one line, one record

    func testEachLineIsOneRecord() throws {
        XCTAssertEqual(try records("{\"a\":1}\n{\"b\":2}\n{\"c\":3}"),
                       [#"ok {"a":1}"#, #"ok {"b":2}"#, #"ok {"c":3}"#])
    }

    func testABrokenLineIsRefusedAloneAndTheNextLineIsStillRead() throws {
        XCTAssertEqual(try records("{\"a\":1}\n{\"b\":\n{\"c\":3}\n"), [
            #"ok {"a":1}"#,
            "malformed_json: line 2: not valid JSON: the line ends inside a value",
            #"ok {"c":3}"#,
        ])
    }

    func testABrokenFirstLineDoesNotSwallowTheNext() throws {
        // The first line is a valid start cut short; what follows does not
        // complete it into one value, so each line is its own record.
        XCTAssertEqual(try reasons("{\"reason\":\"a\"\n{\"b\":2}\n"), ["malformed_json", "ok"])
    }

    func testLinesThatWouldJoinIntoOneRecordAreEachRefused() throws {
        let input = "{\"a\":1}\n{\"reason\":\n\"joined\"\n}\n"
        XCTAssertEqual(try reasons(input), ["ok", "malformed_json", "wrong_type", "malformed_json"])
        XCTAssertFalse(try records(input).contains { $0.contains("joined\"}") })
    }

    func testAnInvalidLineIsNumberedByItsLine() throws {
        XCTAssertEqual(try records("{\"a\":1}\n\n[1]\nnope\n"), [
            #"ok {"a":1}"#,
            "wrong_type: line 3: a JSON array, not an object",
            "malformed_json: line 4: not valid JSON: invalid token near 'nope' at column 4",
        ])
    }

    // MARK: the one value over several lines

    func testAPrettyPrintedObjectThatIsAllOfStdinIsOneRecord() throws {
        XCTAssertEqual(try records("{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}\n"), [#"ok {"a":1,"b":[2]}"#])
    }

    func testAPrettyPrintedObjectFollowedByAnotherRecordIsReadLineByLine() throws {
        XCTAssertEqual(try reasons("{\n  \"a\": 1\n}\n{\"b\":2}\n"), ["malformed_json", "malformed_json", "malformed_json", "ok"])
    }

    func testTwoPrettyPrintedObjectsAreNeverJoined() throws {
        XCTAssertEqual(try reasons("{\n\"a\": 1\n}\n{\n\"b\": 2\n}\n").filter { $0 == "ok" }, [])
    }

    func testAValueOverSeveralLinesIsNumberedByItsLines() throws {
        XCTAssertEqual(try records("\n[\n1\n]\n"), ["wrong_type: lines 2-4: a JSON array, not an object"])
    }

    func testAValueCutShortAtTheEndIsEachLineRefused() throws {
        XCTAssertEqual(try reasons("{\n\"a\": 1,\n"), ["malformed_json", "malformed_json"])
    }

    func testLinesAreHeldOnlyUpToTheRecordLimit() throws {
        // Over the limit, the held lines are read one by one: the good line
        // after them is not lost.
        let input = "{\n" + String(repeating: "\"k\": 1,\n", count: 20) + "}\n{\"b\":2}\n"
        let out = try records(Array(input.utf8), maxRecordBytes: 64)
        XCTAssertEqual(out.count, 23, "\(out)")
        XCTAssertEqual(out.last, #"ok {"b":2}"#)
        XCTAssertEqual(out.filter { $0.hasPrefix("ok") }.count, 1)
    }

    // MARK: blank lines, CRLF

    func testBlankLinesAreSkipped() throws {
        XCTAssertEqual(try reasons("\n  \n{\"a\":1}\n\t\n\n{\"b\":2}\n\n"), ["ok", "ok"])
        XCTAssertEqual(try reasons("\n \r\n"), [])
    }

    func testCrlfLineEndingsAreLineEndings() throws {
        XCTAssertEqual(try records("{\"a\":1}\r\n{\"b\":\r\n{\"c\":\"x\"}\r\n"), [
            #"ok {"a":1}"#, "malformed_json: line 2: not valid JSON: the line ends inside a value", #"ok {"c":"x"}"#,
        ])
        XCTAssertEqual(try records("{\r\n  \"a\": 1\r\n}\r\n"), [#"ok {"a":1}"#])
    }

    // MARK: NUL

    func testAStringHoldingAnEscapedNulIsInvalidText() throws {
        XCTAssertEqual(try records(#"{"reason":"ok\u0000evil"}"# + "\n{\"reason\":\"ok\"}\n"), [
            "invalid_text: line 1: a string or key holds a NUL byte", #"ok {"reason":"ok"}"#,
        ])
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

    func testAFirstLineOfNulsIsRefusedAloneAndTheNextLineIsStillRead() throws {
        // Neutralized, the NULs leave a blank line: that is no value cut short.
        XCTAssertEqual(try records([0, 0x20, 0, 0x0A] + Array("{\"a\":1}\n".utf8)),
                       ["invalid_text: line 1: a string or key holds a NUL byte", #"ok {"a":1}"#])
    }

    func testAnEscapedBackslashBeforeU0000IsNotANul() throws {
        XCTAssertEqual(try records(#"{"a":"\\u0000"}"#), [#"ok {"a":"\\u0000"}"#])
    }

    func testAPrettyPrintedObjectHoldingANulIsOneRefusal() throws {
        XCTAssertEqual(try records("{\n  \"reason\": \"ok\\u0000evil\",\n  \"b\": 1\n}\n"),
                       ["invalid_text: lines 1-4: a string or key holds a NUL byte"])
    }

    // MARK: numbers

    func testANumberBeyond64BitsIsRefusedNotRounded() throws {
        XCTAssertEqual(try reasons(#"{"ttl_seconds":9223372036854775808}"#), ["invalid_field"])
        XCTAssertEqual(try reasons(#"{"ttl_seconds":-9223372036854775809}"#), ["invalid_field"])
        XCTAssertEqual(try records(#"{"ttl_seconds":9223372036854775807}"#), [#"ok {"ttl_seconds":9223372036854775807}"#])
        XCTAssertEqual(try reasons(#"{"ttl_seconds":1e400}"#), ["invalid_field"])
    }

    // MARK: size

    func testARecordOfExactlyTheLimitIsReadAndOneByteMoreIsRefused() throws {
        let limit = 100
        func record(_ size: Int) -> String {
            let head = #"{"r":""#, tail = #""}"#
            return head + String(repeating: "x", count: size - head.count - tail.count) + tail
        }
        XCTAssertEqual(record(limit).utf8.count, limit)
        XCTAssertEqual(try records(record(limit) + "\n{}\n", maxRecordBytes: limit).map { $0.prefix(2) }, ["ok", "ok"])
        XCTAssertEqual(try records(record(limit) + "\r\n", maxRecordBytes: limit).map { $0.prefix(2) }, ["ok"],
                       "the CR of a CRLF is not part of the record")
        XCTAssertEqual(try records(record(limit + 1) + "\n{}\n", maxRecordBytes: limit),
                       ["input_too_large: line 1: a record over 100 bytes", "ok {}"])
        XCTAssertEqual(try records(record(limit + 1), maxRecordBytes: limit),
                       ["input_too_large: line 1: a record over 100 bytes"], "without a final newline too")
    }

    func testAnOversizedLineInTheMiddleIsCountedAsOneLine() throws {
        let big = "{\"r\":\"" + String(repeating: "x", count: 200_000) + "\"}"
        XCTAssertEqual(try records("{}\n" + big + "\n[1]\n", maxRecordBytes: 100_000), [
            "ok {}", "input_too_large: line 2: a record over 100000 bytes", "wrong_type: line 3: a JSON array, not an object",
        ])
    }
}
