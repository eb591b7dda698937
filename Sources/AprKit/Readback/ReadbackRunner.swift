/// What one item came to: the value found, whether it meets the expectation,
/// and, when the query itself could not answer, why.
public struct ItemResult: Sendable {
    public let item: Checklist.Item
    /// The expectation as the report shows it, parameters in place.
    public let expected: String
    /// The one value the query returned; nil for SQL null or no row.
    public let found: String?
    /// Why the query gave no single value: it failed, or returned several rows or columns.
    public let problem: String?
    public let ok: Bool

    init(item: Checklist.Item, parameters: [String: String?], result: QueryResult) {
        var found: String?
        var problem: String?
        if result.columnCount != 1 {
            problem = "the query returned \(result.columnCount) columns, not one"
        } else if result.rowCount > 1 {
            problem = "the query returned \(result.rowCount) rows, not one"
        } else {
            found = result.value(0, 0)
        }
        self.init(item: item, parameters: parameters, found: found, problem: problem)
    }

    init(item: Checklist.Item, parameters: [String: String?], found: String?, problem: String?) {
        self.item = item
        self.expected = item.expectation.described(parameters: parameters)
        self.found = found
        self.problem = problem
        self.ok = problem == nil && item.expectation.holds(for: found, parameters: parameters)
    }

    /// One line naming the item, what it expected and what it found.
    public var failureLine: String {
        "\(item.name): expected \(expected), \(problem.map { "but \($0)" } ?? "found \(found ?? "null")")"
    }
}

/// A checklist run: every item's result, all read in one snapshot.
public struct ReadbackResult: Sendable {
    public let checklist: Checklist
    public let items: [ItemResult]
    /// The ledger head in that snapshot, when it was asked for.
    public let ledgerHead: LedgerHead?
    /// The origin of that ledger (LedgerCheckpoint), with its head.
    public var ledgerOrigin: String?

    init(checklist: Checklist, items: [ItemResult], ledgerHead: LedgerHead?, ledgerOrigin: String? = nil) {
        self.checklist = checklist
        self.items = items
        self.ledgerHead = ledgerHead
        self.ledgerOrigin = ledgerOrigin
    }

    init(checklist: Checklist, items: [ItemResult], current: QueryResult?) {
        self.checklist = checklist
        self.items = items
        ledgerHead = current.map { LedgerHead(current: $0) }
        ledgerOrigin = current.map { LedgerCheckpoint.origin(firstHash: $0.rowCount == 1 ? $0.value(0, 2) : nil) }
    }

    public var failed: [ItemResult] { items.filter { !$0.ok } }
    public var passed: Bool { items.allSatisfy(\.ok) }
}

/// Runs a checklist read-only: one REPEATABLE READ READ ONLY transaction, so
/// every item sees the same snapshot, nothing can be written, and a hot
/// standby serves it. The items go in one round trip; a failing query fails
/// its item, not the run (the run is then read again item by item); a lost
/// connection or a snapshot conflict ends the run (and the latter is retried).
public struct ReadbackRunner {
    let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    public func run(_ checklist: Checklist, parameters: ReadbackParameters,
                    readLedgerHead: Bool = false) throws(PGError) -> ReadbackResult {
        let values = parameters.values
        return try connection.retrying { () throws(PGError) -> ReadbackResult in
            do throws(PGError) {
                return try runInOneRoundTrip(checklist, values, readLedgerHead: readLedgerHead)
            } catch where error.failsItemOnly {
                // An item's query failed, which ends a pipeline: run again item
                // by item, so that the failure fails that item only.
                return try runItemByItem(checklist, values, readLedgerHead: readLedgerHead)
            }
        }
    }

    /// Every item, and the ledger head, in one pipeline: the usual case.
    private func runInOneRoundTrip(_ checklist: Checklist, _ values: [String: String?],
                                   readLedgerHead: Bool) throws(PGError) -> ReadbackResult {
        let items = checklist.items.map { item in Statement(item.query.sql, item.query.names.map { values[$0] ?? nil }) }
        let head = readLedgerHead ? [Statement(LedgerHead.currentSQL)] : []
        let results = try connection.pipeline(
            [Statement("BEGIN ISOLATION LEVEL \(Isolation.readOnly.rawValue)")] + items + head + [Statement("ROLLBACK")])
        let answers = results.dropFirst().prefix(items.count)
        return ReadbackResult(
            checklist: checklist,
            items: zip(checklist.items, answers).map { ItemResult(item: $0, parameters: values, result: $1) },
            current: readLedgerHead ? results[items.count + 1] : nil)
    }

    private func runItemByItem(_ checklist: Checklist, _ values: [String: String?],
                               readLedgerHead: Bool) throws(PGError) -> ReadbackResult {
        try connection.execute("BEGIN ISOLATION LEVEL \(Isolation.readOnly.rawValue)")
        do throws(PGError) {
            // Queries only read, so after a failed one, rolling back to
            // this one savepoint is all it takes to go on.
            try connection.execute("SAVEPOINT readback_item")
            var results: [ItemResult] = []
            for item in checklist.items {
                let params = item.query.names.map { values[$0] ?? nil }
                do throws(PGError) {
                    let result = try connection.execute(item.query.sql, params)
                    results.append(ItemResult(item: item, parameters: values, result: result))
                } catch where error.failsItemOnly {
                    results.append(ItemResult(item: item, parameters: values, found: nil,
                                              problem: "the query failed: \(error.message)"))
                    try connection.execute("ROLLBACK TO SAVEPOINT readback_item")
                }
            }
            let head = readLedgerHead ? try connection.execute(LedgerHead.currentSQL) : nil
            try connection.execute("ROLLBACK")
            return ReadbackResult(checklist: checklist, items: results, current: head)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

extension PGError {
    /// An error the item's own query caused (a missing table, a bad cast, a
    /// denied privilege, an attempted write): it fails that item. Losing the
    /// server or the snapshot ends the whole run. An attempted write a hot
    /// standby refused, which a tool's own write reports as unavailable
    /// (read_only_sql_transaction, diagnosed), is the item's too: readback's
    /// transaction is read-only by its choice.
    var failsItemOnly: Bool {
        switch kind {
        case .refusal where endsSession: return false
        case .other, .refusal: return true
        case .unavailable where sqlstate == "25006": return true
        case .unavailable, .retryable, .temporary: return false
        }
    }
}
