/// apr-execute: dispatches an approved APR to the arm bound to its action
/// type, exactly once. A built-in arm is one database function that makes
/// the effect, records the attempt and moves the APR in one transaction
/// (two round trips: the plan, then the arm). An external handler runs
/// under the APR's dispatch lock (a session advisory lock), so executors on
/// any number of hosts dispatch an APR once between them, and its attempt
/// is fenced by its attempt number.
public final class Dispatcher {
    let connection: Connection
    let arms: ArmRegistry
    /// Run again an APR whose last external attempt is indeterminate (the
    /// operator's decision, never taken on its own).
    let retry: Bool

    /// `lockWaitSeconds` bounds the wait for another executor that is
    /// dispatching the same APR (then: dispatch_in_progress, exit 75).
    public init(connection: Connection, arms: ArmRegistry = ArmRegistry(), lockWaitSeconds: Int = 60,
                retry: Bool = false) throws {
        self.connection = connection
        self.arms = arms
        self.retry = retry
        try connection.execute("SELECT set_config('lock_timeout', $1, false)", ["\(max(1, lockWaitSeconds))s"])
    }

    /// Dispatches one APR named on the command line or by a record.
    public func execute(_ request: DispatchRequest) throws -> Outcome {
        try dispatch(request, locked: false)
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
            let outcome = Outcome.catching { try dispatch(DispatchRequest(aprCode: code), locked: true) }
            unlock(code)
            seen.append(code)
            emit(outcome)
        }
    }

    /// The approved APRs not past their expiry, the closest to it first: what
    /// --pending would take, in its order (apr_dispatch_next).
    public func approvedCodes() throws -> [String] {
        let rows = try connection.execute(
            "SELECT apr_code FROM apr_requests WHERE status = 'approved' AND expires_at > now() ORDER BY expires_at, apr_code")
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
                do {
                    let governed = try GovernedHandler.prepare(handler, on: connection)
                    defer { governed.discard() }
                    if !governed.runnable.syntaxCheck().passed { blocked.append("handler_syntax_failed") }
                } catch let refusal as Refusal {
                    blocked.append(refusal.reason)
                }
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

    /// The dispatch itself. `locked`: this session holds the APR's dispatch
    /// lock already (a pending drain took it with the APR).
    private func dispatch(_ request: DispatchRequest, locked: Bool) throws -> Outcome {
        let code = request.aprCode
        guard let plan = try DispatchPlan.read(code, on: connection) else { try refuse("unknown_apr", code) }
        let resolution = plan.handlerRef.map(arms.resolve(handlerRef:))
        if case .builtIn(let arm)? = resolution {
            // The arm's function checks again under the APR's row lock, and
            // answers a repeat itself ("already done").
            if plan.status != "applied", let first = plan.blockedBy.first { try refuse(first, code) }
            return try dispatch(request, to: arm, plan)
        }
        if plan.status == "applied" {
            return .done(["apr_code": .string(code), "status": "applied", "handler_ref": .string(orNull: plan.handlerRef),
                          "apr_result": plan.apr["result"] ?? .null], unchanged: true)
        }
        let blockers = plan.blockedBy.filter { !(retry && $0 == "dispatch_indeterminate") }
        if blockers.first == "dispatch_indeterminate" { throw Dispatcher.indeterminate(code, plan.dispatch) }
        if let first = blockers.first { try refuse(first, code) }
        guard let resolution else { try refuse("handler_unbound", code) }
        switch resolution {
        case .unresolved(let why):
            throw Refusal("arm_not_implemented", why,
                          details: ["apr_code": .string(code), "handler_ref": .string(orNull: plan.handlerRef)])
        case .builtIn(let arm):
            return try dispatch(request, to: arm, plan)
        case .external(let handler):
            if !locked { try lock(code) }
            defer { if !locked { unlock(code) } }
            return try ExternalDispatch(connection: connection, handler: handler, plan: plan, retry: retry).run()
        }
    }

    private func dispatch(_ request: DispatchRequest, to arm: any BuiltInArm, _ plan: DispatchPlan) throws -> Outcome {
        var outcome = try arm.dispatch(request, apr: plan.apr, connection: connection)
        if outcome.status == .ok {
            outcome.body["handler_ref"] = .string(orNull: plan.handlerRef)
            outcome.body["arm"] = .string(arm.name)
            outcome.body = outcome.body.ordered(["ok", "unchanged", "apr_code", "handler_ref", "arm"])
        }
        return outcome
    }

    /// The STOP of an APR whose external attempt was lost while its handler
    /// ran: what the handler did is unknown, so it is not run again on its
    /// own; an operator checks the effect and runs it again (--retry) or
    /// cancels the APR.
    static func indeterminate(_ code: String, _ dispatch: JSONObject?) -> Refusal {
        let attempt = dispatch?["attempt"]?.integerValue.map { " (attempt \($0))" } ?? ""
        return Refusal("dispatch_indeterminate",
                       "the dispatch of \(code)\(attempt) was lost while its handler ran: what it did is unknown, so it is not run again on its own; check its effect, then run apr-execute --retry --apr \(code), or cancel the APR",
                       details: ["apr_code": .string(code), "dispatch": dispatch.map { .object($0) } ?? .null])
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
    /// are defined once, in apr_refuse and the registry).
    private func refuse(_ reason: String, _ aprCode: String) throws -> Never {
        try connection.execute("SELECT apr_refuse($1, $2)", [reason, aprCode])
        throw Refusal("internal_error", "apr_refuse did not refuse \(reason)")
    }
}
