/// One dispatch to an external handler, exactly once: the dispatch is
/// recorded and committed (with its ledger event) before the handler runs,
/// and settled from the handler's exit status after it answers. The caller
/// holds the APR's dispatch lock throughout.
struct ExternalDispatch {
    let connection: Connection
    let handler: ExternalHandler
    let plan: DispatchPlan

    /// How much of a handler's stdout and stderr is kept.
    static let maxOutputBytes = 64 * 1024
    /// How much of its stderr the APR's result keeps.
    static let stderrTailBytes = 2048

    func run(syntaxCheck: ExternalHandler.SyntaxCheck) throws -> Outcome {
        let code = plan.aprCode
        guard syntaxCheck.passed else {
            throw Refusal("handler_syntax_failed",
                          "the \(handler.arm) handler fails its syntax check (\(syntaxCheck.command ?? "executable")): \(syntaxCheck.message ?? "")",
                          details: ["apr_code": .string(code), "handler": .string(handler.path)])
        }
        let claim = try connection.jsonObject("SELECT apr_dispatch_claim($1, $2)", [code, handler.arm], readOnly: false)
        var status = claim["status"]?.stringValue
        switch claim["state"]?.stringValue {
        case "claimed":
            break
        case "unsettled":
            // Its dispatcher died after this run read the plan: settle it
            // (a STOP), never run it again, unless its arm settled it.
            try settleInterruptedDispatch(of: code, claim["dispatch"]?.objectValue, on: connection)
            status = try connection.execute("SELECT status FROM apr_requests WHERE apr_code = $1", [code]).value(0, 0)
            return try alreadySettled(code, status: status, claim["dispatch"])
        default:
            return try alreadySettled(code, status: status, claim["dispatch"])
        }

        let input = (claim["apr"] ?? .null).serialized() + "\n"
        let ref = plan.handlerRef ?? "\(ArmRegistry.executor):\(handler.arm)"
        // The handler connects where this dispatcher did (a handler that
        // composes the tools needs no -d of its own).
        var environment = connection.libpqEnvironment
        environment.merge(["APR_CODE": code, "APR_HANDLER_REF": ref, "APR_ARM": handler.arm]) { $1 }
        let answer: Answer
        do {
            let result = try Subprocess.run(handler.path, input: Array(input.utf8), environment: environment,
                                            maxOutputBytes: ExternalDispatch.maxOutputBytes)
            answer = Answer(result)
        } catch {
            answer = Answer(spawnError: error)
        }
        let settled = try connection.jsonObject(
            "SELECT apr_dispatch_settle($1, $2, $3, $4::jsonb)",
            [code, answer.applied ? "applied" : "failed", answer.exitStatus.map { String($0) }, answer.record.serialized()],
            readOnly: false)
        let body: JSONObject = [
            "apr_code": .string(code), "handler_ref": .string(ref), "arm": .string(handler.arm),
            "status": settled["status"] ?? .null, "handler": .object(answer.record),
        ]
        // A handler that ran grant-mint settled the dispatch with its grant;
        // the APR's status says how it ended.
        let applied = settled["already_settled"] == .bool(true) ? settled["status"] == "applied" : answer.applied
        guard applied else {
            throw Refusal("handler_failed",
                          "the \(handler.arm) handler \(answer.how) on \(code); the APR is now failed\(answer.firstErrorLine.map { ": " + $0 } ?? "")",
                          details: body)
        }
        return .done(body)
    }

    /// A dispatch settled before: "already done" when it applied; a failed
    /// one is never dispatched again.
    private func alreadySettled(_ code: String, status: String?, _ dispatch: JSONValue?) throws -> Outcome {
        guard status == "applied" else {
            try connection.execute("SELECT apr_refuse('apr_failed', $1)", [code])
            throw Refusal("internal_error", "apr_refuse did not refuse apr_failed")
        }
        return .done(["apr_code": .string(code), "status": "applied", "dispatch": dispatch ?? .null], unchanged: true)
    }

    /// What the handler answered, as the dispatch and the APR record it.
    struct Answer {
        let applied: Bool
        let exitStatus: Int32?
        let record: JSONObject
        /// "exited 3", "was killed by signal 9", "could not be run".
        let how: String
        let firstErrorLine: String?

        init(_ result: Subprocess.Result) {
            applied = result.succeeded
            exitStatus = result.exitStatus
            let out = String(decoding: result.stdout, as: UTF8.self)
            let err = String(decoding: result.stderr.suffix(ExternalDispatch.stderrTailBytes), as: UTF8.self)
            var record: JSONObject = [
                "exit_status": exitStatus.map { .integer(Int64($0)) } ?? .null,
                "signal": result.signal.map { .integer(Int64($0)) } ?? .null,
            ]
            // The answer is one JSON object on stdout; anything else is kept as text.
            if let object = (try? JSONValue.parse(out))?.objectValue {
                record["answer"] = .object(object)
            } else {
                record["answer"] = .null
                if !out.isEmpty { record["stdout"] = .string(String(out.prefix(4096))) }
            }
            if !err.isEmpty { record["stderr"] = .string(err) }
            if result.truncated { record["truncated"] = true }
            self.record = record
            if let status = result.exitStatus {
                how = "exited \(status)"
            } else {
                how = "was killed by signal \(result.signal ?? 0)"
            }
            firstErrorLine = err.split(separator: "\n").first.map(String.init)
        }

        init(spawnError: Subprocess.SpawnError) {
            applied = false
            exitStatus = nil
            record = ["exit_status": .null, "signal": .null, "answer": .null, "error": .string(spawnError.description)]
            how = "could not be run"
            firstErrorLine = spawnError.description
        }
    }
}
