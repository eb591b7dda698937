/// One readback, start to end: load the checklist, bind its parameters, run
/// it read-only, save the ledger head when asked and every item passed, and
/// report in the chosen format. Every problem before the run (usage, a bad
/// checklist or head file) is found before the database is touched.
public struct ReadbackRequest {
    public var checklist = "post-grant"
    public var params: [String] = []
    public var fileDigests: [String] = []
    public var format = ReadbackFormat.json
    /// The saved head to compare the ledger with.
    public var ledgerHeadFile: String?
    /// Where to save the head read in this run, once every item has passed.
    public var saveLedgerHeadFile: String?
    public var dryRun = false

    public init() {}

    public func perform(timestamp: Int64, connect: () throws(PGError) -> Connection) -> ReadbackReport {
        let label = checklist.contains("/") || checklist == "-" ? Checklist.label(forPath: checklist) : checklist
        do throws(Refusal) {
            let list = try Checklist.load(checklist)
            let head = try ledgerHeadFile.map { path throws(Refusal) in try LedgerHead.read(from: path) }
            let parameters = try ReadbackParameters(for: list, params: params, fileDigests: fileDigests, ledgerHead: head)
            if dryRun {
                return ReadbackReport(plan: list, parameters: parameters, wouldSaveHead: saveLedgerHeadFile)
            }
            let result: ReadbackResult
            do throws(PGError) {
                result = try ReadbackRunner(connection: try connect())
                    .run(list, parameters: parameters, readLedgerHead: saveLedgerHeadFile != nil)
            } catch {
                throw Refusal(error)
            }
            var saved: String?
            if let path = saveLedgerHeadFile, let current = result.ledgerHead, result.passed {
                try current.write(to: path)
                saved = path
            }
            return ReadbackReport(result, format: format, timestamp: timestamp, savedHead: saved)
        } catch {
            return ReadbackReport(error, checklist: label, format: format, timestamp: timestamp)
        }
    }
}
