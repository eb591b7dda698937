import Glibc

/// An exclusive flock on `.NAME.aprkit-lock` beside the target: one patch or
/// restore of a file at a time. The kernel drops it when the holder exits,
/// however it exits, so a killed run never leaves the target locked. The
/// lock file itself stays (removing it would let two runs lock two files).
final class TargetLock {
    private var fd: Int32

    /// Waits up to `timeoutSeconds` for the lock; then refuses with
    /// `lock_busy` (exit 75, safe to re-run).
    init(_ directory: TargetDirectory, timeoutSeconds: Int) throws {
        let file = directory.openEntry(directory.lockName, O_RDWR | O_CREAT, mode: 0o600)
        guard file >= 0 else { throw ioError("open the lock \(directory.pathOf(directory.lockName))", errno) }
        var st = stat()
        guard fstat(file, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(file)
            throw Refusal("target_not_regular", "the lock \(directory.pathOf(directory.lockName)) is not a regular file")
        }
        let deadline = Subprocess.monotonicSeconds() + Double(timeoutSeconds)
        while flock(file, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(file)
                throw ioError("lock \(directory.pathOf(directory.lockName))", code)
            }
            guard Subprocess.monotonicSeconds() < deadline else {
                close(file)
                throw Refusal("lock_busy",
                              "another run has held the lock on \(directory.targetPath) for \(timeoutSeconds)s; safe to re-run")
            }
            usleep(2_000 + UInt32.random(in: 0..<8_000))
        }
        fd = file
    }

    /// Drops the lock (closing the descriptor); called at the end of the run.
    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
