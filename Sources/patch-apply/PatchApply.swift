import AprCLI
import AprKit
import ArgumentParser

@main
struct PatchApply: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "patch-apply",
        abstract: "Replace a registered file with the bytes an approved patch_ops_code APR carries, or restore it.",
        discussion: """
            Under an exclusive flock beside the target: back up, write a temp file and fsync it, \
            verify its sha256, run the syntax check, copy owner and mode, rename it over the target, \
            fsync the directory, run the post-swap check, and record the deploy.
            """,
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it, APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Flag(help: "Check the candidate and print the before and after; swap nothing, write nothing.")
    var dryRun = false

    @Flag(help: "Put back the file the APR's patch replaced, from its recorded backup.")
    var restore = false

    @Option(help: ArgumentHelp("How long to wait for the target's lock before exit 75.", valueName: "seconds"))
    var lockTimeout = 60

    func validate() throws {
        if restore && dryRun { throw ValidationError("--restore has no --dry-run") }
        if lockTimeout < 0 { throw ValidationError("--lock-timeout must not be negative") }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let applier = PatchApplier(connection: db, lockTimeoutSeconds: lockTimeout)
            forEachApr(apr, &output) { code in
                restore ? try applier.restore(aprCode: code) : try applier.apply(aprCode: code, dryRun: dryRun)
            }
        }
        try finish(output)
    }
}
