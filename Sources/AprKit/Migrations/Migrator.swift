/// The governed migration mechanism: applies migrations in version order, each
/// in one transaction with its readback assertions and its record in
/// `gov_migrations` and the ledger. Concurrent migrators queue on an advisory
/// lock, so each migration applies exactly once.
public struct Migrator {
    public enum State: String, Sendable {
        case applied, pending, changed
    }

    public struct PlanItem: Sendable {
        public let migration: Migration
        public let state: State
        public let recordedChecksum: String?

        var json: JSONObject {
            var o = [
                "version": .string(migration.version), "name": .string(migration.name),
                "checksum": .string(migration.checksum), "state": .string(state.rawValue),
            ] as JSONObject
            if let recordedChecksum, state == .changed { o["recorded_checksum"] = .string(recordedChecksum) }
            return o
        }
    }

    /// The advisory lock every migrator takes (per database): "aprk", 1.
    static let lockKey = ("1634758763", "1")

    let connection: Connection
    let lockTimeout: String

    public init(connection: Connection, lockTimeout: String = "60s") {
        self.connection = connection
        self.lockTimeout = lockTimeout
    }

    /// What applying `migrations`, in the given order, would do.
    public func plan(_ migrations: [Migration]) throws -> [PlanItem] {
        let recorded = try recordedChecksums()
        return migrations.map { m in
            switch recorded[m.version] {
            case nil: return PlanItem(migration: m, state: .pending, recordedChecksum: nil)
            case m.checksum: return PlanItem(migration: m, state: .applied, recordedChecksum: m.checksum)
            case let other: return PlanItem(migration: m, state: .changed, recordedChecksum: other)
            }
        }
    }

    /// Applies every pending migration. Refuses, before any DDL runs, when an
    /// applied migration's text has changed.
    public func apply(_ migrations: [Migration], dryRun: Bool) throws -> Outcome {
        for m in migrations { try Migrator.checkNoTransactionControl(m) }
        if dryRun {
            let items = try plan(migrations)
            return .done(["dry_run": true, "plan": .array(items.map { .object($0.json) })])
        }
        try connection.execute("SELECT set_config('lock_timeout', $1, false)", [lockTimeout])
        try connection.execute("SELECT pg_advisory_lock($1::int, $2::int)", [Migrator.lockKey.0, Migrator.lockKey.1])
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1::int, $2::int)", [Migrator.lockKey.0, Migrator.lockKey.1]) }

        let items = try plan(migrations)
        if let changed = items.first(where: { $0.state == .changed }) {
            throw Refusal(.fail, "checksum_mismatch",
                          "migration \(changed.migration.version) (\(changed.migration.name)) was applied with checksum \(changed.recordedChecksum ?? "?") but its text now hashes to \(changed.migration.checksum)",
                          details: ["plan": .array(items.map { .object($0.json) })])
        }
        var applied: [JSONValue] = []
        for item in items where item.state == .pending {
            try applyOne(item.migration)
            applied.append(.object(item.json.replacing("state", with: "applied")))
        }
        let version = items.last?.migration.version
        return .done(["applied": .array(applied), "schema_version": .string(orNull: version)],
                     unchanged: applied.isEmpty)
    }

    private func applyOne(_ m: Migration) throws {
        do {
            try connection.withTransaction { c in
                try c.executeScript(m.sql)
                try c.execute("SELECT gov_migration_record($1, $2, $3)", [m.version, m.name, m.checksum])
            }
        } catch let error as PGError where error.kind == .other || error.kind == .refusal(.fail) {
            throw Refusal(.fail, "migration_failed",
                          "migration \(m.version) (\(m.name)) failed and was rolled back: \(error.message)",
                          details: ["version": .string(m.version)])
        }
    }

    /// version → checksum of every recorded migration; empty before the first.
    func recordedChecksums() throws -> [String: String] {
        let exists = try connection.execute("SELECT to_regclass('public.gov_migrations') IS NOT NULL").value(0, 0)
        guard exists == "t" else { return [:] }
        let rows = try connection.execute("SELECT version, checksum FROM gov_migrations")
        var recorded: [String: String] = [:]
        for row in 0..<rows.rowCount { recorded[rows.value(row, 0)!] = rows.value(row, 1)! }
        return recorded
    }

    /// A migration runs inside gov-migrate's own transaction; a COMMIT or
    /// BEGIN of its own would split it and commit half of it.
    public static func checkNoTransactionControl(_ m: Migration) throws {
        let control: Set = ["BEGIN", "COMMIT", "ROLLBACK", "END", "START", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"]
        for statement in SQLScript.topLevelStatements(m.sql) {
            let word = statement.prefix { $0.isLetter }.uppercased()
            if control.contains(word) {
                throw Refusal(.dataError, "transaction_control_in_migration",
                              "migration \(m.version) (\(m.name)) controls its own transaction (\(word)); gov-migrate runs each migration in one transaction")
            }
        }
    }
}

extension JSONObject {
    func replacing(_ key: String, with value: JSONValue) -> JSONObject {
        var copy = self
        copy[key] = value
        return copy
    }
}
