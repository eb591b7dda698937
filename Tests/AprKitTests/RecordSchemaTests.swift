import AprKit
import XCTest

/// The envelope fields a tool declares: types and byte limits.
final class RecordSchemaTests: XCTestCase {
    let schema = RecordSchema([.init("n", .integer), .init("s", .string, maxBytes: 8)])

    func reason(_ record: JSONObject) -> String? {
        do {
            try schema.validate(record)
            return nil
        } catch {
            return error.reason
        }
    }

    func testAnIntegerFieldTakesAnIntegerOnly() {
        XCTAssertNil(reason(["n": .integer(60), "s": "x"]))
        XCTAssertNil(reason(["n": .integer(Int64.max), "s": "x"]))
        XCTAssertNil(reason(["n": .integer(Int64.min), "s": "x"]))
        XCTAssertEqual(reason(["n": .real(60.0), "s": "x"]), "wrong_type", "60.0 is a real")
        XCTAssertEqual(reason(["n": .real(1e300), "s": "x"]), "wrong_type")
        XCTAssertEqual(reason(["n": .real(-1e300), "s": "x"]), "wrong_type")
        XCTAssertEqual(reason(["n": .real(9223372036854775808.0), "s": "x"]), "wrong_type")
        XCTAssertEqual(reason(["n": "60", "s": "x"]), "wrong_type")
    }

    func testAStringOfExactlyItsLimitIsAcceptedAndOneByteMoreIsRefused() {
        XCTAssertNil(reason(["n": 1, "s": "12345678"]))
        XCTAssertEqual(reason(["n": 1, "s": "123456789"]), "field_too_long")
        XCTAssertNil(reason(["n": 1, "s": "éééé"]), "4 characters, 8 bytes")
        XCTAssertEqual(reason(["n": 1, "s": "éééé1"]), "field_too_long", "5 characters, 9 bytes")
    }
}
