/// The checks a registered root names: the syntax check a candidate passes
/// before it is installed, and the check the installed file passes after.
struct PatchChecks: Sendable {
    /// `bash -n` or `sh -n`.
    let syntaxCheck: String
    /// `syntax` (the syntax check again, on the installed file) or
    /// `self-check` (the installed file run as `FILE --self-check`).
    let postCheck: String

    static let timeoutSeconds = 60

    /// Runs the syntax check on the file at `path`.
    func syntax(_ path: String) throws -> Subprocess.Result {
        let shell: [String]
        switch syntaxCheck {
        case "bash -n": shell = ["/usr/bin/bash", "/bin/bash"]
        case "sh -n": shell = ["/usr/bin/sh", "/bin/sh"]
        default: throw Refusal(.software, "unknown_check", "the registry names an unknown syntax check \"\(syntaxCheck)\"")
        }
        guard let program = Subprocess.executable(shell) else {
            throw Refusal(.software, "checker_missing", "no \(shell[0]) to run \(syntaxCheck) with")
        }
        return try Subprocess.run([program, "-n", path], environment: Subprocess.checkEnvironment(),
                                  timeoutSeconds: PatchChecks.timeoutSeconds)
    }

    /// Runs the post-swap check on the installed file at `path`.
    func post(_ path: String) throws -> Subprocess.Result {
        switch postCheck {
        case "syntax": return try syntax(path)
        case "self-check":
            do {
                return try Subprocess.run([path, "--self-check"], environment: Subprocess.checkEnvironment(),
                                          timeoutSeconds: PatchChecks.timeoutSeconds)
            } catch let refusal as Refusal where refusal.reason == "spawn_failed" {
                // An installed file that cannot even be run fails its check.
                return Subprocess.Result(exitStatus: 126, timedOut: false, stderr: refusal.message)
            }
        default: throw Refusal(.software, "unknown_check", "the registry names an unknown post check \"\(postCheck)\"")
        }
    }
}
