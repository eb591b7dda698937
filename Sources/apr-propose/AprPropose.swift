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
            streamRecords(&output, on: db) { record in
                StreamStep.catching { try Proposals.call(record, dryRun: dryRun) }
            }
        }
        try finish(output)
    }
}
