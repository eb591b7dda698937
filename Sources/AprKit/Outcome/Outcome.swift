/// What one record came to: the JSON line printed on stdout, the exit status
/// it contributes, and an optional line for stderr.
public struct Outcome: Sendable {
    public var status: ExitStatus
    public var body: JSONObject
    public var message: String?

    public init(status: ExitStatus, body: JSONObject, message: String? = nil) {
        self.status = status
        self.body = body
        self.message = message
    }

    /// Done: `{"ok": true, …}`; `unchanged` marks an idempotent re-run.
    public static func done(_ fields: JSONObject, unchanged: Bool = false) -> Outcome {
        var body = ["ok": true] as JSONObject
        if unchanged { body["unchanged"] = true }
        body.merge(fields)
        return Outcome(status: .ok, body: body)
    }

    /// Refused: `{"ok": false, "result": "FAIL"|"SKIP"|"STOP", "reason": …, "message": …}`.
    public static func refused(_ refusal: Refusal) -> Outcome {
        var body = [
            "ok": false, "result": .string(refusal.status.resultWord), "reason": .string(refusal.reason),
            "message": .string(refusal.message),
        ] as JSONObject
        body.merge(refusal.details)
        return Outcome(status: refusal.status, body: body, message: "\(refusal.message) (\(refusal.reason))")
    }

    /// Runs `body`, turning any refusal or database error into a refused outcome.
    public static func catching(_ body: () throws -> Outcome) -> Outcome {
        do {
            return try body()
        } catch let refusal as Refusal {
            return .refused(refusal)
        } catch let error as PGError {
            return .refused(Refusal(error))
        } catch {
            return .refused(Refusal("internal_error", "\(error)"))
        }
    }
}
