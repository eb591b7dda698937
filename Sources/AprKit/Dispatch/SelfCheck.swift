/// apr-execute --self-check: every arm, built in or in the handlers
/// directory, whether it is implemented, which action types are bound to it,
/// and each handler file's syntax check. Reads only; one outcome per arm,
/// one per bound action whose arm is missing, then a summary.
public struct SelfCheck {
    let connection: Connection
    let arms: ArmRegistry

    public init(connection: Connection, arms: ArmRegistry = ArmRegistry()) {
        self.connection = connection
        self.arms = arms
    }

    public func run() throws -> [Outcome] {
        let rows = try connection.execute(
            "SELECT action_code, handler_ref FROM apr_action_types WHERE handler_ref IS NOT NULL ORDER BY action_code")
        var bound: [(action: String, ref: String)] = []
        for row in 0..<rows.rowCount { bound.append((rows.value(row, 0)!, rows.value(row, 1)!)) }
        func actions(boundTo arm: String) -> JSONValue {
            .array(bound.filter { ArmRegistry.arm(of: $0.ref) == arm }.map { .string($0.action) })
        }

        let files = arms.externalHandlers()
        /// The handler file that answers for a built-in arm's name, if any.
        func shadow(_ name: String) -> JSONValue {
            .string(orNull: files.first { $0.arm == name }?.path)
        }

        var outcomes: [Outcome] = []
        for arm in BuiltInArms.implemented {
            outcomes.append(.done(["arm": .string(arm.name), "kind": "built-in", "implemented": true,
                                   "action_code": .string(arm.actionCode), "bound_actions": actions(boundTo: arm.name),
                                   "shadowed_by": shadow(arm.name)]))
        }
        for handler in files {
            let check = handler.syntaxCheck()
            var fields: JSONObject = ["arm": .string(handler.arm), "kind": "external", "path": .string(handler.path),
                                      "bound_actions": actions(boundTo: handler.arm)]
            fields.merge(check.json)
            if check.passed {
                outcomes.append(.done(fields))
            } else {
                outcomes.append(.refused(Refusal("handler_syntax_failed",
                    "the \(handler.arm) handler fails its syntax check: \(check.message ?? "")", details: fields)))
            }
        }
        for (action, ref) in bound {
            if case .unresolved(let why) = arms.resolve(handlerRef: ref),
               !files.contains(where: { $0.arm == ArmRegistry.arm(of: ref) }) {
                outcomes.append(.refused(Refusal("arm_not_implemented", "\(action) is bound to \(ref): \(why)",
                    details: ["action_code": .string(action), "handler_ref": .string(ref)])))
            }
        }

        let pending = try connection.execute("SELECT count(*) FROM apr_requests WHERE status = 'approved'").value(0, 0)
        let passed = outcomes.allSatisfy { $0.status == .ok }
        outcomes.append(Outcome(status: .ok, body: [
            "ok": .bool(passed), "self_check": passed ? "passed" : "failed",
            "handlers_dir": .string(arms.handlersDirectory), "arms": .integer(Int64(outcomes.count)),
            "pending": .integer(Int64(pending ?? "0") ?? 0),
        ]))
        return outcomes
    }
}
