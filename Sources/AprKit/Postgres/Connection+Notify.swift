import CLibPQ
import Glibc

/// One NOTIFY the server delivered to a session that LISTENs.
public struct PGNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// The process id of the server backend that sent it.
    public let senderPID: Int32
}

/// LISTEN/NOTIFY: a session that listens on a channel is told of each
/// NOTIFY on it when the notifying transaction commits. A notification is
/// delivered only between transactions, so the listener runs its queries
/// outside any open transaction and waits on the socket in between.
extension Connection {
    /// LISTENs on `channel` (quoted as an identifier, so any name is taken
    /// as it is spelled).
    public func listen(_ channel: String) throws(PGError) {
        guard let quoted = PQescapeIdentifier(handle, channel, channel.utf8.count) else { throw lastError() }
        defer { PQfreemem(quoted) }
        // Not diagnosed: a hot standby cannot LISTEN (database_error), and
        // a listener there is not a write to wait out until a promotion.
        try pinSearchPathIfNeeded()
        _ = try QueryResult.checked(PQexec(handle, "LISTEN " + String(cString: quoted)), connection: self)
    }

    /// Whether the connection is still good; after a dropped connection
    /// (the server went away, pg_terminate_backend) it is not, and the
    /// caller re-opens it (`reset()`, or a new Connection) and reads again
    /// whatever state it waited on: what happened meanwhile was not heard.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Re-opens this connection with the parameters it was opened with
    /// (libpq's PQreset). The session is a new one: it listens on nothing,
    /// and its search_path is pinned again.
    public func reset() throws(PGError) {
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else { throw Connection.connectFailure(handle) }
        searchPathPinned = false
        try pinSearchPathIfNeeded()
    }

    /// The notifications libpq has already read, oldest first, without waiting.
    public func receivedNotifications() -> [PGNotification] {
        var out: [PGNotification] = []
        while let raw = PQnotifies(handle) {
            let n = raw.pointee
            out.append(PGNotification(channel: String(cString: n.relname), payload: n.extra.map { String(cString: $0) } ?? "",
                                      senderPID: n.be_pid))
            PQfreemem(raw)
        }
        return out
    }

    /// Waits for notifications at most `milliseconds` (0: only what has
    /// already arrived), sleeping in poll(2) on the connection's socket;
    /// returns those that arrived, oldest first, or none when the time ran
    /// out. A connection that drops while it waits throws `.unavailable`.
    public func waitForNotifications(milliseconds: Int) throws(PGError) -> [PGNotification] {
        let deadline = MonotonicClock.now() + max(0, milliseconds)
        while true {
            // What is already on the socket or in libpq's buffer first.
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                throw PGError(kind: .unavailable, sqlstate: nil,
                              message: Connection.trimmedMessage(PQerrorMessage(handle)))
            }
            let received = receivedNotifications()
            if !received.isEmpty { return received }
            let remaining = deadline - MonotonicClock.now()
            if remaining <= 0 { return [] }
            var fd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard fd.fd >= 0 else {
                throw PGError(kind: .unavailable, sqlstate: nil, message: "the connection has no socket")
            }
            let ready = poll(&fd, 1, Int32(min(remaining, Int(Int32.max))))
            if ready < 0 && errno != EINTR {
                throw PGError(kind: .other, sqlstate: nil, message: "poll: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// Milliseconds on the monotonic clock: deadlines that a change of the wall
/// clock cannot move.
public enum MonotonicClock {
    public static func now() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}
