/// apr-execute --self-check: every arm, built in or in the handlers
/// directory, whether it is implemented, which action types are bound to it,
/// and each handler file's syntax check and governance (its bytes are those
/// of the last governed deploy of its path). Reads only; one outcome per
/// arm, one per bound action whose arm is missing, then a summary.
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

        var outcomes: [Outcome] = []
        for arm in BuiltInArms.implemented {
            outcomes.append(.done(["arm": .string(arm.name), "kind": "built-in", "implemented": true,
                                   "action_code": .string(arm.actionCode), "bound_actions": actions(boundTo: arm.name),
                                   "handler_file": .string(orNull: files.first { $0.arm == arm.name }?.path)]))
        }
        for handler in files {
            let builtIn = BuiltInArms.named(handler.arm) != nil
            var fields: JSONObject = ["arm": .string(handler.arm), "kind": "external", "path": .string(handler.path),
                                      "dispatched": .bool(!builtIn), "bound_actions": actions(boundTo: handler.arm)]
            // Governance first: a file a built-in arm supersedes never runs;
            // any other runs only when it is governed, and its syntax is
            // checked on the governed copy of its bytes.
            var governed: GovernedHandler?
            if !builtIn {
                do {
                    governed = try GovernedHandler.prepare(handler, on: connection)
                } catch let refusal as Refusal {
                    var refusal = refusal
                    refusal.details.merge(fields)
                    outcomes.append(.refused(refusal))
                    continue
                }
            }
            let check = (governed?.runnable ?? handler).syntaxCheck()
            governed?.discard()
            fields.merge(check.json)
            if let governed {
                fields["sha256"] = .string(governed.sha256)
                fields["governed"] = true
            }
            guard check.passed else {
                outcomes.append(.refused(Refusal("handler_syntax_failed",
                    "the \(handler.arm) handler fails its syntax check: \(check.message ?? "")", details: fields)))
                continue
            }
            outcomes.append(.done(fields))
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
