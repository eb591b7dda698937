import AprKit
import XCTest

final class Base64Tests: XCTestCase {
    /// RFC 4648 §10.
    private let vectors: [(String, String)] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    func testRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded, plain)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8), encoded)
        }
    }

    func testEveryAlphabetCharacter() {
        let bytes: [UInt8] = [0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8B, 0x30, 0xD3, 0x8F,
                              0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9B, 0x71, 0xD7, 0x9F,
                              0x82, 0x18, 0xA3, 0x92, 0x59, 0xA7, 0xA2, 0x9A, 0xAB, 0xB2, 0xDB, 0xAF,
                              0xC3, 0x1C, 0xB3, 0xD3, 0x5D, 0xB7, 0xE3, 0x9E, 0xBB, 0xF3, 0xDF, 0xBF]
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        XCTAssertEqual(Base64.encode(bytes), alphabet)
        XCTAssertEqual(Base64.decode(alphabet), bytes)
    }

    func testRoundTripsRandomBytesOfEveryLengthUpTo300() {
        var rng = SplitMix64(seed: 4648)
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let encoded = Base64.encode(bytes)
            XCTAssertEqual(encoded.utf8.count, (length + 2) / 3 * 4, "length \(length)")
            XCTAssertEqual(Base64.decode(encoded), bytes, "length \(length)")
        }
    }

    func testRejectsCharactersOutsideTheAlphabet() {
        for text in ["Zm9v!mFy", "Zm9-", "Zm9_", "Zm9vYmF\u{e9}", "Zm\u{0}v", "Zm9v YmFy"] {
            XCTAssertNil(Base64.decode(text), text)
        }
    }

    func testRejectsEmbeddedAndTrailingNewlines() {
        XCTAssertNil(Base64.decode("Zm9v\nYmFy"))
        XCTAssertNil(Base64.decode("Zm9vYmFy\n"))
        XCTAssertNil(Base64.decode("Zm9v\r\nYmFy"))
    }

    func testRejectsBadPadding() {
        for text in [
            "Zg=", "Zg", "Zm8", // padding missing
            "Zg===", "Z===", "====", // too much padding
            "Zg==Zm8=", "Zm=v", "=Zm9", // padding not at the end
            "Zh==", "Zm9=", // nonzero bits under the padding (not canonical)
        ] {
            XCTAssertNil(Base64.decode(text), text)
        }
    }

    func testRejectsWrongLength() {
        for text in ["Z", "Zm", "Zm9", "Zm9vY", "Zm9vYmFyZ"] {
            XCTAssertNil(Base64.decode(text), text)
        }
    }

    func testEmptyStringDecodesToNoBytes() {
        XCTAssertEqual(Base64.decode(""), [])
    }
}

/// A small seeded generator, so a failing case can be reproduced.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
