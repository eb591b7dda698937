import Glibc

/// Whole-file reads without Foundation, bounded so a wrong path cannot eat memory.
public enum FileBytes {
    public static func read(_ path: String, maxBytes: Int) throws(Refusal) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Refusal("unreadable_file", "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Refusal("unreadable_file", "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes {
                throw Refusal("input_too_large", "\(path) is over \(maxBytes) bytes")
            }
        }
    }
}
