/// apr-quorum --wait: block until an APR is decided, woken by the ledger's
/// notifications (every vote, cancel and status change appends an event),
/// never by polling. The waiter LISTENs before it reads any state, so a
/// decision that commits in between is both read and announced; it wakes at
/// the APR's expiry (by the database clock) even when nothing happens, and
/// after a lost connection it re-opens one and reads the state again.
public final class QuorumWaiter {
    /// The connection the waiter listens on, which the tool also votes on
    /// (replaced when it drops).
    public private(set) var connection: Connection
    let open: () throws(PGError) -> Connection
    /// MonotonicClock milliseconds; Int.max/4 waits as good as forever.
    let deadline: Int
    let log: ((String) -> Void)?
    var listening = false

    /// Longest single sleep: the state is read again at least this often
    /// (harmless, and no timer has to hold a huge value).
    static let longestSleep = 3_600_000

    /// `seconds`: how long the whole run may wait (nil: indefinitely; a
    /// value beyond what the clock holds is taken as indefinitely).
    public init(connection: Connection, seconds: Double?, log: ((String) -> Void)? = nil,
                open: @escaping () throws(PGError) -> Connection) {
        self.connection = connection
        self.open = open
        self.log = log
        let forever = Int.max / 4
        if let seconds, seconds.isFinite, seconds * 1000 < Double(forever / 2) {
            deadline = MonotonicClock.now() + Int(max(0, seconds) * 1000)
        } else {
            deadline = MonotonicClock.now() + forever
        }
    }

    /// LISTENs, if not already: call it before the first state is read.
    public func listen() throws(PGError) {
        if listening { return }
        try connection.listen(LedgerLog.channel)
        listening = true
    }

    /// Waits until `aprCode` is decided and returns its final state: done
    /// (exit 0) when the quorum passed, apr_rejected, apr_expired or
    /// apr_cancelled (exit 1); wait_timed_out (exit 75, with the state as it
    /// last was) when the wait ran out first.
    public func waitUntilDecided(_ aprCode: String) throws -> Outcome {
        while true {
            do {
                try listen()
                let (state, secondsToExpiry) = try read(aprCode)
                if let decided = Quorum.decision(for: state) { return decided }
                let now = MonotonicClock.now()
                if now >= deadline { return QuorumWaiter.timedOut(state) }
                var sleep = min(deadline - now, QuorumWaiter.longestSleep)
                if let secondsToExpiry, secondsToExpiry > 0 {
                    // Just past expires_at, so that now() on the server is too.
                    sleep = min(sleep, Int((secondsToExpiry * 1000).rounded(.up)) + 10)
                }
                log?("waiting for \(aprCode) to be decided (\(sleep / 1000) s at most before the next look)")
                let notes = try connection.waitForNotifications(milliseconds: sleep)
                if !notes.isEmpty { log?("woken by \(notes.count) ledger event(s)") }
            } catch let error as PGError where error.kind == .unavailable || !connection.isConnected {
                log?("connection lost (\(error.message)); reconnecting")
                let until = min(deadline, MonotonicClock.now() + Reconnect.defaultWindowMilliseconds)
                connection = try Reconnect.reopen(open, until: until, log: log)
                listening = false
            }
        }
    }

    /// The state, and the seconds until it expires by the database clock.
    private func read(_ aprCode: String) throws -> (JSONObject, Double?) {
        let result = try connection.execute(
            "SELECT s, extract(epoch FROM ((s ->> 'expires_at')::timestamptz - now())) FROM apr_quorum_state($1) s",
            [aprCode])
        guard let text = result.value(0, 0) else {
            throw Refusal("unknown_apr", "no APR \(aprCode)", details: ["apr_code": .string(aprCode)])
        }
        return (try JSONObject.fromDatabase(text), result.value(0, 1).flatMap(Double.init))
    }

    static func timedOut(_ state: JSONObject) -> Outcome {
        let code = state["apr_code"]?.stringValue ?? "the APR"
        var outcome = Outcome.refused(Refusal("wait_timed_out", "\(code) was not decided before the wait ran out"))
        outcome.body.merge(state)
        return outcome
    }
}

extension Quorum {
    /// The final outcome of a decided APR, or nil while it is still open:
    /// the quorum passed (done), or it was rejected, expired or cancelled.
    public static func decision(for state: JSONObject) -> Outcome? {
        if state["status"]?.stringValue == "cancelled" {
            let code = state["apr_code"]?.stringValue ?? "the APR"
            var outcome = Outcome.refused(Refusal("apr_cancelled", "\(code) was cancelled"))
            outcome.body.merge(state)
            return outcome
        }
        let outcome = Quorum.outcome(for: state)
        return outcome.body["reason"] == .string("quorum_not_met") ? nil : outcome
    }
}
