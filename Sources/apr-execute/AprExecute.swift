import AprCLI
import AprKit
import ArgumentParser

@main
struct AprExecute: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-execute",
        abstract: "Dispatch approved APRs to the handler bound to their action type, exactly once.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The APR; without it (and without --pending), APR JSON records are read on stdin.", valueName: "code"))
    var apr: String?

    @Flag(help: "Print what would be dispatched and what blocks it; write nothing.")
    var dryRun = false

    @Flag(help: "Dispatch every approved APR (safe on many hosts at once).")
    var pending = false

    @Flag(help: "List the arms and run each handler file's syntax check first.")
    var selfCheck = false

    @Option(help: ArgumentHelp("Seconds to wait for another executor dispatching the same APR.", valueName: "seconds"))
    var lockWait = 60

    @Flag(help: "Dispatch again an APR whose last dispatch was lost mid-run (indeterminate), once its effect is checked.")
    var retry = false

    func validate() throws {
        if pending && apr != nil { throw ValidationError("--pending and --apr do not go together") }
        if selfCheck && apr != nil { throw ValidationError("--self-check and --apr do not go together") }
        if lockWait < 1 { throw ValidationError("--lock-wait must be at least 1") }
        if retry && (apr == nil || pending || dryRun) { throw ValidationError("--retry goes with --apr, for one APR at a time") }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            execute(on: db, &output)
        }
        try finish(output)
    }

    private func execute(on db: Connection, _ output: inout Output) {
        if selfCheck {
            emitAll(&output) { try SelfCheck(connection: db).run() }
            // A handler that fails its check is never dispatched to.
            if output.worst != .ok || !pending { return }
        }
        let dispatcher: Dispatcher
        do {
            dispatcher = try Dispatcher(connection: db, lockWaitSeconds: lockWait, retry: retry)
        } catch {
            output.emit(Outcome.catching { throw error })
            return
        }
        if pending {
            if dryRun {
                emitAll(&output) { try dispatcher.approvedCodes().map { try dispatcher.dryRun(DispatchRequest(aprCode: $0)) } }
            } else {
                do {
                    try dispatcher.drainPending { output.emit($0) }
                } catch {
                    output.emit(Outcome.catching { throw error })
                }
            }
            return
        }
        forEachAprRecord(apr, &output) { code, record in
            let seen = try record.flatMap { record throws(Refusal) in try AprReference.payloadSHA256(in: record) }
            let request = DispatchRequest(aprCode: code, payloadSHA256: seen)
            return dryRun ? try dispatcher.dryRun(request) : try dispatcher.execute(request)
        }
    }
}
