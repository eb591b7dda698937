import AprCLI
import AprKit
import ArgumentParser

@main
struct GovMigrate: AprTool {
    static let configuration = CommandConfiguration(
        commandName: "gov-migrate",
        abstract: "Apply the aprkit schema, or staged migration files, each in one governed transaction.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the plan (each migration and its state); write nothing.")
    var dryRun = false

    @Argument(help: ArgumentHelp("Staged migration files to apply after the bundled schema, in order.", valueName: "file"))
    var files: [String] = []

    func run() throws {
        var output = Output(tool: Self.toolName)
        output.emit(Outcome.catching {
            let migrations = try Migration.bundled + files.map(Migration.staged(fromFile:))
            let db = try connection.connect(tool: Self.toolName)
            db.explainsErrors = false  // it installs the schema: nothing is missing, nothing denied by a group role
            return try Migrator(connection: db).apply(migrations, dryRun: dryRun)
        })
        try finish(output)
    }
}
