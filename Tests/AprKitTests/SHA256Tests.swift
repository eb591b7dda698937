import AprKit
import Foundation
import XCTest

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

    func test896BitMessage() {
        let message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
            + "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(hex(message), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(
            SHA256.hexDigest(message),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    func testHashReturns32Bytes() {
        let digest = SHA256.hash(Array("abc".utf8))
        XCTAssertEqual(digest.count, 32)
        XCTAssertEqual(SHA256.hex(digest), hex("abc"))
    }

    func testNonContiguousSequenceMatchesArray() {
        let bytes = (0..<10_000).lazy.map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertEqual(SHA256.hash(bytes), SHA256.hash(Array(bytes)))
    }

    /// Lengths around the padding boundaries (55, 56, 63, 64 bytes, …) against sha256sum.
    func testPaddingBoundariesMatchSha256sum() throws {
        var rng = SplitMix64(seed: 1)
        for length in [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129] {
            let bytes = rng.bytes(length)
            XCTAssertEqual(SHA256.hexDigest(bytes), try sha256sum(bytes), "length \(length)")
        }
    }

    func testIncrementalMatchesOneShotOnRandomChunkings() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let bytes = rng.bytes(Int(rng.next() % 1000))
            let expected = SHA256.hash(bytes)
            var hasher = SHA256Hasher()
            var offset = 0
            while offset < bytes.count {
                let size = min(Int(rng.next() % 130), bytes.count - offset)
                let chunk = Array(bytes[offset..<offset + size])
                if rng.next() % 2 == 0 {
                    hasher.update(chunk)
                } else {
                    chunk.withUnsafeBytes { hasher.update($0) }
                }
                offset += size
            }
            XCTAssertEqual(hasher.finalize(), expected, "length \(bytes.count)")
        }
    }

    func testFinalizeResetsTheHasher() {
        var hasher = SHA256Hasher()
        hasher.update(Array("abc".utf8))
        _ = hasher.finalize()
        XCTAssertEqual(SHA256.hex(hasher.finalize()), hex(""))
        hasher.update(Array("abc".utf8))
        XCTAssertEqual(SHA256.hex(hasher.finalize()), hex("abc"))
    }

    /// A file larger than the 64 KiB read chunk, with a ragged tail.
    func testFileDigestMatchesSha256sum() throws {
        var rng = SplitMix64(seed: 7)
        let bytes = rng.bytes(3 * 65_536 + 12_345)
        let path = try temporaryFile(bytes)
        defer { unlink(path) }
        let expected = try sha256sumOutput(arguments: [path])
        XCTAssertEqual(try SHA256.hexDigest(fileAt: path), expected)
        XCTAssertEqual(SHA256.hexDigest(bytes), expected)
    }

    func testEmptyFileDigest() throws {
        let path = try temporaryFile([])
        defer { unlink(path) }
        XCTAssertEqual(try SHA256.hexDigest(fileAt: path), hex(""))
    }

    func testMissingFileThrowsWithErrno() {
        let path = "/nonexistent-\(getpid())/file"
        XCTAssertThrowsError(try SHA256.hexDigest(fileAt: path)) { error in
            XCTAssertEqual(error as? FileReadError, FileReadError(path: path, errno: ENOENT))
        }
    }

    func testDirectoryThrowsEISDIR() {
        XCTAssertThrowsError(try SHA256.hexDigest(fileAt: "/")) { error in
            XCTAssertEqual((error as? FileReadError)?.errno, EISDIR)
        }
    }

    // MARK: helpers

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
        return try sha256sumOutput(arguments: [path])
    }

    private func sha256sumOutput(arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let line = String(decoding: data, as: UTF8.self)
        return String(line.prefix(64))
    }
}

/// A small seeded generator, so a failing case can be reproduced.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
