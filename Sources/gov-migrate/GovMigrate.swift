import AprCLI
import AprKit
import ArgumentParser

@main
struct GovMigrate: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "gov-migrate",
        abstract: "Apply the aprkit schema, or staged migration files, each in one governed transaction.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the plan (each migration and its state); write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("How long to queue for the migration lock before giving up (database_busy), as PostgreSQL reads lock_timeout: 500ms, 30s, 5min.",
                               valueName: "duration"))
    var lockTimeout = "60s"

    @Argument(help: ArgumentHelp("Staged migration files to apply after the bundled schema, in order.", valueName: "file"))
    var files: [String] = []

    func validate() throws {
        guard lockTimeout.wholeMatch(of: #/[1-9][0-9]{0,8}(ms|s|min|h)/#) != nil else {
            throw ValidationError("--lock-timeout must be a positive duration such as 500ms, 30s or 5min, not \(lockTimeout)")
        }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        output.emit(Outcome.catching {
            let migrations = try Migration.bundled + files.map(Migration.staged(fromFile:))
            let db = try connection.connect(tool: Self.toolName)
            db.explainsErrors = false  // it installs the schema: nothing is missing, nothing denied by a group role
            return try Migrator(connection: db, lockTimeout: lockTimeout).apply(migrations, dryRun: dryRun)
        })
        try finish(output)
    }
}
