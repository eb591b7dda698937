import AprKit
import XCTest

/// The envelope fields a tool declares: their types.
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
}
