import Glibc

/// Runs a program with bytes on its stdin and collects what it writes to
/// stdout and stderr, without Foundation and without a shell: posix_spawn
/// (the arguments reach the child as they are), then poll over the three
/// pipes, so a large answer cannot block the child while its input is still
/// being written. A child that outlives its time limit is killed.
public enum Subprocess {
    public struct Result: Sendable {
        /// The exit status, or nil when a signal ended the program.
        public let exitStatus: Int32?
        /// The signal that ended the program, if one did.
        public let signal: Int32?
        public let stdout: [UInt8]
        public let stderr: [UInt8]
        /// True when output beyond `maxOutputBytes` was read and dropped.
        public let truncated: Bool
        /// True when the time limit ran out and the child was killed.
        public var timedOut = false

        public var succeeded: Bool { exitStatus == 0 && !timedOut }

        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

        /// The first line of stderr, or how the child ended: for a message.
        public var summary: String {
            if timedOut { return "timed out" }
            if let line = stderrText.split(separator: "\n").first { return String(line) }
            if let exitStatus { return "exit status \(exitStatus)" }
            return "killed by signal \(signal ?? 0)"
        }
    }

    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "cannot run \(path): \(String(cString: strerror(errno)))" }
    }

    /// Runs `path` with `arguments`, the caller's environment plus `environment`
    /// (or, with `inheritEnvironment` false, `environment` alone), and `input`
    /// on its stdin. Each of stdout and stderr keeps at most `maxOutputBytes`;
    /// the rest is read and dropped. With `timeoutSeconds`, a child still
    /// running then is killed.
    public static func run(_ path: String, _ arguments: [String] = [], input: [UInt8] = [],
                           environment: [String: String] = [:], inheritEnvironment: Bool = true,
                           maxOutputBytes: Int = 1 << 20, timeoutSeconds: Int? = nil) throws(SpawnError) -> Result {
        var inPipe = try pipe(path), outPipe = try pipe(path), errPipe = try pipe(path)
        defer { for fd in [inPipe.0, inPipe.1, outPipe.0, outPipe.1, errPipe.0, errPipe.1] where fd >= 0 { close(fd) } }

        let env = inheritEnvironment ? mergedEnvironment(environment)
            : environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let pid = try spawn(path, arguments, environment: env, stdin: inPipe.0, stdout: outPipe.1, stderr: errPipe.1)
        let deadline = timeoutSeconds.map { monotonicSeconds() + Double($0) }
        var timedOut = false
        // The child holds its ends now; closing ours lets EOF arrive.
        close(inPipe.0); inPipe.0 = -1
        close(outPipe.1); outPipe.1 = -1
        close(errPipe.1); errPipe.1 = -1

        // A child that exits without reading its stdin must not kill us with SIGPIPE.
        let previous = Glibc.signal(SIGPIPE, SIG_IGN)
        defer { Glibc.signal(SIGPIPE, previous) }
        _ = fcntl(inPipe.1, F_SETFL, fcntl(inPipe.1, F_GETFL) | O_NONBLOCK)

        var out = Collector(limit: maxOutputBytes), err = Collector(limit: maxOutputBytes)
        var pending = input[...]
        if pending.isEmpty { close(inPipe.1); inPipe.1 = -1 }
        while inPipe.1 >= 0 || outPipe.0 >= 0 || errPipe.0 >= 0 {
            var fds = [pollfd(fd: inPipe.1, events: Int16(POLLOUT), revents: 0),
                       pollfd(fd: outPipe.0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errPipe.0, events: Int16(POLLIN), revents: 0)]
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - monotonicSeconds()
                if left <= 0 {
                    // Out of time: kill it and stop reading (a grandchild may
                    // still hold the pipes open).
                    kill(pid, SIGKILL)
                    timedOut = true
                    break
                }
                wait = Int32(min(left, 1.0) * 1000) + 1
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 { continue }
            if inPipe.1 >= 0, fds[0].revents != 0 {
                let n = pending.withUnsafeBytes { write(inPipe.1, $0.baseAddress, $0.count) }
                if n > 0 { pending = pending.dropFirst(n) }
                if pending.isEmpty || (n < 0 && errno != EAGAIN && errno != EINTR) {
                    close(inPipe.1); inPipe.1 = -1
                }
            }
            if outPipe.0 >= 0, fds[1].revents != 0, !out.read(from: outPipe.0) { close(outPipe.0); outPipe.0 = -1 }
            if errPipe.0 >= 0, fds[2].revents != 0, !err.read(from: errPipe.0) { close(errPipe.0); errPipe.0 = -1 }
        }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signalled = status & 0x7f
        return Result(exitStatus: signalled == 0 ? (status >> 8) & 0xff : nil,
                      signal: signalled == 0 ? nil : signalled,
                      stdout: out.bytes, stderr: err.bytes, truncated: out.truncated || err.truncated,
                      timedOut: timedOut)
    }

    /// The environment a check runs in: the caller's PATH (or a default) and
    /// the C locale, nothing else, so that no variable such as BASH_ENV can
    /// change what a check does. Pass it with `inheritEnvironment: false`.
    public static func checkEnvironment() -> [String: String] {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        return ["PATH": path, "LC_ALL": "C"]
    }

    /// The first of `candidates` that is an executable file.
    public static func executable(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A pipe whose ends close on exec: only the descriptors dup'ed onto the
    /// child's 0, 1 and 2 reach it (libpq's socket does not, either).
    private static func pipe(_ path: String) throws(SpawnError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw SpawnError(path: path, errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func spawn(_ path: String, _ arguments: [String], environment: [String],
                              stdin: Int32, stdout: Int32, stderr: Int32) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        // The child starts with default signal handling, whatever the parent ignores.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = cStrings([path] + arguments)
        let envp = cStrings(environment)
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = (argv + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                posix_spawn(&pid, path, &actions, &attributes, a.baseAddress!, e.baseAddress!)
            }
        }
        guard rc == 0 else { throw SpawnError(path: path, errno: rc) }
        return pid
    }

    /// The caller's environment with `overrides` replacing or adding entries.
    static func mergedEnvironment(_ overrides: [String: String]) -> [String] {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            let key = text.prefix { $0 != "=" }
            if overrides[String(key)] == nil { entries.append(text) }
            p += 1
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { entries.append("\(key)=\(value)") }
        return entries
    }

    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) }
    }

    /// Reads one pipe up to a limit, dropping (and noting) the rest.
    private struct Collector {
        let limit: Int
        var bytes: [UInt8] = []
        var truncated = false

        /// Reads what is there; false at end of file or on an error.
        mutating func read(from fd: Int32) -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return errno == EINTR || errno == EAGAIN }
            if n == 0 { return false }
            let room = max(0, limit - bytes.count)
            bytes.append(contentsOf: chunk[0..<min(n, room)])
            if n > room { truncated = true }
            return true
        }
    }
}
