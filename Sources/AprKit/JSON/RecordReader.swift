import Glibc

/// Reads the records a tool takes on stdin. Each line is one record (NDJSON):
/// a bad line is refused on its own and is never read on with its neighbours.
/// The one exception is a stdin that is, as a whole, one JSON value spread
/// over several lines (a pretty-printed object, `jq . req.json | tool`): that
/// is one record.
///
/// Which case applies is decided by the first non-blank line, in bounded
/// memory: when it parses on its own, every line is a record. When it is a
/// valid start cut short, lines are held (at most `maxRecordBytes`) until the
/// end of input: if all of them parse as exactly one JSON value, that is the
/// record; if they do not (or the limit is reached first), each held line is
/// a record of its own, and so is every line after them.
///
/// Blank lines are skipped, a CR before the newline is dropped, and every
/// refusal names its line ("line 3: …"). A string or a key holding a NUL byte
/// (`\u0000`, or a raw NUL) is refused as `invalid_text`: the text is passed
/// on whole or not at all, never cut at the NUL as a C string would be.
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
    /// Lines read while deciding the framing, handed out one at a time when
    /// they turned out not to be one value.
    private var held: [TextLine] = []
    private var heldIndex = 0
    private var started = false
    private var lineNumber = 0
    /// Records read so far.
    public private(set) var count = 0
    /// The input lines the last record came from.
    public private(set) var lastLines: ClosedRange<Int> = 0...0

    public init(fd: Int32 = 0, maxRecordBytes: Int = RecordReader.defaultMaxRecordBytes) {
        lines = LineReader(fd: fd, maxLineBytes: maxRecordBytes)
        self.maxRecordBytes = maxRecordBytes
    }

    /// Whether `next` can answer without waiting for more input: a record
    /// is held or buffered whole, the input has ended, or more of it is
    /// there to be read. A caller holding answers back flushes them first
    /// when it is not, so that a writer waiting on them is never stuck.
    public var hasInputReady: Bool {
        (started && heldIndex < held.count) || lines.hasInputReady
    }

    /// The next record, or nil at the end of input.
    public mutating func next() -> Item? {
        if !started {
            started = true
            return firstRecord()
        }
        if heldIndex < held.count {
            let line = held[heldIndex]
            heldIndex += 1
            if heldIndex == held.count { held = []; heldIndex = 0 }
            return record(of: line)
        }
        guard let line = nextLine() else { return nil }
        return record(of: line)
    }

    /// The first record, which decides the framing of the whole input.
    private mutating func firstRecord() -> Item? {
        guard let first = nextLine() else { return nil }
        guard !first.tooLong else { return record(of: first) }
        let parsed = parse(first.bytes)
        // A line of NULs (and blanks) is blank once they are neutralized, and
        // jansson calls blank input cut short: it starts no value.
        guard case .failure(let error) = parsed, error.kind == .prematureEnd, !RecordReader.isBlank(first.bytes) else {
            return record(of: first, parsed)
        }
        // A valid start cut short: hold lines until the end of input, within
        // the size of one record, and see whether they make one value.
        var buffered = [first]
        var size = first.bytes.count
        while let line = nextLine() {
            if line.tooLong || size + 1 + line.bytes.count > maxRecordBytes {
                return fallBack(to: buffered + [line])
            }
            buffered.append(line)
            size += 1 + line.bytes.count
        }
        var joined: [UInt8] = []
        joined.reserveCapacity(size)
        for (i, line) in buffered.enumerated() {
            if i > 0 { joined.append(0x0A) }
            joined.append(contentsOf: line.bytes)
        }
        let whole = parse(joined)
        guard case .success = whole else { return fallBack(to: buffered) }
        let span = TextLine(number: first.number, lastNumber: buffered.last!.number, bytes: [],
                            holdsNUL: buffered.contains { $0.holdsNUL }, tooLong: false)
        return record(of: span, whole)
    }

    /// Each held line becomes a record of its own.
    private mutating func fallBack(to buffered: [TextLine]) -> Item? {
        held = buffered
        heldIndex = 1
        if held.count == 1 { held = []; heldIndex = 0 }
        return record(of: buffered[0])
    }

    /// The next non-blank line, CR dropped and NUL neutralized, numbered.
    private mutating func nextLine() -> TextLine? {
        while let raw = lines.next() {
            lineNumber += 1
            switch raw {
            case .tooLong:
                return TextLine(number: lineNumber, lastNumber: lineNumber, bytes: [], holdsNUL: false, tooLong: true)
            case .line(var bytes):
                if RecordReader.isBlank(bytes) { continue }
                let holdsNUL = RecordReader.neutralizeNUL(&bytes)
                return TextLine(number: lineNumber, lastNumber: lineNumber, bytes: bytes, holdsNUL: holdsNUL, tooLong: false)
            }
        }
        return nil
    }

    private func parse(_ bytes: [UInt8]) -> Result<JSONValue, JSONSyntaxError> {
        Result { () throws(JSONSyntaxError) -> JSONValue in try JSONValue.parse(bytes) }
    }

    /// What one record (a line, or the lines of the one value) comes to.
    private mutating func record(of line: TextLine, _ parsed: Result<JSONValue, JSONSyntaxError>? = nil) -> Item {
        count += 1
        lastLines = line.number...line.lastNumber
        let label = line.number == line.lastNumber ? "line \(line.number)" : "lines \(line.number)-\(line.lastNumber)"
        if line.tooLong {
            return .invalid(Refusal("input_too_large", "\(label): a record over \(maxRecordBytes) bytes"))
        }
        if line.holdsNUL {
            return .invalid(Refusal("invalid_text", "\(label): a string or key holds a NUL byte"))
        }
        switch parsed ?? parse(line.bytes) {
        case .success(.object(let object)):
            return .record(object)
        case .success(let value):
            return .invalid(Refusal("wrong_type", "\(label): a JSON \(value.typeName), not an object"))
        case .failure(let error):
            switch error.kind {
            case .nulByte:
                return .invalid(Refusal("invalid_text", "\(label): a string or key holds a NUL byte"))
            case .numberOutOfRange:
                return .invalid(Refusal("invalid_field", "\(label): a number out of range: \(error.message)"))
            case .prematureEnd:
                return .invalid(Refusal("malformed_json", "\(label): not valid JSON: the line ends inside a value"))
            case .invalid:
                return .invalid(Refusal("malformed_json", "\(label): not valid JSON: \(error.message) at column \(error.column)"))
            }
        }
    }

    static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
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

/// One line of input (or, for the one value over several lines, their span).
private struct TextLine {
    let number: Int
    let lastNumber: Int
    let bytes: [UInt8]
    let holdsNUL: Bool
    let tooLong: Bool
}

/// Buffered lines from a file descriptor, without Foundation. A CR before the
/// newline is dropped; a line over `maxLineBytes` is reported, not kept.
struct LineReader {
    enum Line { case line([UInt8]), tooLong }

    let fd: Int32
    let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline goes on from.
    private var scanned = 0
    private var eof = false

    init(fd: Int32, maxLineBytes: Int) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
    }

    /// A whole line is buffered, the input has ended, or it can be read now.
    var hasInputReady: Bool {
        if eof || buffer[scanned...].contains(0x0A) { return true }
        var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&fds, 1, 0) != 0
    }

    mutating func next() -> Line? {
        while true {
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = finish(start..<nl)
                start = nl + 1
                scanned = start
                return line
            }
            scanned = buffer.count
            // Room for a CR before the newline.
            if buffer.count - start > maxLineBytes + 1 {
                // Skip the rest of an oversized line so the next record starts clean.
                skipToNewline()
                return .tooLong
            }
            if eof {
                guard start < buffer.count else { return nil }
                let line = finish(start..<buffer.count)
                start = buffer.count
                scanned = start
                return line
            }
            fill()
        }
    }

    private func finish(_ range: Range<Int>) -> Line {
        var end = range.upperBound
        if end > range.lowerBound, buffer[end - 1] == 0x0D { end -= 1 }
        return end - range.lowerBound > maxLineBytes ? .tooLong : .line(Array(buffer[range.lowerBound..<end]))
    }

    private mutating func fill() {
        if start > 0 {
            buffer.removeFirst(start)
            scanned -= start
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
                scanned = start
                return
            }
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
            if eof { return }
            fill()
        }
    }
}
