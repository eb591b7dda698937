import Glibc

/// A file's identity as the deploy log records it: sha256 and size.
struct FileDigest: Sendable, Equatable {
    let sha256: String
    let size: Int

    init(sha256: String, size: Int) {
        self.sha256 = sha256
        self.size = size
    }

    init(of bytes: [UInt8]) {
        self.init(sha256: SHA256.hexDigest(bytes), size: bytes.count)
    }

    /// Reads `source` to its end, hashing, and writes every byte to
    /// `destination` when one is given: a copy and the digest of exactly the
    /// bytes copied, in one pass and constant memory.
    static func copying(from source: Int32, to destination: Int32?, path: String) throws -> FileDigest {
        let chunk = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var context = SHA256.Context()
        var size = 0
        while true {
            let n = read(source, buffer.baseAddress, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("read \(path)", errno)
            }
            if n == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            context.update(bytes)
            size += n
            if let destination { try writeAll(destination, bytes, path: path) }
        }
        return FileDigest(sha256: Hex.encode(context.finalize()), size: size)
    }

    var json: JSONObject { ["sha256": .string(sha256), "size": .integer(Int64(size))] }
}

/// Writes every byte, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            throw ioError("write \(path)", errno)
        }
        offset += n
    }
}
