import AprCLI
import AprKit
import ArgumentParser

extension Quorum.Decision: ExpressibleByArgument {}

@main
struct AprQuorum: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-quorum",
        abstract: "Record a vote as the connected database user, and print an APR's quorum state.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it, APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Option(help: ArgumentHelp("Vote on the APR as the session user: approve or reject.", valueName: "decision"))
    var vote: Quorum.Decision?

    @Option(name: .customLong("payload-sha256"),
            help: ArgumentHelp("With --vote and --apr: the payload hash the vote is cast on; refused if the APR's differs.",
                               valueName: "hash"))
    var payloadSHA256: String?

    @Option(help: ArgumentHelp(
        "After the state (and the vote), wait until the APR is decided, at most this many seconds "
            + "(no value: indefinitely); exit 0 passed, 1 rejected, expired or cancelled, 75 timed out.",
        valueName: "seconds"))
    var wait: WaitLimit?

    /// `--wait` with no number after it waits indefinitely.
    static func arguments(_ given: [String]) -> [String] {
        given.indices.map { i in
            guard given[i] == "--wait" else { return given[i] }
            let next = i + 1 < given.count ? given[i + 1] : nil
            return next.flatMap(Double.init) == nil ? "--wait=forever" : given[i]
        }
    }

    func validate() throws {
        if payloadSHA256 != nil && (vote == nil || apr == nil) {
            throw ValidationError("--payload-sha256 goes with --vote and --apr (a record on stdin carries its own)")
        }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            if let wait {
                waitForDecisions(db, seconds: wait.seconds, &output)
            } else {
                streamAprRecords(apr, &output, on: db) { code, record in
                    guard let vote else { return Quorum.stateCall(code) }
                    return Quorum.voteCall(vote, on: code, seen: try seen(in: record))
                }
            }
        }
        try finish(output)
    }

    /// --wait: each APR's state (or vote) as it is, then, once decided, its
    /// final state; the APRs in turn, under one deadline for the run. An
    /// APR decided already prints one line. The first line of an open APR
    /// is only news: the final line's status is what the APR counts for.
    private func waitForDecisions(_ db: Connection, seconds: Double?, _ output: inout Output) {
        let options = connection
        let tool = Self.toolName
        let waiter = QuorumWaiter(
            connection: db, seconds: seconds, log: options.verbose ? { Output.warn(tool: tool, $0) } : nil,
            open: { () throws(PGError) in try options.connect(tool: tool) })
        do {
            try waiter.listen()  // before any state is read: no decision goes unheard
        } catch {
            output.emit(.refused(Refusal(error)))
            return
        }
        forEachAprRecord(apr, &output) { code, record in
            let quorum = Quorum(connection: waiter.connection)
            let first: Outcome
            if let vote {
                first = try quorum.vote(vote, on: code, seen: try seen(in: record))
            } else {
                first = try quorum.state(of: code)
                if first.body["reason"] != .string("quorum_not_met") { return first }
            }
            var news = Output(tool: tool)
            news.emit(text: first.body.serialized() + "\n", status: .ok)
            return try waiter.waitUntilDecided(code)
        }
    }

    /// What the voter saw: the payload the record on stdin shows (or, when
    /// it shows none, the hash it carries), or the hash given with --apr;
    /// with --apr alone the vote binds to the payload as it is, shown in
    /// the answer.
    private func seen(in record: JSONObject?) throws(Refusal) -> Quorum.Seen? {
        if let record {
            if let payload = record["proposed_action"] {
                guard let object = payload.objectValue else {
                    throw Refusal("wrong_type", "field \"proposed_action\" must be an object, not a \(payload.typeName)")
                }
                return .payload(object)
            }
            return try AprReference.payloadSHA256(in: record).map { .sha256($0) }
        }
        return try payloadSHA256.map { hash throws(Refusal) in .sha256(try AprReference.checkedSHA256(hash, "--payload-sha256")) }
    }
}

/// How long --wait waits: seconds (a decimal fraction is taken), or, with
/// no value, indefinitely.
struct WaitLimit: ExpressibleByArgument {
    let seconds: Double?

    init?(argument: String) {
        if argument == "forever" {
            seconds = nil
        } else if let value = Double(argument), value.isFinite, value >= 0 {
            seconds = value
        } else {
            return nil
        }
    }
}
