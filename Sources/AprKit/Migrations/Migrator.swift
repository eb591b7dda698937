/// The governed migration mechanism: applies migrations in order, each in
/// one transaction with its readback assertions and its record in
/// `gov_migrations` (or `gov_repeatables`) and the ledger. Versioned and
/// staged migrations apply once; a repeatable file applies again whenever
/// its bytes change. Concurrent migrators queue on an advisory lock, so each
/// migration applies exactly once.
public struct Migrator {
    public enum State: String, Sendable {
        /// Recorded with the checksum of its bytes: nothing to do.
        case applied
        /// Not recorded: applies now.
        case pending
        /// A versioned or staged migration recorded with another checksum:
        /// refused, before any DDL runs.
        case changed
        /// A repeatable file whose bytes changed since it was recorded: applies again.
        case outdated
        /// Recorded by the first release, whose checksum was the sha256 of
        /// the sha256 digest: recorded again with the sha256 of the bytes.
        case firstReleaseChecksum = "first_release_checksum"
        /// A repeatable file a newer aprkit applied: refused, never rolled back.
        case newer
    }

    public struct PlanItem: Sendable {
        public let migration: Migration
        public let state: State
        public let recordedChecksum: String?

        var json: JSONObject {
            var o = [
                "version": .string(migration.version), "name": .string(migration.name),
                "kind": .string(migration.kind.rawValue), "checksum": .string(migration.checksum),
                "state": .string(state.rawValue),
            ] as JSONObject
            if let recordedChecksum, state != .applied, state != .pending {
                o["recorded_checksum"] = .string(recordedChecksum)
            }
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
        try plan(migrations, recorded: try records())
    }

    private func plan(_ migrations: [Migration], recorded: [String: Record]) -> [PlanItem] {
        migrations.map { m in
            let key = m.kind == .repeatable ? "repeatable:" + m.version : m.version
            let record = recorded[key]
            let state: State
            switch record?.checksum {
            case nil: state = .pending
            case m.checksum: state = .applied
            case m.firstReleaseChecksum where m.kind != .repeatable: state = .firstReleaseChecksum
            default:
                if m.kind != .repeatable {
                    state = .changed
                } else if let by = record?.aprkitVersion, versionIsNewer(by, than: aprkitVersion) {
                    state = .newer
                } else {
                    state = .outdated
                }
            }
            return PlanItem(migration: m, state: state, recordedChecksum: record?.checksum)
        }
    }

    /// Applies every pending migration and every outdated repeatable file.
    /// Refuses, before any DDL runs, when an applied migration's bytes have
    /// changed.
    public func apply(_ migrations: [Migration], dryRun: Bool) throws -> Outcome {
        for m in migrations { try Migrator.checkNoTransactionControl(m) }
        if dryRun {
            let items = try plan(migrations)
            return .done(["dry_run": true, "plan": .array(items.map { .object($0.json) })])
        }
        try connection.execute("SELECT set_config('lock_timeout', $1, false)", [lockTimeout])
        try takeLock()
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1::int, $2::int)", [Migrator.lockKey.0, Migrator.lockKey.1]) }

        let recorded = try records()
        let items = plan(migrations, recorded: recorded)
        try refuseNewerSchema(items, recorded: recorded)
        if let changed = items.first(where: { $0.state == .changed }) {
            throw Refusal("checksum_mismatch",
                          "migration \(changed.migration.version) (\(changed.migration.name)) was applied with checksum \(changed.recordedChecksum ?? "?") but its bytes now hash to \(changed.migration.checksum)",
                          details: ["plan": .array(items.map { .object($0.json) })])
        }
        var applied: [JSONValue] = []
        for item in items where item.state == .pending || item.state == .outdated {
            try applyOne(item.migration)
            applied.append(.object(item.json.replacing("state", with: "applied")))
        }
        // After the files, whose migrations.sql brings the function that does it.
        var rechecksummed: [JSONValue] = []
        for item in items where item.state == .firstReleaseChecksum {
            try recordChecksum(of: item.migration)
            rechecksummed.append(.object(item.json))
        }
        let fingerprinted = try recordFingerprint(afterChanging: !applied.isEmpty || !rechecksummed.isEmpty)
        let version = items.last { $0.migration.kind == .versioned }?.migration.version
        var body: JSONObject = ["applied": .array(applied), "schema_version": .string(orNull: version)]
        if !rechecksummed.isEmpty { body["rechecksummed"] = .array(rechecksummed) }
        if let fingerprinted { body["schema_fingerprint"] = .string(fingerprinted) }
        return .done(body, unchanged: applied.isEmpty && rechecksummed.isEmpty && fingerprinted == nil)
    }

    /// Queues on the migration lock; when lock_timeout runs out first, the
    /// refusal names the session that holds it, so the operator knows whom
    /// to wait for (or what to end).
    private func takeLock() throws {
        do {
            try connection.execute("SELECT pg_advisory_lock($1::int, $2::int)", [Migrator.lockKey.0, Migrator.lockKey.1])
        } catch {
            guard error.kind == .temporary else { throw error }
            let holder = try? connection.execute("""
                SELECT format('pid %s, role %s, application %s, since %s', a.pid, a.usename,
                              coalesce(nullif(a.application_name, ''), '?'), a.xact_start)
                  FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                   AND l.classid = $1::int::oid AND l.objid = $2::int::oid
                 LIMIT 1
                """, [Migrator.lockKey.0, Migrator.lockKey.1]).value(0, 0)
            throw Refusal("database_busy",
                          "another migration holds the migration lock (\(holder ?? "holder not visible to this role")) past lock_timeout \(lockTimeout); re-run when it has finished",
                          details: ["holder": .string(orNull: holder)])
        }
    }

    /// Records the schema's fingerprint in the ledger (the ledger checklist
    /// holds the schema to it) when this run changed the schema, or when the
    /// ledger has none yet, and returns it then. A run that applied nothing
    /// records nothing: a schema changed behind gov-migrate stays a failed
    /// readback item until it is put back, never accepted by a routine run.
    private func recordFingerprint(afterChanging changed: Bool) throws -> String? {
        let c = connection
        try resetSession()
        try c.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            let current = try c.execute(String(decoding: Schema.schemaFingerprintQuery, as: UTF8.self)).value(0, 0)
            let recorded = try c.execute(
                "SELECT payload ->> 'sha256' FROM public.gov_ledger WHERE event = 'schema_fingerprint' ORDER BY seq DESC LIMIT 1")
            guard let current, recorded.rowCount == 0 || (changed && recorded.value(0, 0) != current) else {
                try c.execute("COMMIT")
                return nil
            }
            try c.execute("SELECT public.gov_ledger_append('schema_fingerprint', NULL, NULL, pg_catalog.jsonb_build_object('sha256', $1::text))",
                          [current])
            try c.execute("COMMIT")
            return current
        } catch {
            if c.transactionStatus != .idle { _ = try? c.execute("ROLLBACK") }
            throw error
        }
    }

    /// Every file starts from the same session: what a file SET for the
    /// session (a search_path, standard_conforming_strings off) is reset, so
    /// it cannot change how the next file is read or whose function records
    /// it.
    private func resetSession() throws {
        try connection.executeScript("RESET ALL; SET search_path = public, pg_temp; SET standard_conforming_strings = on")
        try connection.execute("SELECT set_config('lock_timeout', $1, false)", [lockTimeout])
    }

    /// Applies one file in a transaction of its own: the mark of the governed
    /// mechanism's writes, the file and its record, committed only when the
    /// server confirms COMMIT, and recorded only when the transaction is still
    /// the one gov-migrate opened (a file can end it with a COMMIT that the
    /// check before it missed: then what it committed is reported, never
    /// called rolled back).
    private func applyOne(_ m: Migration) throws {
        let c = connection
        try resetSession()
        try c.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        let opened: String?
        do {
            opened = try c.execute(
                "SELECT pg_catalog.txid_current()::text, pg_catalog.set_config('aprkit.writer', 'on', true)").value(0, 0)
        } catch {
            _ = try? c.execute("ROLLBACK")
            throw error
        }
        let run = c.runScript(m.sql)
        if leftTransaction(run, opened: opened) {
            if c.transactionStatus != .idle { _ = try? c.execute("ROLLBACK") }
            throw escaped(m, run)
        }
        do {
            if let error = run.error { throw error }
            if m.kind == .repeatable {
                try c.execute("SELECT public.gov_repeatable_record($1, $2, $3)", [m.version, m.checksum, aprkitVersion])
            } else {
                try c.execute("SELECT public.gov_migration_record($1, $2, $3)", [m.version, m.name, m.checksum])
            }
            let tag = try c.execute("COMMIT").commandTag
            guard tag == "COMMIT" else {
                throw PGError(kind: .other, sqlstate: nil, message: "the server did not confirm COMMIT (it answered \(tag))")
            }
        } catch {
            if c.transactionStatus != .idle { _ = try? c.execute("ROLLBACK") }
            if let error = error as? PGError, error.kind == .other || error.kind == .refusal(.fail) {
                throw Refusal("migration_failed",
                              "migration \(m.version) (\(m.name)) failed and was rolled back: \(error.message)",
                              details: ["version": .string(m.version)])
            }
            throw error
        }
    }

    /// The command tags of the statements that end or open a transaction
    /// (END answers COMMIT; ABORT, and COMMIT in a failed transaction, ROLLBACK).
    static let transactionTags: Set = ["BEGIN", "START TRANSACTION", "COMMIT", "ROLLBACK", "PREPARE TRANSACTION"]

    /// Whether the file's script left the transaction gov-migrate opened for
    /// it: the session is in no transaction (an error after a COMMIT leaves it
    /// idle, not failed), or in another one (its id changed); in a failed one,
    /// which answers no question, or when the connection is lost, the server's
    /// own account says so: a statement of the file ended or opened one.
    private func leftTransaction(_ run: ScriptRun, opened: String?) -> Bool {
        let ended = run.commandTags.contains { Migrator.transactionTags.contains($0) }
        switch connection.transactionStatus {
        case .idle:
            return true
        case .inTransaction:
            guard let now = try? connection.execute("SELECT pg_catalog.txid_current()::text").value(0, 0) else { return ended }
            return opened == nil || now != opened
        case .inError, .active, .unknown:
            return ended
        }
    }

    /// A STOP: the file ended gov-migrate's transaction, so what it ran up to
    /// its COMMIT may be committed; the migration is not recorded.
    private func escaped(_ m: Migration, _ run: ScriptRun) -> Refusal {
        var details: JSONObject = ["version": .string(m.version), "name": .string(m.name), "recorded": false]
        let control = run.commandTags.filter { Migrator.transactionTags.contains($0) }
        if !control.isEmpty { details["transaction_control"] = .array(control.map { .string($0) }) }
        if let error = run.error { details["error"] = .string(error.message) }
        let after = run.error == nil ? " (and those after it, as the file ran to its end)" : ""
        return Refusal("migration_escaped_transaction",
                       "migration \(m.version) (\(m.name)) ended gov-migrate's transaction: the statements before its COMMIT\(after) may have been committed and must be checked and undone by hand; the migration was NOT recorded",
                       details: details)
    }

    /// Records the sha256 of the bytes where the first release recorded the
    /// sha256 of their digest (the bytes are the same: both hashes agree).
    private func recordChecksum(of m: Migration) throws {
        try connection.withTransaction { c in
            try c.execute("SELECT pg_catalog.set_config('aprkit.writer', 'on', true)")
            try c.execute("SELECT public.gov_migration_rechecksum($1, $2, $3)",
                          [m.version, m.firstReleaseChecksum, m.checksum])
        }
    }

    struct Record {
        let checksum: String
        /// The aprkit that applied a repeatable file (nil for a migration).
        let aprkitVersion: String?
    }

    /// Every recorded migration by version, and every recorded repeatable
    /// file by "repeatable:NAME"; empty before the first.
    func records() throws -> [String: Record] {
        let exists = try connection.execute("""
            SELECT to_regclass('public.gov_migrations') IS NOT NULL, to_regclass('public.gov_repeatables') IS NOT NULL
            """)
        var recorded: [String: Record] = [:]
        guard exists.value(0, 0) == "t" else { return recorded }
        let rows = try connection.execute(exists.value(0, 1) == "t"
            ? "SELECT version, checksum, NULL FROM public.gov_migrations UNION ALL SELECT 'repeatable:' || name, checksum, aprkit_version FROM public.gov_repeatables"
            : "SELECT version, checksum, NULL FROM public.gov_migrations")
        for row in 0..<rows.rowCount {
            recorded[rows.value(row, 0)!] = Record(checksum: rows.value(row, 1)!, aprkitVersion: rows.value(row, 2))
        }
        return recorded
    }

    /// A database a newer aprkit migrated is never touched by an older one:
    /// it would roll the newer functions back to its own.
    private func refuseNewerSchema(_ items: [PlanItem], recorded: [String: Record]) throws {
        let known = Set(Schema.versioned.map(\.version))
        let unknown = recorded.keys.filter { key in
            !known.contains(key) && key.allSatisfy { $0 >= "0" && $0 <= "9" }
        }.sorted()
        let newerFiles = items.filter { $0.state == .newer }.map(\.migration.version)
        guard unknown.isEmpty && newerFiles.isEmpty else {
            throw Refusal("schema_newer",
                          "the database holds \((unknown.map { "migration " + $0 } + newerFiles).joined(separator: ", ")), applied by an aprkit newer than this one (\(aprkitVersion)); run the newer gov-migrate",
                          details: ["plan": .array(items.map { .object($0.json) })])
        }
    }

    /// A migration runs inside gov-migrate's own transaction; a COMMIT or
    /// BEGIN of its own would split it and commit half of it. Refused before
    /// anything runs; should one slip past (the script is read as the server
    /// reads it with standard_conforming_strings on), the file's transaction
    /// is checked again before it is recorded.
    public static func checkNoTransactionControl(_ m: Migration) throws {
        let control: Set = ["BEGIN", "COMMIT", "ROLLBACK", "END", "START", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"]
        for statement in SQLScript.topLevelStatements(m.sql) {
            let word = statement.prefix { $0.isLetter }.uppercased()
            if control.contains(word) {
                throw Refusal("transaction_control_in_migration",
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
