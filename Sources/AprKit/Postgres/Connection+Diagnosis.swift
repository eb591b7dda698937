import CLibPQ

extension Connection {
    /// What an error means when its cause is the database or the role rather
    /// than the request: a database without the aprkit schema (an aprkit
    /// function or table that does not exist, and no apr_requests) is
    /// schema_missing (exit 69), and a permission the server denied to a
    /// role that lacks its group role is not_a_proposer, not_an_approver,
    /// not_an_executor or not_a_reader (exit 1), each naming the next step.
    /// A write refused as read-only by a hot standby is database_unavailable
    /// (exit 69; see `standbyRefusal`). It costs one query, on these errors
    /// only, and only outside a transaction (inside one, the error stands as
    /// it is: readback's items run in a read-only transaction of its own).
    /// Every other error is returned as it is.
    func diagnosed(_ error: PGError) -> PGError {
        if error.sqlstate == "25006", PQtransactionStatus(handle) == PQTRANS_IDLE, let standby = standbyRefusal(error) {
            return standby
        }
        let missing = error.sqlstate == "42883" || error.sqlstate == "42P01"
        let denied = error.sqlstate == "42501"
        guard explainsErrors, missing || denied, PQtransactionStatus(handle) == PQTRANS_IDLE else { return error }
        let role = denied ? GroupRoles.role(deniedIn: error.message, tool: tool) : nil
        if denied && role == nil { return error }
        // The failed statement's transaction took the pin with it when it
        // was the session's first: the diagnosis runs pinned too.
        guard (try? pinSearchPathIfNeeded()) != nil else { return error }
        let sql = """
            SELECT pg_catalog.to_regclass('public.apr_requests') IS NOT NULL,
                   CASE WHEN $1::text IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1) THEN false
                        ELSE pg_catalog.pg_has_role(session_user, $1, 'MEMBER') END
            """
        let raw = withCStringArray([role]) { p in PQexecParams(handle, sql, 1, nil, p, nil, nil, 0) }
        guard let raw else { return error }
        let result = QueryResult(owning: raw)
        guard result.status == PGRES_TUPLES_OK, result.rowCount == 1 else { return error }
        let installed = result.value(0, 0) == "t"
        if missing {
            if installed { return error }
            return PGError(kind: .refusal(.unavailable), sqlstate: Reasons.registry["schema_missing"], message: "schema_missing",
                           detail: "the aprkit schema is not installed in database \(database) on \(host): run gov-migrate")
        }
        guard let role, result.value(0, 1) == "f", let reason = GroupRoles.reasons[role] else { return error }
        return PGError(kind: .refusal(.fail), sqlstate: Reasons.registry[reason], message: reason,
                       detail: GroupRoles.detail(user: user, role: role, denied: error.message))
    }

    /// A write refused as read-only (25006) by a server in recovery: a hot
    /// standby, because the primary failed over and this server is not
    /// promoted yet, or because the conninfo names a standby. The server
    /// that takes writes was not reached: unavailable (exit 69), as libpq's
    /// own target_session_attrs=read-write check reports it, never an
    /// internal error; the re-run, once a primary answers, does the work.
    private func standbyRefusal(_ error: PGError) -> PGError? {
        guard let raw = PQexec(handle, "SELECT pg_catalog.pg_is_in_recovery()") else { return nil }
        let result = QueryResult(owning: raw)
        guard result.status == PGRES_TUPLES_OK, result.rowCount == 1, result.value(0, 0) == "t" else { return nil }
        return PGError(kind: .unavailable, sqlstate: error.sqlstate,
                       message: "\(host) is a hot standby, which takes no writes (\(error.message)): "
                           + "connect to the primary, or name every host with target_session_attrs=read-write")
    }

    /// Whether `diagnosed` may run a query for `error` (a caller in
    /// pipeline mode leaves it first).
    func mayDiagnose(_ error: PGError) -> Bool {
        error.sqlstate == "25006" || (explainsErrors && ["42883", "42P01", "42501"].contains(error.sqlstate))
    }
}
