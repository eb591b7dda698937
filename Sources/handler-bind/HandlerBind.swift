import AprCLI
import AprKit
import ArgumentParser

@main
struct HandlerBind: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "handler-bind",
        abstract: "Bind or unbind an action type's handler through the governed migration mechanism.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The action type to bind or unbind.", valueName: "code"))
    var action: String

    @Option(help: ArgumentHelp("The handler_ref to bind it to: apr-execute:<arm>.", valueName: "ref"))
    var handler: String?

    @Flag(help: "Unbind the action type: its APRs can no longer be executed.")
    var unbind = false

    @Option(help: ArgumentHelp("Where the staged migration file is written (default $APRKIT_STAGED_DIR, else /var/lib/aprkit/staged).", valueName: "dir"))
    var stagedDir: String?

    @Flag(help: "Print the migration's SQL and file name; write nothing.")
    var dryRun = false

    func validate() throws {
        if (handler == nil) == !unbind { throw ValidationError("give exactly one of --handler and --unbind") }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        let options = connection
        if let db = connectOrReport(options, &output) {
            let binding = HandlerBinding(connection: db, reconnect: { try options.connect(tool: Self.toolName) },
                                         stagedDirectory: stagedDir)
            output.emit(Outcome.catching {
                if let handler { return try binding.bind(action, to: handler, dryRun: dryRun) }
                return try binding.unbind(action, dryRun: dryRun)
            })
        }
        try finish(output)
    }
}
