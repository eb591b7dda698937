import Glibc

/// Reads the records a tool takes on stdin: one JSON object, or NDJSON (one
/// object a line). A record may also be pretty-printed over several lines: a
/// line that is a valid start cut short is read on with the next lines.
///
/// A string or a key holding a NUL byte (`\u0000`, or a raw NUL) is refused
/// as `invalid_text`: the text is passed on whole or not at all, never cut
/// at the NUL as a C string would be.
public struct RecordReader {
    /// A record larger than this is refused as oversized (a patch proposal
    /// carries at most 1 MiB of content, about 1.4 MiB in base64).
    public static let defaultMaxRecordBytes = 2 * 1024 * 1024

    public enum Item {
        case record(JSONObject)
        case invalid(Refusal)
    }

    private var lines: LineReader
    private let maxRecordBytes: Int
    public private(set) var count = 0

    public init(fd: Int32 = 0, maxRecordBytes: Int = RecordReader.defaultMaxRecordBytes) {
        lines = LineReader(fd: fd, maxLineBytes: maxRecordBytes)
        self.maxRecordBytes = maxRecordBytes
    }

    /// The next record, or nil at the end of input.
    public mutating func next() -> Item? {
        var pending: [UInt8] = []
        var holdsNUL = false
        while let line = lines.next() {
            switch line {
            case .tooLong:
                count += 1
                return .invalid(Refusal("input_too_large", "record \(count + 0) is over \(maxRecordBytes) bytes"))
            case .line(var bytes):
                if pending.isEmpty, bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                if RecordReader.neutralizeNUL(&bytes) { holdsNUL = true }
                if !pending.isEmpty { pending.append(0x0A) }
                pending.append(contentsOf: bytes)
                if pending.count > maxRecordBytes {
                    count += 1
                    return .invalid(Refusal("input_too_large", "record \(count) is over \(maxRecordBytes) bytes"))
                }
                do {
                    let value = try JSONValue.parse(pending)
                    count += 1
                    if holdsNUL {
                        return .invalid(Refusal("invalid_text", "record \(count): a string or key holds a NUL byte"))
                    }
                    guard case .object(let object) = value else {
                        return .invalid(Refusal("wrong_type", "record \(count) is a JSON \(value.typeName), not an object"))
                    }
                    return .record(object)
                } catch where error.prematureEnd {
                    continue
                } catch {
                    count += 1
                    if holdsNUL || error.kind == .nulByte {
                        return .invalid(Refusal("invalid_text", "record \(count): a string or key holds a NUL byte"))
                    }
                    return .invalid(Refusal("malformed_json", "record \(count) is not valid JSON: \(error.message) at line \(error.line), column \(error.column)"))
                }
            }
        }
        if !pending.isEmpty {
            count += 1
            return .invalid(Refusal("malformed_json", "record \(count) is not valid JSON: the input ends inside it"))
        }
        return nil
    }

    /// Replaces each NUL in a line's text (a raw NUL byte, or a `\u0000`
    /// escape in a string or key) by a harmless stand-in of the same length,
    /// so that the line's JSON structure can still be judged, and says
    /// whether there was one: a record holding one is refused whatever else
    /// it holds.
    static func neutralizeNUL(_ bytes: inout [UInt8]) -> Bool {
        let suspect = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            return memchr(base, 0x00, raw.count) != nil || memchr(base, 0x5C, raw.count) != nil
        }
        guard suspect else { return false }
        var found = false
        var inString = false
        var escaped = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x00 {
                bytes[i] = 0x20
                found = true
            } else if escaped {
                escaped = false
                // \u0000: the escape becomes \u0001.
                if byte == 0x75, i + 4 < bytes.count, bytes[i + 1] == 0x30, bytes[i + 2] == 0x30,
                   bytes[i + 3] == 0x30, bytes[i + 4] == 0x30 {
                    bytes[i + 4] = 0x31
                    found = true
                    i += 4
                }
            } else if inString {
                if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            }
            i += 1
        }
        return found
    }
}

/// Buffered lines from a file descriptor, without Foundation.
struct LineReader {
    enum Line { case line([UInt8]), tooLong }

    let fd: Int32
    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(fd: Int32, maxLineBytes: Int) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
    }

    mutating func next() -> Line? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line.count > maxLineBytes ? .tooLong : .line(line)
            }
            if buffer.count - start > maxLineBytes {
                // Skip the rest of an oversized line so the next record starts clean.
                skipToNewline()
                return .tooLong
            }
            if eof {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return .line(line)
            }
            fill()
        }
    }

    private mutating func fill() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
        if n <= 0 {
            if n < 0, errno == EINTR { return }
            eof = true
        } else {
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    private mutating func skipToNewline() {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                start = nl + 1
                return
            }
            buffer.removeAll(keepingCapacity: true)
            start = 0
            if eof { return }
            fill()
        }
    }
}
