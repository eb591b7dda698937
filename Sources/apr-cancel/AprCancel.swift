import AprCLI
import AprKit
import ArgumentParser

@main
struct AprCancel: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-cancel",
        abstract: "Withdraw an APR that is not yet applied (its proposer or an active approver), with a reason.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it, APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Option(help: ArgumentHelp("Why the APR is cancelled (recorded with it, and in the ledger).", valueName: "text"))
    var reason: String

    @Flag(help: "Print what would be written; write nothing.")
    var dryRun = false

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let cancellation = Cancellation(connection: db)
            forEachApr(apr, &output) { code in try cancellation.cancel(code, reason: reason, dryRun: dryRun) }
        }
        try finish(output)
    }
}
