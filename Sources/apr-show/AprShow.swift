import AprCLI
import AprKit
import ArgumentParser

extension Reading.Format: ExpressibleByArgument {}

@main
struct AprShow: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-show",
        abstract: "Print an APR's whole story: payload, quorum, votes, dispatch attempts, grant, deploys, ledger events.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it, APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Option(help: ArgumentHelp("json (one object per APR) or text (sections for a person).", valueName: "format"))
    var format: Reading.Format = .json

    func run() throws {
        var output = Output(tool: Self.toolName)
        if format == .text { output.text = ReadingText.story }
        if let db = connectOrReport(connection, &output) {
            let reading = Reading(connection: db)
            forEachApr(apr, &output) { code in
                try reading.show(code)
            }
        }
        try finish(output)
    }
}
