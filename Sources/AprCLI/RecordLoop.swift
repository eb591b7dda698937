import AprKit
import Glibc

/// Feeds each stdin record to `body` and prints its outcome; a bad record gets
/// its refusal line and the stream goes on. No record at all is bad input.
/// A terminal on stdin is a usage error (64), not a silent wait for records
/// nobody meant to type.
public func forEachRecord(_ output: inout Output, _ body: (JSONObject) -> Outcome) {
    if isatty(0) == 1 {
        output.emit(.refused(Refusal("usage",
            "stdin is a terminal: give --apr CODE, or pipe JSON records in; see '\(output.tool) --help'")))
        if let usage = runningToolUsage() { Output.warn(tool: output.tool, usage) }
        return
    }
    var reader = RecordReader()
    var any = false
    while let item = reader.next() {
        any = true
        switch item {
        case .record(let record): output.emit(body(record))
        case .invalid(let refusal): output.emit(.refused(refusal))
        }
    }
    if !any {
        output.emit(.refused(Refusal("empty_input", "no JSON record on stdin")))
    }
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

/// Emits each outcome `body` returns, or its refusal when it throws.
public func emitAll(_ output: inout Output, _ body: () throws -> [Outcome]) {
    do {
        for outcome in try body() { output.emit(outcome) }
    } catch {
        output.emit(Outcome.catching { throw error })
    }
}
