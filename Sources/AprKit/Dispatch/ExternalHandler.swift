import Glibc

/// An external arm: an executable named after the arm in the handlers
/// directory. It reads the APR JSON on stdin and answers one JSON object on
/// stdout; exit status 0 means applied, anything else failed.
public struct ExternalHandler: Sendable {
    public let arm: String
    public let path: String

    public init(arm: String, path: String) {
        self.arm = arm
        self.path = path
    }

    /// How a handler's syntax is checked: `bash -n` and the like for a shell
    /// script (the shell its #! line names, the system's copy of it),
    /// nothing beyond "is executable" otherwise.
    public struct SyntaxCheck: Sendable {
        public let command: String?
        public let passed: Bool
        public let message: String?

        var json: JSONObject {
            ["syntax_check": .string(orNull: command), "passed": .bool(passed), "message": .string(orNull: message)]
        }
    }

    /// Shells whose `-n` reads a script without running it.
    static let shells: Set<String> = ["sh", "bash", "dash", "ksh", "mksh", "zsh"]

    /// Something is at the path (a file of the arm's name, whatever it is).
    public var exists: Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// A regular file that this process may execute.
    public var isExecutable: Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    public func syntaxCheck() -> SyntaxCheck {
        guard isExecutable else {
            return SyntaxCheck(command: nil, passed: false, message: "\(path) is not an executable file")
        }
        guard let shell = shellName() else {
            return SyntaxCheck(command: nil, passed: true, message: nil)
        }
        let shown = shell + " -n"
        guard let checker = ExternalHandler.installedShell(shell) else {
            return SyntaxCheck(command: shown, passed: false, message: "\(shell) is not installed in /bin or /usr/bin")
        }
        do {
            let result = try Subprocess.run(checker, ["-n", path], maxOutputBytes: 4096)
            let text = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").first.map(String.init)
            return SyntaxCheck(command: shown, passed: result.succeeded, message: result.succeeded ? nil : text ?? "syntax check failed")
        } catch {
            return SyntaxCheck(command: shown, passed: false, message: error.description)
        }
    }

    /// The shell a script names on its #! line (`#!/bin/bash`,
    /// `#!/usr/bin/env bash`), by its name only; nil when the file is not a
    /// shell script. The path on that line is never run: the file may not
    /// be governed yet, and its #! could name a program of anyone's.
    func shellName() -> String? {
        let head = firstBytes(256)
        guard head.starts(with: [0x23, 0x21]) else { return nil }
        let line = String(decoding: head.dropFirst(2).prefix { $0 != 0x0A }, as: UTF8.self)
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = words.first else { return nil }
        let base = program.split(separator: "/").last.map(String.init) ?? program
        if base == "env", words.count >= 2, ExternalHandler.shells.contains(words[1]) {
            return words[1]
        }
        return ExternalHandler.shells.contains(base) ? base : nil
    }

    /// The system's own copy of a shell, which checks a script's syntax
    /// whatever its #! line names.
    static func installedShell(_ name: String) -> String? {
        ["/bin/", "/usr/bin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
    }

    /// Up to `count` bytes from the start of the file (none if unreadable).
    private func firstBytes(_ count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return Array(bytes.prefix(max(0, n)))
    }
}
