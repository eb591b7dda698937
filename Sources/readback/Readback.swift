import AprCLI
import AprKit
import ArgumentParser
import Glibc

extension ReadbackFormat: ExpressibleByArgument {}

@main
struct Readback: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "readback",
        abstract: "Run a checklist of named SQL assertions read-only; JSON, TAP or Prometheus output; exit status for cron.",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("A built-in checklist (post-grant, prewrite, ledger) or a checklist file ('-' for stdin).",
                               valueName: "name|file"))
    var checklist = "post-grant"

    @Option(help: ArgumentHelp("Bind the checklist's :KEY to VALUE, as a query parameter.", valueName: "key=value"))
    var param: [String] = []

    @Option(name: .customLong("file-sha256"),
            help: ArgumentHelp("Bind :KEY to the sha256 of FILE's bytes (null when FILE cannot be read).", valueName: "key=file"))
    var fileSHA256: [String] = []

    @Option(help: ArgumentHelp("Output: json (a line an item, then a summary), tap, or prom (node_exporter textfile).",
                               valueName: "format"))
    var format = ReadbackFormat.json

    @Option(help: ArgumentHelp("The ledger head saved outside the database (SEQ HASH, or a signed checkpoint; an empty file is genesis): the chain is verified from it on.",
                               valueName: "file"))
    var ledgerHead: String?

    @Option(help: ArgumentHelp("Refuse the --ledger-head file unless it is a checkpoint signed by a key of FILE (ssh-keygen allowed signers).",
                               valueName: "file"))
    var allowedSigners: String?

    @Flag(help: "Verify every link of the ledger chain, whatever head was saved.")
    var full = false

    @Option(help: ArgumentHelp("Save this run's ledger head to FILE, atomically, when every item passed.", valueName: "file"))
    var writeLedgerHead: String?

    @Option(help: ArgumentHelp("Save the head as a checkpoint note signed with this SSH key (ed25519; ssh-keygen -Y sign).",
                               valueName: "key"))
    var signKey: String?

    @Option(help: ArgumentHelp("Print a built-in checklist's text and exit.", valueName: "name"))
    var printChecklist: String?

    @Flag(help: "Print each item's query and bound values; connect to nothing, save nothing.")
    var dryRun = false

    func validate() throws {
        if signKey != nil && writeLedgerHead == nil {
            throw ValidationError("--sign-key signs the head that --write-ledger-head saves: give both")
        }
        if allowedSigners != nil && ledgerHead == nil {
            throw ValidationError("--allowed-signers verifies the --ledger-head file: give both")
        }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let printChecklist {
            guard let text = Checklist.builtinText(printChecklist) else {
                output.emit(.refused(Refusal("unknown_checklist",
                                             "no built-in checklist \(printChecklist) (\(Checklist.builtinNames.joined(separator: ", ")))")))
                try finish(output)
                return
            }
            output.emit(text: text, status: .ok)
            return
        }
        var request = ReadbackRequest()
        request.checklist = checklist
        request.params = param
        request.fileDigests = fileSHA256
        request.format = format
        request.ledgerHeadFile = ledgerHead
        request.allowedSigners = allowedSigners
        request.full = full
        request.saveLedgerHeadFile = writeLedgerHead
        request.signKey = signKey
        request.dryRun = dryRun
        let report = request.perform(timestamp: Int64(time(nil))) { () throws(PGError) in
            try connection.connect(tool: Self.toolName)
        }
        output.emit(text: report.stdout, status: report.status, messages: report.stderr)
        try finish(output)
    }
}
