/// apr-execute: dispatches an approved APR to the arm bound to its action
/// type, exactly once. The session holds the APR's dispatch lock (a session
/// advisory lock) while it acts, so executors on any number of hosts
/// dispatch an APR once between them; the database records the dispatch and
/// settles the APR.
public final class Dispatcher {
    let connection: Connection
    let arms: ArmRegistry
    /// Syntax checks already run, by handler path: a drain checks each handler once.
    private var checked: [String: ExternalHandler.SyntaxCheck] = [:]

    /// `lockWaitSeconds` bounds the wait for another executor that is
    /// dispatching the same APR (then: dispatch_in_progress, exit 75).
    public init(connection: Connection, arms: ArmRegistry = ArmRegistry(), lockWaitSeconds: Int = 60) throws {
        self.connection = connection
        self.arms = arms
        try connection.execute("SELECT set_config('lock_timeout', $1, false)", ["\(max(1, lockWaitSeconds))s"])
    }

    /// Dispatches one APR named on the command line or by a record.
    public func execute(_ request: DispatchRequest) throws -> Outcome {
        try lock(request.aprCode)
        defer { unlock(request.aprCode) }
        return try executeLocked(request)
    }

    /// Dispatches every approved APR, one at a time, each taken with FOR
    /// UPDATE SKIP LOCKED and its dispatch lock; `emit` gets each outcome.
    /// Each APR is tried once per run.
    public func drainPending(_ emit: (Outcome) -> Void) throws {
        var seen: [String] = []
        while true {
            let next = Statement("SELECT apr_dispatch_next($1::text[])", ["{" + seen.joined(separator: ",") + "}"])
            let code = try connection.retrying { () throws(PGError) in
                try connection.transaction([next])[0].value(0, 0)
            }
            guard let code else { return }
            let outcome = Outcome.catching { try executeLocked(DispatchRequest(aprCode: code)) }
            unlock(code)
            seen.append(code)
            emit(outcome)
        }
    }

    /// The approved APRs, oldest first: what --pending would take.
    public func approvedCodes() throws -> [String] {
        let rows = try connection.execute(
            "SELECT apr_code FROM apr_requests WHERE status = 'approved' ORDER BY created_at, apr_code")
        return (0..<rows.rowCount).compactMap { rows.value($0, 0) }
    }

    /// What apr-execute would do with the APR, whatever its state; reads only.
    public func dryRun(_ request: DispatchRequest) throws -> Outcome {
        guard let plan = try DispatchPlan.read(request.aprCode, on: connection) else {
            try refuse("unknown_apr", request.aprCode)
        }
        var blocked = plan.blockedBy
        var kind: JSONValue = .null
        if let ref = plan.handlerRef {
            switch arms.resolve(handlerRef: ref) {
            case .builtIn:
                kind = "built-in"
            case .external(let handler):
                kind = "external"
                if !syntaxCheck(handler).passed { blocked.append("handler_syntax_failed") }
            case .unresolved:
                blocked.append("arm_not_implemented")
            }
        }
        return .done([
            "apr_code": .string(plan.aprCode), "dry_run": true, "would_dispatch": .string(orNull: plan.handlerRef),
            "arm": .string(orNull: plan.handlerRef.flatMap(ArmRegistry.arm(of:))), "arm_kind": kind,
            "eligible": .bool(blocked.isEmpty), "blocked_by": .array(blocked.map { .string($0) }),
            "status": .string(plan.status), "quorum_passed": .bool(plan.quorumPassed),
        ])
    }

    /// The dispatch itself; the caller holds the APR's dispatch lock.
    private func executeLocked(_ request: DispatchRequest) throws -> Outcome {
        let code = request.aprCode
        guard var plan = try DispatchPlan.read(code, on: connection) else { try refuse("unknown_apr", code) }
        if plan.hasUnsettledDispatch {
            // Throws the STOP, unless the arm settled the dispatch meanwhile:
            // then what it settled is read afresh.
            try settleInterrupted(plan)
            guard let settled = try DispatchPlan.read(code, on: connection) else { try refuse("unknown_apr", code) }
            plan = settled
        }
        let resolution = plan.handlerRef.map(arms.resolve(handlerRef:))
        if plan.status == "applied" {
            // A built-in arm answers a repeat itself ("already done").
            if case .builtIn(let arm)? = resolution { return try dispatch(request, to: arm, plan) }
            return .done(["apr_code": .string(code), "status": "applied", "handler_ref": .string(orNull: plan.handlerRef),
                          "apr_result": plan.apr["result"] ?? .null], unchanged: true)
        }
        if let first = plan.blockedBy.first { try refuse(first, code) }
        switch resolution {
        case nil:
            try refuse("handler_unbound", code)
        case .unresolved(let why)?:
            throw Refusal("arm_not_implemented", why,
                          details: ["apr_code": .string(code), "handler_ref": .string(orNull: plan.handlerRef)])
        case .builtIn(let arm)?:
            return try dispatch(request, to: arm, plan)
        case .external(let handler)?:
            return try ExternalDispatch(connection: connection, handler: handler, plan: plan)
                .run(syntaxCheck: syntaxCheck(handler))
        }
    }

    private func dispatch(_ request: DispatchRequest, to arm: any BuiltInArm, _ plan: DispatchPlan) throws -> Outcome {
        var outcome = try arm.dispatch(request, connection: connection)
        if outcome.status == .ok {
            outcome.body["handler_ref"] = .string(orNull: plan.handlerRef)
            outcome.body["arm"] = .string(arm.name)
            outcome.body = outcome.body.ordered(["ok", "unchanged", "apr_code", "handler_ref", "arm"])
        }
        return outcome
    }

    private func settleInterrupted(_ plan: DispatchPlan) throws {
        try settleInterruptedDispatch(of: plan.aprCode, plan.dispatch, on: connection)
    }

    private func syntaxCheck(_ handler: ExternalHandler) -> ExternalHandler.SyntaxCheck {
        if let known = checked[handler.path] { return known }
        let check = handler.syntaxCheck()
        checked[handler.path] = check
        return check
    }

    /// Waits (up to the lock timeout) for the APR's dispatch lock.
    private func lock(_ aprCode: String) throws {
        // (A `catch where` here crashes the Swift 6.3 compiler; hence the if.)
        do {
            try connection.execute("SELECT apr_dispatch_lock($1)", [aprCode])
        } catch {
            guard error.sqlstate == "55P03" else { throw error }
            throw Refusal("dispatch_in_progress",
                          "another executor is dispatching \(aprCode); re-run when it is done",
                          details: ["apr_code": .string(aprCode)])
        }
    }

    private func unlock(_ aprCode: String) {
        _ = try? connection.execute("SELECT apr_dispatch_unlock($1)", [aprCode])
    }

    /// Raises the database's refusal for `reason` (its status and message
    /// are defined once, in apr_refuse).
    private func refuse(_ reason: String, _ aprCode: String) throws -> Never {
        try connection.execute("SELECT apr_refuse($1, $2)", [reason, aprCode])
        throw Refusal("internal_error", "apr_refuse did not refuse \(reason)")
    }
}

/// Settles a dispatch whose dispatcher died (this session got its lock, and
/// no outcome was recorded): the APR fails, the handler never runs again,
/// and the STOP says so. Returns, instead, when the arm itself settled the
/// dispatch meanwhile.
func settleInterruptedDispatch(of aprCode: String, _ dispatch: JSONObject?, on connection: Connection) throws {
    let at = dispatch?["dispatched_at"]?.stringValue ?? "?"
    let ref = dispatch?["handler_ref"]?.stringValue ?? "its handler"
    let message = "the dispatch of \(aprCode) to \(ref) at \(at) was never settled: its dispatcher died while the handler ran; the APR is now failed and the handler is not run again; check what the handler did"
    let result: JSONObject = ["reason": "dispatch_interrupted", "message": .string(message)]
    let settled = try connection.jsonObject(
        "SELECT apr_dispatch_settle($1, 'interrupted', NULL, $2::jsonb)", [aprCode, result.serialized()],
        readOnly: false)
    if settled["already_settled"] == .bool(true) { return }
    throw Refusal("dispatch_interrupted", message,
                  details: ["apr_code": .string(aprCode), "dispatch": settled["dispatch"] ?? .null])
}
