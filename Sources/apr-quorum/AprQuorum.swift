import AprCLI
import AprKit
import ArgumentParser

extension Quorum.Decision: ExpressibleByArgument {}

@main
struct AprQuorum: AprTool {
    static let configuration = CommandConfiguration(
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

    func validate() throws {
        if payloadSHA256 != nil && (vote == nil || apr == nil) {
            throw ValidationError("--payload-sha256 goes with --vote and --apr (a record on stdin carries its own)")
        }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let quorum = Quorum(connection: db)
            forEachAprRecord(apr, &output) { code, record in
                guard let vote else { return try quorum.state(of: code) }
                return try quorum.vote(vote, on: code, seen: try seen(in: record))
            }
        }
        try finish(output)
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
