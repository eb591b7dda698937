import AprKit
import Foundation
import XCTest

/// SHA-256 as libcrypto computes it, checked against published vectors and
/// against coreutils' sha256sum, the tool an operator checks a hash with.
final class SHA256Tests: XCTestCase {
    private func hex(_ text: String) -> String {
        SHA256.hexDigest(Array(text.utf8))
    }

    // FIPS 180-4 / NIST CSRC example vectors.

    func testEmptyMessage() {
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testAbc() {
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func test448BitMessage() {
        XCTAssertEqual(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
    }

    func testOneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(
            SHA256.hexDigest(message),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    func testHashReturns32BytesAndHexPrintsThem() {
        let digest = SHA256.hash(Array("abc".utf8))
        XCTAssertEqual(digest.count, 32)
        XCTAssertEqual(digest.prefix(4), [0xba, 0x78, 0x16, 0xbf])
        XCTAssertEqual(Hex.encode(digest), hex("abc"))
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa0, 0xff]), "000fa0ff")
        XCTAssertEqual(Hex.encode([]), "")
    }

    /// A lazy sequence is fed through in blocks; more than one block here.
    func testNonContiguousSequenceMatchesArray() {
        let bytes = (0..<10_000).lazy.map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertEqual(SHA256.hash(bytes), SHA256.hash(Array(bytes)))
    }

    /// Lengths around SHA-256's 64-byte block and padding boundaries.
    func testLengthsAroundBlockBoundariesMatchSha256sum() throws {
        for length in [1, 55, 56, 63, 64, 65, 119, 120, 128] {
            let bytes = pattern(length)
            XCTAssertEqual(SHA256.hexDigest(bytes), try sha256sum(bytes), "length \(length)")
        }
    }

    /// A file larger than several 64 KiB read chunks, with a ragged tail.
    func testFileReadInChunksMatchesSha256sum() throws {
        let bytes = pattern(3 * 65_536 + 12_345)
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        let expected = try sha256sumOutput(path)
        XCTAssertEqual(try SHA256.hexDigest(fileAt: path), expected)
        XCTAssertEqual(SHA256.hexDigest(bytes), expected)
    }

    func testEmptyFileDigest() throws {
        let path = try temporaryFile([])
        defer { unlink(path) }
        XCTAssertEqual(try SHA256.hexDigest(fileAt: path), hex(""))
    }

    func testMissingFileThrowsENOENT() {
        let path = "/nonexistent-\(getpid())/file"
        XCTAssertThrowsError(try SHA256.hexDigest(fileAt: path)) { error in
            XCTAssertEqual(error as? FileReadError, FileReadError(path: path, errno: ENOENT))
        }
    }

    /// A directory opens but cannot be read: the read error, not a digest.
    func testDirectoryThrowsEISDIR() {
        XCTAssertThrowsError(try SHA256.hexDigest(fileAt: "/")) { error in
            XCTAssertEqual(error as? FileReadError, FileReadError(path: "/", errno: EISDIR))
        }
    }

    func testFileWithoutReadPermissionThrowsEACCES() throws {
        try XCTSkipIf(geteuid() == 0, "root reads a file whatever its mode")
        let path = try temporaryFile(Array("secret".utf8))
        defer { unlink(path) }
        XCTAssertEqual(chmod(path, 0o000), 0)
        XCTAssertThrowsError(try SHA256.hexDigest(fileAt: path)) { error in
            XCTAssertEqual(error as? FileReadError, FileReadError(path: path, errno: EACCES))
        }
    }

    // MARK: helpers

    /// `count` bytes that are not all alike, the same on every run.
    private func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 167) ^ ($0 >> 8)) }
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        var template = Array("\(NSTemporaryDirectory())/sha256-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw FileReadError(path: "mkstemp", errno: errno) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        XCTAssertEqual(written, bytes.count)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What coreutils' sha256sum says about `bytes`, written to a temporary file.
    private func sha256sum(_ bytes: [UInt8]) throws -> String {
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        return try sha256sumOutput(path)
    }

    private func sha256sumOutput(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let line = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(line.hasSuffix("  \(path)\n"), line)
        return String(line.prefix(64))
    }
}

final class HexTests: XCTestCase {
    func testDecodesWhatItEncodes() {
        let bytes: [UInt8] = Array(0...255)
        XCTAssertEqual(Hex.decode(Hex.encode(bytes)), bytes)
        XCTAssertEqual(Hex.decode("00FFab"), [0x00, 0xff, 0xab])
        XCTAssertEqual(Hex.decode(""), [])
    }

    func testRefusesAnythingButPairsOfHexDigits() {
        for text in ["0", "0g", "zz", "00 ", "0x00", "é0"] { XCTAssertNil(Hex.decode(text), text) }
    }
}
