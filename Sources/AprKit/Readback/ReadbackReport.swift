/// How readback prints: JSON lines (one an item, then a summary), TAP for
/// `prove`, or the Prometheus textfile format for node_exporter.
public enum ReadbackFormat: String, Sendable, CaseIterable {
    case json, tap, prom
}

/// What readback prints and how it exits: stdout in the chosen format, one
/// stderr line per failed item (and one for the run), and the exit status.
public struct ReadbackReport: Sendable {
    public var stdout: String
    public var stderr: [String]
    public var status: ExitStatus

    /// The report of a completed run. `savedHead` is the file the ledger head
    /// was saved to, if it was; `verification` says how much of the ledger
    /// chain was verified, when the checklist verifies it.
    public init(_ result: ReadbackResult, format: ReadbackFormat, timestamp: Int64, savedHead: String? = nil,
                verification: String? = nil) {
        let failed = result.failed
        status = failed.isEmpty ? .ok : .fail
        stderr = failed.map(\.failureLine)
        var summary: JSONObject = [
            "checklist": .string(result.checklist.name), "items": .integer(Int64(result.items.count)),
            "passed": .integer(Int64(result.items.count - failed.count)), "failed": .integer(Int64(failed.count)),
        ]
        if let head = result.ledgerHead {
            summary["ledger_head"] = .object(head.json)
            summary["ledger_head_saved"] = .string(orNull: savedHead)
        }
        if let verification { summary["ledger_verification"] = .string(verification) }
        let outcome: Outcome
        if failed.isEmpty {
            outcome = .done(summary)
        } else {
            summary["failed_items"] = .array(failed.map { .string($0.item.name) })
            outcome = .refused(Refusal("readback_failed",
                                       "\(failed.count) of \(result.items.count) items of \(result.checklist.name) failed: \(failed.map(\.item.name).joined(separator: ", "))",
                                       details: summary))
        }
        stderr += outcome.message.map { [$0] } ?? []

        switch format {
        case .json:
            stdout = result.items.map { ReadbackReport.json($0).serialized() + "\n" }.joined()
                + outcome.body.serialized() + "\n"
        case .tap:
            stdout = ReadbackReport.tap(result.items) + (verification.map { "# ledger: \($0)\n" } ?? "")
        case .prom:
            stdout = Prometheus(checklist: result.checklist.name)
                .report(items: result.items, status: status, timestamp: timestamp)
        }
    }

    /// The report of a run that could not happen (bad usage, bad checklist,
    /// the database out of reach), in the chosen format: a JSON refusal, a TAP
    /// bail-out, or the run's metrics without items.
    public init(_ refusal: Refusal, checklist: String, format: ReadbackFormat, timestamp: Int64) {
        let outcome = Outcome.refused(refusal)
        status = refusal.status
        stderr = outcome.message.map { [$0] } ?? []
        switch format {
        case .json: stdout = outcome.body.serialized() + "\n"
        case .tap: stdout = "TAP version 13\nBail out! \(refusal.message) (\(refusal.reason))\n"
        case .prom: stdout = Prometheus(checklist: checklist).report(items: [], status: status, timestamp: timestamp)
        }
    }

    /// The dry run's plan, always JSON lines: each item's query as it would
    /// be sent and the values bound to it; nothing is run, nothing is written.
    public init(plan checklist: Checklist, parameters: ReadbackParameters, wouldSaveHead: String?,
                verification: String? = nil) {
        status = .ok
        stderr = []
        stdout = checklist.items.map { item in
            let params = item.query.names.map { JSONValue.string(orNull: parameters.values[$0] ?? nil) }
            let line: JSONObject = [
                "item": .string(item.name), "expected": .string(item.expectation.described(parameters: parameters.values)),
                "sql": .string(item.query.sql), "params": .array(params),
            ]
            return line.serialized() + "\n"
        }.joined()
        var summary: JSONObject = ["dry_run": true, "checklist": .string(checklist.name), "items": .integer(Int64(checklist.items.count))]
        if let wouldSaveHead { summary["would_save_ledger_head"] = .string(wouldSaveHead) }
        if let verification { summary["ledger_verification"] = .string(verification) }
        stdout += Outcome.done(summary).body.serialized() + "\n"
    }

    static func json(_ r: ItemResult) -> JSONObject {
        var line: JSONObject = [
            "item": .string(r.item.name), "ok": .bool(r.ok), "expected": .string(r.expected), "found": .string(orNull: r.found),
        ]
        if let problem = r.problem { line["problem"] = .string(problem) }
        return line
    }

    /// TAP version 13: a plan, a line an item, and for a failure a YAML block
    /// saying what was expected and found (JSON strings are YAML scalars).
    static func tap(_ items: [ItemResult]) -> String {
        var out = "TAP version 13\n1..\(items.count)\n"
        for (index, r) in items.enumerated() {
            out += "\(r.ok ? "ok" : "not ok") \(index + 1) - \(r.item.name)\n"
            guard !r.ok else { continue }
            out += "  ---\n"
            out += "  expected: \(JSONValue.string(r.expected).serialized())\n"
            out += "  found: \(JSONValue.string(orNull: r.found).serialized())\n"
            if let problem = r.problem { out += "  problem: \(JSONValue.string(problem).serialized())\n" }
            out += "  ...\n"
        }
        return out
    }
}

/// The Prometheus text exposition format, as the node_exporter textfile
/// collector reads it: one gauge per item, and the run's own gauges.
struct Prometheus {
    let checklist: String

    func report(items: [ItemResult], status: ExitStatus, timestamp: Int64) -> String {
        let run = "checklist=\"\(Prometheus.escaped(checklist))\""
        var out = ""
        if !items.isEmpty {
            out += Prometheus.header("aprkit_readback_item_ok", "1 when the readback item passed, 0 when it failed.")
            for r in items {
                out += "aprkit_readback_item_ok{\(run),item=\"\(Prometheus.escaped(r.item.name))\"} \(r.ok ? 1 : 0)\n"
            }
            out += Prometheus.header("aprkit_readback_items_failed", "Items that failed in the last run.")
            out += "aprkit_readback_items_failed{\(run)} \(items.filter { !$0.ok }.count)\n"
        }
        out += Prometheus.header("aprkit_readback_exit_status", "Exit status of the last run: 0 all passed, 1 an item failed, 69 database unreachable.")
        out += "aprkit_readback_exit_status{\(run)} \(status.rawValue)\n"
        out += Prometheus.header("aprkit_readback_last_run_timestamp_seconds", "When the last run ended, in seconds since the epoch.")
        out += "aprkit_readback_last_run_timestamp_seconds{\(run)} \(timestamp)\n"
        return out
    }

    static func header(_ metric: String, _ help: String) -> String {
        "# HELP \(metric) \(help)\n# TYPE \(metric) gauge\n"
    }

    /// A label value: backslash, double quote and newline escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
