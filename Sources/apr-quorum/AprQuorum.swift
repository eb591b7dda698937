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

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let quorum = Quorum(connection: db)
            forEachApr(apr, &output) { code in
                if let vote { return try quorum.vote(vote, on: code) }
                return try quorum.state(of: code)
            }
        }
        try finish(output)
    }
}
