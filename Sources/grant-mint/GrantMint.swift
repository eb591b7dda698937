import AprCLI
import AprKit
import ArgumentParser

@main
struct GrantMint: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "grant-mint",
        abstract: "Mint the one build authorization of an approved authorize_build_step APR; revoke it; expire the due ones.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it, APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Flag(help: "Revoke the APR's grant instead of minting it (needs --reason).")
    var revoke = false

    @Option(help: ArgumentHelp("Why the grant is revoked (with --revoke).", valueName: "text"))
    var reason: String?

    @Flag(help: "Expire every active grant past its expiry, one line per grant (for cron).")
    var expireDue = false

    @Flag(help: "Print what would be written; write nothing.")
    var dryRun = false

    func validate() throws {
        if revoke && expireDue { throw ValidationError("--revoke and --expire-due do not go together") }
        if revoke && reason == nil { throw ValidationError("--revoke needs --reason") }
        if !revoke && reason != nil { throw ValidationError("--reason goes with --revoke") }
        if expireDue && apr != nil { throw ValidationError("--expire-due acts on every due grant, not on --apr") }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let grants = Grants(connection: db)
            if expireDue {
                emitAll(&output) { try grants.expireDue(dryRun: dryRun) }
            } else {
                forEachAprRecord(apr, &output) { code, record in
                    if revoke { return try grants.revoke(code, reason: reason ?? "", dryRun: dryRun) }
                    let seen = try record.flatMap { record throws(Refusal) in try AprReference.payloadSHA256(in: record) }
                    return try grants.mint(code, payloadSHA256: seen, dryRun: dryRun)
                }
            }
        }
        try finish(output)
    }
}
