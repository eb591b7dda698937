/// The staged migration that binds (or unbinds) an action type's handler:
/// the UPDATE, the assertion that it updated exactly one row, a read-back
/// that must equal the new value, and the ledger event, in the one
/// transaction gov-migrate runs it in. The assertions are RAISE EXCEPTION,
/// which no session setting switches off (plpgsql.check_asserts only
/// silences ASSERT).
public struct BindingMigration: Sendable, Equatable {
    public let actionCode: String
    /// The new handler_ref; nil unbinds.
    public let handlerRef: String?
    /// The migration's version: a database-clock timestamp (UTC, to the
    /// microsecond), so bind, unbind and bind again each apply, in order,
    /// after the bundled schema.
    public let version: String

    public init(actionCode: String, handlerRef: String?, timestamp: String) {
        self.actionCode = actionCode
        self.handlerRef = handlerRef
        version = "\(timestamp)-\(handlerRef == nil ? "unbind" : "bind")-\(actionCode)"
    }

    public var fileName: String { version + ".staged.sql" }

    /// The migration text. The values are validated names (an action code
    /// and a handler_ref, both `[a-z0-9_:-]`), quoted as SQL literals: a
    /// migration file is SQL text, with no parameters to bind.
    public var sql: String {
        let action = BindingMigration.literal(actionCode)
        let ref = handlerRef.map(BindingMigration.literal) ?? "NULL"
        let event = handlerRef == nil ? "unbind" : "bind"
        let what = handlerRef.map { "bind \(actionCode) to \($0)" } ?? "unbind \(actionCode)"
        return """
            -- handler-bind: \(what).
            -- Applied by gov-migrate's mechanism in one transaction; the assertions
            -- RAISE (never ASSERT), so no session setting can skip them.
            DO $bind$
            DECLARE
                updated integer;
                previous text;
                readback text;
            BEGIN
                SELECT handler_ref INTO previous FROM apr_action_types WHERE action_code = \(action) FOR UPDATE;
                UPDATE apr_action_types SET handler_ref = \(ref) WHERE action_code = \(action);
                GET DIAGNOSTICS updated = ROW_COUNT;
                IF updated <> 1 THEN
                    PERFORM apr_raise('handler_update_count',
                        format('UPDATE %s on apr_action_types for %s, expected UPDATE 1', updated, \(action)));
                END IF;
                SELECT handler_ref INTO readback FROM apr_action_types WHERE action_code = \(action);
                IF readback IS DISTINCT FROM \(ref) THEN
                    PERFORM apr_raise('handler_ref_not_persisted',
                        format('handler_ref of %s reads %s after the UPDATE, expected %s',
                               \(action), coalesce(readback, 'NULL'), coalesce(\(ref), 'NULL')));
                END IF;
                PERFORM gov_ledger_append('\(event)', NULL, \(action),
                    jsonb_build_object('handler_ref', \(ref)::text, 'previous', previous));
            END
            $bind$;

            """
    }

    static func literal(_ value: String) -> String {
        "'" + value.replacingAll("'", with: "''") + "'"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
