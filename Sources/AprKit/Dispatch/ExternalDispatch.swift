/// One attempt of an external handler, fenced by its attempt number: the
/// attempt is claimed (committed, with its ledger event) for the governed
/// bytes the handler holds before it runs, and finished from how it ended —
/// applied on exit 0, failed otherwise, indeterminate when it was lost
/// mid-run (never run again on its own). The caller holds the APR's
/// dispatch lock throughout.
struct ExternalDispatch {
    let connection: Connection
    let handler: ExternalHandler
    let plan: DispatchPlan
    /// The operator's decision to run again an APR whose last attempt is
    /// indeterminate.
    let retry: Bool

    /// How much of a handler's stdout and stderr is kept.
    static let maxOutputBytes = 64 * 1024
    /// How much of its stderr the attempt's result keeps.
    static let stderrTailBytes = 2048

    func run() throws -> Outcome {
        let code = plan.aprCode
        let governed = try GovernedHandler.prepare(handler, on: connection)
        defer { governed.discard() }
        let check = governed.runnable.syntaxCheck()
        guard check.passed else {
            throw Refusal("handler_syntax_failed",
                          "the \(handler.arm) handler fails its syntax check (\(check.command ?? "executable")): \(check.message ?? "")",
                          details: ["apr_code": .string(code), "handler": .string(handler.path)])
        }
        let claim = try connection.jsonObject("SELECT apr_dispatch_claim($1, $2, $3, $4, $5)",
                                              [code, handler.arm, handler.path, governed.sha256, String(retry)],
                                              readOnly: false)
        switch claim["state"]?.stringValue {
        case "claimed":
            break
        case "indeterminate":
            throw Dispatcher.indeterminate(code, claim["dispatch"]?.objectValue)
        default:
            return .done(["apr_code": .string(code), "status": claim["status"] ?? .null,
                          "dispatch": claim["dispatch"] ?? .null], unchanged: true)
        }
        let attempt = claim["attempt"]?.integerValue ?? 0

        let input = (claim["apr"] ?? .null).serialized() + "\n"
        let ref = plan.handlerRef ?? "\(ArmRegistry.executor):\(handler.arm)"
        // The handler connects where this dispatcher did (a handler that
        // composes the tools needs no -d of its own).
        var environment = connection.libpqEnvironment
        environment.merge(["APR_CODE": code, "APR_HANDLER_REF": ref, "APR_ARM": handler.arm,
                           "APR_ATTEMPT": String(attempt)]) { $1 }
        let answer: Answer
        do {
            let result = try Subprocess.run(governed.runnable.path, input: Array(input.utf8), environment: environment,
                                            maxOutputBytes: ExternalDispatch.maxOutputBytes)
            answer = Answer(result)
        } catch {
            answer = Answer(spawnError: error)
        }
        let finished = try connection.jsonObject(
            "SELECT apr_dispatch_finish($1, $2, $3, $4, $5::jsonb)",
            [code, String(attempt), answer.exitStatus.map { String($0) }, String(answer.lost), answer.record.serialized()],
            readOnly: false)
        let dispatch = finished["dispatch"]?.objectValue
        var body: JSONObject = [
            "apr_code": .string(code), "handler_ref": .string(ref), "arm": .string(handler.arm),
            "attempt": .integer(attempt), "handler_sha256": .string(governed.sha256),
            "status": finished["status"] ?? .null, "handler": .object(answer.record),
        ]
        switch dispatch?["outcome"]?.stringValue {
        case "applied":
            return .done(body)
        case "indeterminate":
            throw Dispatcher.indeterminate(code, dispatch)
        default:
            body["dispatch"] = .object(dispatch ?? [:])
            throw Refusal("handler_failed",
                          "the \(handler.arm) handler \(answer.how) on \(code); the APR is now failed\(answer.firstErrorLine.map { ": " + $0 } ?? "")",
                          details: body)
        }
    }

    /// What the handler answered, as the attempt records it.
    struct Answer {
        let exitStatus: Int32?
        /// Killed, or lost: what it did is unknown.
        let lost: Bool
        let record: JSONObject
        /// "exited 3", "was killed by signal 9", "could not be run".
        let how: String
        let firstErrorLine: String?

        init(_ result: Subprocess.Result) {
            exitStatus = result.exitStatus
            lost = result.exitStatus == nil || result.timedOut
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
            how = result.exitStatus.map { "exited \($0)" } ?? "was killed by signal \(result.signal ?? 0)"
            firstErrorLine = err.split(separator: "\n").first.map(String.init)
        }

        /// It never started: nothing ran, so it failed (127, as a shell says).
        init(spawnError: Subprocess.SpawnError) {
            exitStatus = 127
            lost = false
            record = ["exit_status": 127, "signal": .null, "answer": .null, "error": .string(spawnError.description)]
            how = "could not be run"
            firstErrorLine = spawnError.description
        }
    }
}
