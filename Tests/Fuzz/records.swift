// Fuzz target: the NDJSON record reader (RecordReader over LineReader).
//
// The first input byte sets the record size limit (16 to 2056 bytes), the
// second the size of the reads the input arrives in (1 to 4336 bytes, one
// packet each, at most 64 packets, so that lines cross read boundaries where
// the input says);
// the rest is stdin.
//
// Properties, against a model of lines built here from the bytes:
// - one item per non-blank line, numbered by its line, in order; or, only
//   when the first line alone is a valid start cut short, one item for all
//   of stdin, which is then exactly one JSON value within the limit;
// - a line that is one JSON object alone (no NUL, within the limit) is that
//   record, and every record is its line's object: the reader never joins
//   two lines into one record, nor refuses a good one;
// - a record re-encodes to text that reads back as the same record.
@testable import AprKit
import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard bytes.count >= 2 else { return 0 }
    let limit = 16 + Int(bytes[0]) * 8
    let chunk = 1 + Int(bytes[1]) * 17
    let input = Array(bytes[2...])

    let items = readAll(input, limit: limit, chunk: chunk)
    let lines = modelLines(input, limit: limit)

    if let first = items.first, first.lines.count > 1 {
        require(items.count == 1, "a record over several lines is all of stdin")
        require(first.lines == lines.first!.number...lines.last!.number, "it spans every line: \(first.lines)")
        require(!lines[0].tooLong && lines.allSatisfy { !$0.tooLong }, "no line over the limit is held")
        var opening = lines[0].bytes
        _ = RecordReader.neutralizeNUL(&opening)
        require(parse(opening).error?.kind == .prematureEnd && !RecordReader.isBlank(opening),
                "only a first line cut short starts a value over several lines")
        require(lines.map(\.bytes.count).reduce(0, +) + lines.count - 1 <= limit, "the joined lines are within the limit")
        if case .record(let object) = first.item {
            require(parse(input).value == .object(object), "the record is stdin read whole")
        }
        return 0
    }

    require(items.count == lines.count, "\(items.count) items for \(lines.count) lines")
    for (item, line) in zip(items, lines) {
        require(item.lines == line.number...line.number, "item at \(item.lines) for line \(line.number)")
        let alone = line.tooLong ? nil : parse(line.bytes).value
        switch item.item {
        case .record(let object):
            require(!line.tooLong, "a record over the limit")
            require(alone == .object(object), "line \(line.number): the record \(shown(object)) is not its line's object")
            let text = object.serialized()
            let back = readAll(Array(text.utf8) + [0x0A], limit: max(limit, text.utf8.count), chunk: chunk)
            guard back.count == 1, case .record(let again) = back[0].item else {
                require(false, "the encoding \(shown(text)) does not read back as one record")
                return 0
            }
            require(again == object, "re-read \(shown(again)) differs from \(shown(object))")
        case .invalid(let refusal):
            if case .object = alone {
                var copy = line.bytes
                require(RecordReader.neutralizeNUL(&copy), "line \(line.number): a JSON object refused (\(refusal.reason): \(refusal.message))")
            }
            require(line.tooLong == (refusal.reason == "input_too_large"), "input_too_large only for a line over the limit")
        }
    }
    return 0
}

private struct Read {
    let item: RecordReader.Item
    let lines: ClosedRange<Int>
}

/// Every item the reader gives for `input`, arriving `chunk` bytes a read.
private func readAll(_ input: [UInt8], limit: Int, chunk: Int) -> [Read] {
    var fds: [Int32] = [0, 0]
    require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0, "socketpair")
    defer { close(fds[0]) }
    // At most 64 packets: the socket holds no more than a few hundred.
    let chunk = max(chunk, (input.count + 63) / 64)
    var offset = 0
    while offset < input.count {
        let n = min(chunk, input.count - offset)
        let sent = input[offset..<(offset + n)].withUnsafeBytes { send(fds[1], $0.baseAddress, n, 0) }
        require(sent == n, "send: \(sent) of \(n) bytes, errno \(errno)")
        offset += n
    }
    close(fds[1])
    var reader = RecordReader(fd: fds[0], maxRecordBytes: limit)
    var out: [Read] = []
    while let item = reader.next() {
        out.append(Read(item: item, lines: reader.lastLines))
        require(reader.count == out.count, "count is the number of records read")
    }
    return out
}

private struct ModelLine {
    let number: Int
    let bytes: [UInt8]
    let tooLong: Bool
}

/// The non-blank lines of `input`: cut at each newline, one CR before it
/// dropped, over `limit` bytes too long (and then never blank).
private func modelLines(_ input: [UInt8], limit: Int) -> [ModelLine] {
    var pieces = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if pieces.last?.isEmpty == true { pieces.removeLast() }
    var lines: [ModelLine] = []
    for (index, var piece) in pieces.enumerated() {
        if piece.last == 0x0D { piece.removeLast() }
        let tooLong = piece.count > limit
        if !tooLong, piece.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        lines.append(ModelLine(number: index + 1, bytes: piece, tooLong: tooLong))
    }
    return lines
}

private func parse(_ bytes: [UInt8]) -> (value: JSONValue?, error: JSONSyntaxError?) {
    do { return (try JSONValue.parse(bytes), nil) } catch { return (nil, error) }
}
