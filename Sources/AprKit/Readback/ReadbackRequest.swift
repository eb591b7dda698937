/// One readback, start to end: load the checklist, bind its parameters, run
/// it read-only, save the ledger head when asked and every item passed, and
/// report in the chosen format. Every problem before the run (usage, a bad
/// checklist or head file, a checkpoint whose signature does not verify) is
/// found before the database is touched.
public struct ReadbackRequest {
    public var checklist = "post-grant"
    public var params: [String] = []
    public var fileDigests: [String] = []
    public var format = ReadbackFormat.json
    /// The saved head to compare the ledger with, and to verify the chain from.
    public var ledgerHeadFile: String?
    /// The allowed-signers file a signed head must verify against.
    public var allowedSigners: String?
    /// Verify every link, whatever head was saved.
    public var full = false
    /// Where to save the head read in this run, once every item has passed.
    public var saveLedgerHeadFile: String?
    /// The SSH key that signs the saved head, as a checkpoint note.
    public var signKey: String?
    public var dryRun = false

    public init() {}

    public func perform(timestamp: Int64, connect: () throws(PGError) -> Connection) -> ReadbackReport {
        let label = checklist.contains("/") || checklist == "-" ? Checklist.label(forPath: checklist) : checklist
        do throws(Refusal) {
            let list = try Checklist.load(checklist)
            // --full without a saved head verifies every link and has no
            // head to hold the ledger to: the empty head, which every ledger
            // extends.
            let head = try ledgerHeadFile.map { path throws(Refusal) in
                try SavedLedgerHead.read(from: path, allowedSigners: allowedSigners).head
            } ?? (full ? LedgerHead.genesis : nil)
            let verifyFrom = full ? nil : head.flatMap { $0.seq > 0 ? $0 : nil }
            let parameters = try ReadbackParameters(for: list, params: params, fileDigests: fileDigests,
                                                    ledgerHead: head, verifyFrom: verifyFrom)
            let verification = list.parameters.contains("ledger_verify_from_seq")
                ? ReadbackRequest.verification(full: full, from: verifyFrom) : nil
            if dryRun {
                return ReadbackReport(plan: list, parameters: parameters, wouldSaveHead: saveLedgerHeadFile,
                                      verification: verification)
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
                if let signKey {
                    let checkpoint = LedgerCheckpoint(origin: result.ledgerOrigin ?? LedgerCheckpoint.origin(firstHash: nil),
                                                      head: current, time: LedgerCheckpoint.utc(timestamp))
                    try LedgerHead.save(try checkpoint.signed(keyPath: signKey, savingTo: path), to: path)
                } else {
                    try current.write(to: path)
                }
                saved = path
            }
            return ReadbackReport(result, format: format, timestamp: timestamp, savedHead: saved, verification: verification)
        } catch {
            return ReadbackReport(error, checklist: label, format: format, timestamp: timestamp)
        }
    }

    /// How much of the chain a run verifies, as the report says it.
    static func verification(full: Bool, from checkpoint: LedgerHead?) -> String {
        if full { return "full verification: --full" }
        guard let checkpoint else { return "full verification: no saved head" }
        return "incremental verification from the saved head at seq \(checkpoint.seq)"
    }
}
