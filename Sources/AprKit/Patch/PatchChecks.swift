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
        default: throw Refusal("unknown_check", "the registry names an unknown syntax check \"\(syntaxCheck)\"")
        }
        guard let program = Subprocess.executable(shell) else {
            throw Refusal("checker_missing", "no \(shell[0]) to run \(syntaxCheck) with")
        }
        do {
            return try check(program, ["-n", path])
        } catch {
            throw Refusal("spawn_failed", error.description)
        }
    }

    /// Runs the post-swap check on the installed file at `path`.
    func post(_ path: String) throws -> Subprocess.Result {
        switch postCheck {
        case "syntax": return try syntax(path)
        case "self-check":
            do {
                return try check(path, ["--self-check"])
            } catch {
                // An installed file that cannot even be run fails its check.
                return Subprocess.Result(exitStatus: 126, signal: nil, stdout: [], stderr: Array(error.description.utf8),
                                         truncated: false)
            }
        default: throw Refusal("unknown_check", "the registry names an unknown post check \"\(postCheck)\"")
        }
    }

    /// A check: no shell, no stdin, only PATH and the C locale, a time limit.
    private func check(_ program: String, _ arguments: [String]) throws(Subprocess.SpawnError) -> Subprocess.Result {
        try Subprocess.run(program, arguments, environment: Subprocess.checkEnvironment(), inheritEnvironment: false,
                           maxOutputBytes: 4096, timeoutSeconds: PatchChecks.timeoutSeconds)
    }
}
