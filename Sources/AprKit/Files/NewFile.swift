import Glibc

/// Writes a file that must not exist yet, durably: created exclusively (an
/// existing file is never overwritten), written whole, fsync'ed, and its
/// directory fsync'ed, so that once this returns the file survives a crash.
public enum NewFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
        public var exists: Bool { errno == EEXIST }
    }

    public static func create(_ path: String, contents: [UInt8], mode: mode_t = 0o644) throws(WriteError) {
        let directory = parent(of: path)
        try makeDirectories(directory)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(path: path, errno: errno) }
        var failure: Int32 = 0
        var rest = contents[...]
        while !rest.isEmpty && failure == 0 {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno != EINTR { failure = errno } } else { rest = rest.dropFirst(n) }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0 else {
            unlink(path)
            throw WriteError(path: path, errno: failure)
        }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
    }

    /// mkdir -p: every missing directory on the way, mode 0755.
    public static func makeDirectories(_ path: String) throws(WriteError) {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o755) != 0 && errno != EEXIST { throw WriteError(path: built, errno: errno) }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
