import AprCLI
import AprKit
import ArgumentParser
import Glibc

@main
struct AprLog: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-log",
        abstract: "Print the ledger as NDJSON, oldest first; --follow streams each event as it commits.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Only the events of this APR.", valueName: "code"))
    var apr: String?

    @Option(help: ArgumentHelp("Only events of this kind (propose, vote, dispatch, ...); repeatable.", valueName: "name"))
    var event: [String] = []

    @Option(name: .customLong("since-seq"), help: ArgumentHelp("Only the events after this seq.", valueName: "seq"))
    var sinceSeq: Int64 = 0

    @Option(help: ArgumentHelp("Print at most this many events, then exit.", valueName: "n"))
    var limit: Int?

    @Flag(help: "After the events so far, print each new one as it commits, until killed (LISTEN/NOTIFY).")
    var follow = false

    func validate() throws {
        if let apr, (try? AprReference.checked(apr)) == nil {
            throw ValidationError("--apr: \"\(apr)\" is not an APR code (APR-NNNNNN)")
        }
        for name in event where !LedgerLog.isEventName(name) {
            throw ValidationError("--event: \"\(name)\" is not an event name (1 to 32 of a-z and _)")
        }
        if sinceSeq < 0 { throw ValidationError("--since-seq must be 0 or more") }
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    func run() throws {
        // A reader that went away (a closed pipe) ends the run quietly.
        signal(SIGPIPE, SIG_IGN)
        var output = Output(tool: Self.toolName)
        let options = connection
        let log = LedgerLog(
            filter: .init(aprCode: apr, events: event, sinceSeq: sinceSeq, limit: limit),
            log: options.verbose ? { Output.warn(tool: Self.toolName, $0) } : nil,
            open: { () throws(PGError) in try options.connect(tool: Self.toolName) })
        emitAll(&output) {
            try log.run(follow: follow, emit: writeLine)
            return []
        }
        try finish(output)
    }
}

/// Writes one line to stdout at once (no buffer: a pipe downstream sees
/// each event as it is printed); false when stdout is closed.
private func writeLine(_ line: String) -> Bool {
    var bytes = Array((line + "\n").utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        bytes = bytes.dropFirst(n)
    }
    return true
}
