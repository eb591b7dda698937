import AprKit
import Glibc

/// Feeds each stdin record to `body` and prints its outcome; a bad record gets
/// its refusal line and the stream goes on. No record at all is bad input.
/// A terminal on stdin is a usage error (64), not a silent wait for records
/// nobody meant to type.
public func forEachRecord(_ output: inout Output, _ body: (JSONObject) -> Outcome) {
    guard var reader = stdinReader(&output) else { return }
    var any = false
    while let item = reader.next() {
        any = true
        switch item {
        case .record(let record): output.emit(body(record))
        case .invalid(let refusal): output.emit(.refused(refusal))
        }
    }
    if !any { reportEmptyInput(&output) }
}

/// As `forEachRecord`, for records that each make one database call: the
/// calls are pipelined on `db` (`RecordStream`), each record still its own
/// transaction and its own line, in input order.
public func streamRecords(_ output: inout Output, on db: Connection, _ step: (JSONObject) -> StreamStep) {
    guard var reader = stdinReader(&output) else { return }
    let count = RecordStream(connection: db).run(&reader, step: step) { output.emit($0) }
    if count == 0 { reportEmptyInput(&output) }
}

/// The stdin records, or nil (and the usage refusal) when stdin is a terminal.
private func stdinReader(_ output: inout Output) -> RecordReader? {
    if isatty(0) == 1 {
        output.emit(.refused(Refusal("usage",
            "stdin is a terminal: give --apr CODE, or pipe JSON records in; see '\(output.tool) --help'")))
        if let usage = runningToolUsage() { Output.warn(tool: output.tool, usage) }
        return nil
    }
    return RecordReader()
}

private func reportEmptyInput(_ output: inout Output) {
    output.emit(.refused(Refusal("empty_input", "no JSON record on stdin")))
}

/// Opens the connection, or reports why not (exit 69) and returns nil.
public func connectOrReport(_ options: ConnectionOptions, _ output: inout Output) -> Connection? {
    do {
        return try options.connect(tool: output.tool)
    } catch {
        output.emit(.refused(Refusal(error)))
        return nil
    }
}

/// The APR codes a tool acts on: `--apr CODE`, else each record on stdin.
public func forEachApr(_ apr: String?, _ output: inout Output, _ body: (String) throws -> Outcome) {
    if let apr {
        output.emit(Outcome.catching { try body(try AprReference.checked(apr)) })
        return
    }
    forEachRecord(&output) { record in
        Outcome.catching { try body(try AprReference.code(from: record)) }
    }
}

/// As `forEachApr`, also handing over the stdin record the code came from
/// (nil for `--apr`), for tools that check more of it than the code.
public func forEachAprRecord(_ apr: String?, _ output: inout Output, _ body: (String, JSONObject?) throws -> Outcome) {
    if let apr {
        output.emit(Outcome.catching { try body(try AprReference.checked(apr), nil) })
        return
    }
    forEachRecord(&output) { record in
        Outcome.catching { try body(try AprReference.code(from: record), record) }
    }
}

/// As `forEachAprRecord`, for a tool whose every APR makes one database
/// call: with `--apr` the call is made alone; the records of stdin are
/// streamed (`streamRecords`).
public func streamAprRecords(
    _ apr: String?, _ output: inout Output, on db: Connection, _ body: (String, JSONObject?) throws -> DatabaseCall
) {
    if let apr {
        output.emit(Outcome.catching { try body(try AprReference.checked(apr), nil).run(on: db) })
        return
    }
    streamRecords(&output, on: db) { record in
        StreamStep.catching { try body(try AprReference.code(from: record), record) }
    }
}

/// Emits each outcome `body` returns, or its refusal when it throws.
public func emitAll(_ output: inout Output, _ body: () throws -> [Outcome]) {
    do {
        for outcome in try body() { output.emit(outcome) }
    } catch {
        output.emit(Outcome.catching { throw error })
    }
}
