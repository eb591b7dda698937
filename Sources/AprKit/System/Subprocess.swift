import Glibc

/// A child process run without a shell: the arguments reach it as they are,
/// so no path is ever interpolated into a command line. stdin and stdout are
/// /dev/null; the first few KiB of stderr are kept for the error message.
/// A child that outlives its time limit is killed.
public struct Subprocess {
    public struct Result: Sendable {
        /// The exit status, or nil when a signal ended the child.
        public let exitStatus: Int32?
        public let timedOut: Bool
        public let stderr: String

        public var succeeded: Bool { exitStatus == 0 && !timedOut }

        /// The first line of stderr, or how the child ended: for a message.
        public var summary: String {
            if timedOut { return "timed out" }
            if let line = stderr.split(separator: "\n").first { return String(line) }
            if let exitStatus { return "exit status \(exitStatus)" }
            return "killed by a signal"
        }
    }

    /// The environment a check runs in: the caller's PATH (or a default) and
    /// the C locale, nothing else, so that no variable such as BASH_ENV can
    /// change what a check does.
    public static func checkEnvironment() -> [String] {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        return ["PATH=\(path)", "LC_ALL=C"]
    }

    /// The first of `candidates` that is an executable file.
    public static func executable(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    static let keptStderrBytes = 4096

    /// Runs `argv` (argv[0] is an absolute path) and waits at most `timeoutSeconds`.
    public static func run(_ argv: [String], environment: [String], timeoutSeconds: Int) throws -> Result {
        var pipeFds: [Int32] = [-1, -1]
        guard pipe(&pipeFds) == 0 else { throw spawnError(argv, errno) }
        // Neither end may leak into the child beyond the dup2 onto its stderr.
        for end in pipeFds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { if pipeFds[0] >= 0 { close(pipeFds[0]) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2)

        var pid: pid_t = 0
        let rc = withMutableCStrings(argv) { args in
            withMutableCStrings(environment) { env in posix_spawn(&pid, argv[0], &actions, nil, args, env) }
        }
        close(pipeFds[1])
        guard rc == 0 else { throw spawnError(argv, rc) }

        let deadline = monotonicSeconds() + Double(timeoutSeconds)
        var kept: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var open = true
        var timedOut = false
        // Read stderr until it closes, then reap; kill at the deadline.
        while true {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                timedOut = true
                kill(pid, SIGKILL)
                break
            }
            if open {
                var pfd = pollfd(fd: pipeFds[0], events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, Int32(min(left, 1.0) * 1000) + 1)
                if ready < 0 && errno != EINTR { open = false }
                if ready > 0 {
                    let n = buffer.withUnsafeMutableBytes { read(pipeFds[0], $0.baseAddress, $0.count) }
                    if n > 0 {
                        kept.append(contentsOf: buffer[0..<min(n, max(0, keptStderrBytes - kept.count))])
                    } else if n == 0 || errno != EINTR {
                        open = false
                    }
                }
                continue
            }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return Result(exit: status, timedOut: false, stderr: kept) }
            if reaped < 0 && errno != EINTR { break }
            usleep(2_000)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Result(exit: status, timedOut: timedOut, stderr: kept)
    }

    static func spawnError(_ argv: [String], _ code: Int32) -> Refusal {
        Refusal(.software, "spawn_failed", "cannot run \(argv[0]): \(String(cString: strerror(code)))")
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Subprocess.Result {
    /// Decodes a waitpid status (the WIFEXITED/WEXITSTATUS macros by hand).
    init(exit status: Int32, timedOut: Bool, stderr: [UInt8]) {
        let exited = status & 0x7f == 0
        self.init(exitStatus: exited ? (status >> 8) & 0xff : nil, timedOut: timedOut,
                  stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A NULL-terminated array of C strings, as posix_spawn takes them.
private func withMutableCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
