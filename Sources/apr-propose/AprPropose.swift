import AprCLI
import AprKit
import ArgumentParser

@main
struct AprPropose: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-propose",
        abstract: "Validate proposals (JSON or NDJSON on stdin) and create APRs.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the APR each proposal would create; write nothing.")
    var dryRun = false

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let proposals = Proposals(connection: db)
            forEachRecord(&output) { record in
                Outcome.catching { try proposals.propose(record, dryRun: dryRun) }
            }
        }
        try finish(output)
    }
}
