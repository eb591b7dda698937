#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 (FIPS 180-4) in plain Swift: payload hashes, file hashes for the
/// deploy log, and the ledger's hash chain.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            hasher.update(UnsafeRawBufferPointer(buffer))
        }
        if contiguous == nil {
            // A lazy or non-contiguous sequence: feed it through in blocks.
            var chunk: [UInt8] = []
            chunk.reserveCapacity(4096)
            for byte in bytes {
                chunk.append(byte)
                if chunk.count == 4096 {
                    hasher.update(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            hasher.update(chunk)
        }
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hex digits, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        hex(hash(bytes))
    }

    /// The digest of the file at `path` as 64 lowercase hex digits, read in
    /// 64 KiB chunks (memory stays flat whatever the file's size).
    public static func hexDigest(fileAt path: String) throws(FileReadError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(path: path, errno: errno) }
        defer { close(fd) }
        let chunkSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256Hasher()
        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n > 0 {
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw FileReadError(path: path, errno: errno)
            }
        }
        return hex(hasher.finalize())
    }

    /// Lowercase hex of any bytes, e.g. a digest from `SHA256Hasher.finalize()`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A file could not be opened or read; `errno` says why.
public struct FileReadError: Error, Equatable, Sendable {
    public let path: String
    public let errno: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
    }
}

/// Incremental SHA-256: feed any number of `update`s, then `finalize()`.
/// After `finalize()` the hasher starts over, empty.
public struct SHA256Hasher: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// A partial block carried between updates (`pendingCount` bytes of it used).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private var pendingCount: Int
    private var totalBytes: UInt64

    private static let initialState: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )

    public init() {
        state = Self.initialState
        pending = (0, 0, 0, 0, 0, 0, 0, 0)
        pendingCount = 0
        totalBytes = 0
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        let count = bytes.count
        totalBytes &+= UInt64(count)
        // Work on locals: the closure below must not touch `self` while
        // `pending` is borrowed.
        var st = state
        var block = pending
        var used = pendingCount
        withUnsafeMutableBytes(of: &block) { block in
            let blockBase = block.baseAddress!
            var offset = 0
            // Top up a partial block first.
            if used > 0 {
                let take = min(64 - used, count)
                (blockBase + used).copyMemory(from: base, byteCount: take)
                used += take
                offset = take
                guard used == 64 else { return }
                Self.compress(&st, UnsafeRawPointer(blockBase), blocks: 1)
                used = 0
            }
            // Whole blocks straight from the caller's memory.
            let whole = (count - offset) / 64
            if whole > 0 {
                Self.compress(&st, base + offset, blocks: whole)
                offset += whole * 64
            }
            // Keep the tail for the next update.
            if offset < count {
                blockBase.copyMemory(from: base + offset, byteCount: count - offset)
                used = count - offset
            }
        }
        state = st
        pending = block
        pendingCount = used
    }

    /// The 32-byte digest of everything fed so far; the hasher is then reset.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        // Padding: 0x80, zeros up to 56 mod 64, then the bit length, big-endian.
        var tail: [UInt8] = [0x80]
        let afterMarker = (pendingCount + 1) % 64
        let zeros = afterMarker <= 56 ? 56 - afterMarker : 120 - afterMarker
        tail.append(contentsOf: repeatElement(0, count: zeros))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        update(tail)
        precondition(pendingCount == 0, "sha256: padding did not end on a block boundary")
        var digest = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: state) { words in
            for i in 0..<8 {
                let word = words.load(fromByteOffset: i * 4, as: UInt32.self)
                digest[i * 4] = UInt8(truncatingIfNeeded: word >> 24)
                digest[i * 4 + 1] = UInt8(truncatingIfNeeded: word >> 16)
                digest[i * 4 + 2] = UInt8(truncatingIfNeeded: word >> 8)
                digest[i * 4 + 3] = UInt8(truncatingIfNeeded: word)
            }
        }
        self = SHA256Hasher()
        return digest
    }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 &- n))
    }

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `data`.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
        _ data: UnsafeRawPointer,
        blocks: Int
    ) {
        var h0 = state.0, h1 = state.1, h2 = state.2, h3 = state.3
        var h4 = state.4, h5 = state.5, h6 = state.6, h7 = state.7
        k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for block in 0..<blocks {
                    let p = data + block * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
                        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        state = (h0, h1, h2, h3, h4, h5, h6, h7)
    }
}
