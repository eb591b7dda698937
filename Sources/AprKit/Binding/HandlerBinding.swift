import Glibc

/// handler-bind: binds or unbinds an action type's handler_ref through the
/// governed migration mechanism, never a plain UPDATE. It writes the staged
/// migration file, applies it with `Migrator`, then reads the value back on a
/// new connection: a value that did not persist is a stop condition.
public struct HandlerBinding {
    /// Where staged migration files go unless told otherwise.
    public static let defaultStagedDirectory = "/var/lib/aprkit/staged"

    let connection: Connection
    /// Opens the fresh connection the persistence check reads on.
    let reconnect: () throws -> Connection
    let arms: ArmRegistry
    let stagedDirectory: String

    public init(connection: Connection, reconnect: @escaping () throws -> Connection,
                arms: ArmRegistry = ArmRegistry(), stagedDirectory: String? = nil) {
        self.connection = connection
        self.reconnect = reconnect
        self.arms = arms
        let fromEnvironment = getenv("APRKIT_STAGED_DIR").map { String(cString: $0) }
        self.stagedDirectory = stagedDirectory ?? fromEnvironment.flatMap { $0.isEmpty ? nil : $0 }
            ?? HandlerBinding.defaultStagedDirectory
    }

    /// Binds `actionCode` to `handlerRef`, whose arm must be implemented.
    public func bind(_ actionCode: String, to handlerRef: String, dryRun: Bool) throws -> Outcome {
        guard handlerRef.utf8.count <= 128, handlerRef.split(separator: ":", omittingEmptySubsequences: false).count == 2 else {
            throw Refusal("invalid_handler_ref", "\"\(handlerRef)\" is not a handler_ref (\(ArmRegistry.executor):<arm>)")
        }
        let current = try currentBinding(of: actionCode)
        switch arms.resolve(handlerRef: handlerRef) {
        case .unresolved(let why):
            throw Refusal("arm_not_implemented", why, details: ["action_code": .string(actionCode), "handler_ref": .string(handlerRef)])
        case .builtIn(let arm) where arm.actionCode != actionCode:
            throw Refusal("arm_action_mismatch", "the built-in \(arm.name) arm executes \(arm.actionCode) APRs, not \(actionCode)",
                          details: ["action_code": .string(actionCode), "handler_ref": .string(handlerRef)])
        case .external(let handler):
            let check = handler.syntaxCheck()
            guard check.passed else {
                throw Refusal("handler_syntax_failed", "the \(handler.arm) handler fails its syntax check: \(check.message ?? "")",
                              details: ["action_code": .string(actionCode), "handler": .string(handler.path)])
            }
            // A handler file runs only as its governed deploy: binding one
            // that is not would only fail later, at its first dispatch.
            try GovernedHandler.prepare(handler, on: connection).discard()
        case .builtIn:
            break
        }
        return try apply(actionCode, handlerRef, current: current, dryRun: dryRun)
    }

    /// Unbinds `actionCode`: its APRs can no longer be executed.
    public func unbind(_ actionCode: String, dryRun: Bool) throws -> Outcome {
        try apply(actionCode, nil, current: try currentBinding(of: actionCode), dryRun: dryRun)
    }

    private func apply(_ actionCode: String, _ handlerRef: String?, current: String?, dryRun: Bool) throws -> Outcome {
        var body: JSONObject = ["action_code": .string(actionCode), "handler_ref": .string(orNull: handlerRef)]
        if current == handlerRef { return .done(body, unchanged: true) }
        body["previous"] = .string(orNull: current)
        try requireCurrentSchema()

        var migration = BindingMigration(actionCode: actionCode, handlerRef: handlerRef, timestamp: try databaseTimestamp())
        if dryRun {
            body.merge(["dry_run": true, "version": .string(migration.version),
                        "file": .string(stagedDirectory + "/" + migration.fileName), "sql": .string(migration.sql)])
            return .done(body)
        }
        var path = stagedDirectory + "/" + migration.fileName
        while true {
            do {
                try NewFile.create(path, contents: Array(migration.sql.utf8))
                break
            } catch where error.exists {
                // Two binds in one microsecond: take the next timestamp.
                migration = BindingMigration(actionCode: actionCode, handlerRef: handlerRef, timestamp: try databaseTimestamp())
                path = stagedDirectory + "/" + migration.fileName
            } catch {
                throw Refusal("staged_file_unwritable", error.description, details: body)
            }
        }
        body.merge(["version": .string(migration.version), "file": .string(path)])

        let staged = try Migration.staged(fromFile: path)
        do {
            _ = try Migrator(connection: connection).apply([staged], dryRun: false)
        } catch {
            // Never applied: set the file aside, so that a later gov-migrate
            // over the directory cannot apply it behind the operator's back.
            _ = rename(path, path + ".failed")
            throw error
        }
        body["checksum"] = .string(staged.checksum)

        // Read back on a new connection, after COMMIT: a trigger or another
        // writer may have dropped the value the transaction read back.
        let persisted = try currentBinding(of: actionCode, on: try reconnect())
        guard persisted == handlerRef else {
            body["found"] = .string(orNull: persisted)
            throw Refusal("handler_ref_not_persisted",
                          "migration \(migration.version) committed, but handler_ref of \(actionCode) reads \(persisted ?? "NULL"), not \(handlerRef ?? "NULL"); bind only through this migration path, and find what reverted it",
                          details: body)
        }
        return .done(body)
    }

    private func currentBinding(of actionCode: String, on db: Connection? = nil) throws -> String? {
        let result = try (db ?? connection).execute(
            "SELECT handler_ref FROM apr_action_types WHERE action_code = $1", [actionCode])
        guard result.rowCount == 1 else {
            throw Refusal("unknown_action", "no action type \(actionCode)", details: ["action_code": .string(actionCode)])
        }
        return result.value(0, 0)
    }

    /// A binding migration applies on top of the bundled schema, never instead of it.
    private func requireCurrentSchema() throws {
        let pending = try Migrator(connection: connection).plan(Migration.bundled).filter { $0.state != .applied }
        if let first = pending.first {
            throw Refusal("schema_not_current",
                          "schema migration \(first.migration.version) (\(first.migration.name)) is \(first.state.rawValue); run gov-migrate first")
        }
    }

    private func databaseTimestamp() throws -> String {
        try connection.execute(
            #"SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISSUS')"#).value(0, 0) ?? "0"
    }
}
