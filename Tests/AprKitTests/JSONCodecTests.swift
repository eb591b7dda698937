import AprKit
import XCTest

final class JSONCodecTests: XCTestCase {
    func testSyntaxErrorsSayWhetherMoreInputCouldComplete() {
        XCTAssertThrowsError(try JSONValue.parse("{not json")) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.prematureEnd, false, "\(error)")
        }
        XCTAssertThrowsError(try JSONValue.parse("{\"a\": 1")) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.prematureEnd, true, "\(error)")
        }
    }

    func testRoundTripKeepsKeyOrderTypesAndUnicode() throws {
        let text = #"{"z":1,"a":[true,false,null,1.5,"é\u0001x"],"m":{"k":"v"}}"#
        let value = try JSONValue.parse(text)
        XCTAssertEqual(value.objectValue?.keys, ["z", "a", "m"])
        XCTAssertEqual(try JSONValue.parse(value.serialized()), value)
    }

    func testANulInAStringOrKeyIsRefusedNeverKept() {
        for text in [#"{"a":"x\u0000y"}"#, #"{"a\u0000":1}"#] {
            XCTAssertThrowsError(try JSONValue.parse(text)) { error in
                XCTAssertEqual((error as? JSONSyntaxError)?.kind, .nulByte, "\(text): \(error)")
            }
        }
    }

    func testARawNulByteIsRefusedWhereverItIs() {
        // jansson alone reads [5\0] as [5] and 5\0 as 5: the NUL after a number is lost.
        for bytes: [UInt8] in [[0x35, 0x00], Array("[5".utf8) + [0x00] + Array("]".utf8), Array("{\"a\":1}".utf8) + [0x00]] {
            XCTAssertThrowsError(try JSONValue.parse(bytes)) { error in
                XCTAssertEqual((error as? JSONSyntaxError)?.kind, .nulByte, "\(bytes): \(error)")
            }
        }
    }

    func testANumberBeyondWhatItsTypeHoldsIsOutOfRange() {
        for text in ["9223372036854775808", "-9223372036854775809", "1e400"] {
            XCTAssertThrowsError(try JSONValue.parse(text)) { error in
                XCTAssertEqual((error as? JSONSyntaxError)?.kind, .numberOutOfRange, "\(text): \(error)")
            }
        }
        XCTAssertEqual(try JSONValue.parse("9223372036854775807"), .integer(Int64.max))
        XCTAssertEqual(try JSONValue.parse("60.0"), .real(60))
    }

    func testDuplicateKeysAreRefused() {
        XCTAssertThrowsError(try JSONValue.parse(#"{"reason":"a","reason":"b"}"#))
    }
}
