import CCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 through libcrypto's EVP interface (the library libpq already
/// loads): payload hashes, file hashes for the deploy log, and migration
/// checksums.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var context = Context()
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            context.update(UnsafeRawBufferPointer(buffer))
        }
        if contiguous == nil {
            // A lazy or non-contiguous sequence: feed it through in blocks.
            var chunk: [UInt8] = []
            chunk.reserveCapacity(4096)
            for byte in bytes {
                chunk.append(byte)
                if chunk.count == 4096 {
                    chunk.withUnsafeBytes { context.update($0) }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            chunk.withUnsafeBytes { context.update($0) }
        }
        return context.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hex digits, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        Hex.encode(hash(bytes))
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
        var context = Context()
        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n > 0 {
                context.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw FileReadError(path: path, errno: errno)
            }
        }
        return Hex.encode(context.finalize())
    }

    /// One running digest over an `EVP_MD_CTX`: any number of `update`s,
    /// then `finalize()`, which consumes it. The context is freed exactly
    /// once, when the value ends.
    struct Context: ~Copyable {
        private let handle: OpaquePointer

        init() {
            // Fails only when libcrypto cannot allocate or has no SHA-256
            // (a broken installation): nothing sensible to hash with.
            guard let context = EVP_MD_CTX_new() else { fatalError("sha256: EVP_MD_CTX_new failed") }
            guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                EVP_MD_CTX_free(context)
                fatalError("sha256: EVP_DigestInit_ex(EVP_sha256()) failed")
            }
            self.handle = context
        }

        deinit { EVP_MD_CTX_free(handle) }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            guard EVP_DigestUpdate(handle, base, bytes.count) == 1 else {
                fatalError("sha256: EVP_DigestUpdate failed")
            }
        }

        /// The 32-byte digest of everything fed so far.
        consuming func finalize() -> [UInt8] {
            var length: UInt32 = 0
            let digest = [UInt8](unsafeUninitializedCapacity: Int(EVP_MAX_MD_SIZE)) { buffer, count in
                guard EVP_DigestFinal_ex(handle, buffer.baseAddress, &length) == 1 else {
                    fatalError("sha256: EVP_DigestFinal_ex failed")
                }
                count = Int(length)
            }
            precondition(digest.count == 32, "sha256: libcrypto returned a \(digest.count)-byte digest")
            return digest
        }
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
