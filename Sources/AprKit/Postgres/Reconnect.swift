import Glibc

/// Re-opening a connection that dropped, for a tool that waits on one
/// (apr-log --follow, apr-quorum --wait): the server restarted, failed
/// over, or ended the session (pg_terminate_backend).
public enum Reconnect {
    /// How long a waiting tool keeps trying to get its connection back
    /// before it gives up (database_unavailable, exit 69).
    public static let defaultWindowMilliseconds = 60_000

    /// Calls `open` until it answers, with a back-off from 100 ms doubling up
    /// to 5 s, until `deadline` (MonotonicClock milliseconds) has passed;
    /// then throws the last error. `log` hears of each failed attempt.
    public static func reopen(
        _ open: () throws(PGError) -> Connection, until deadline: Int, log: ((String) -> Void)? = nil
    ) throws(PGError) -> Connection {
        var delay = 100
        while true {
            do {
                return try open()
            } catch {
                let now = MonotonicClock.now()
                if now >= deadline { throw error }
                let pause = min(delay, deadline - now)
                log?("cannot reconnect yet (\(error.message)); trying again in \(pause) ms")
                usleep(UInt32(pause) * 1000)
                delay = min(delay * 2, 5000)
            }
        }
    }
}
