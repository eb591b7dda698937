import AprKit
import Glibc

/// Prints outcomes: one JSON line on stdout per record, a human line on stderr.
/// Lines are written straight to the descriptors, so a line is out before the
/// next record is read and nothing sits in a buffer when the tool exits.
public struct Output {
    public let tool: String
    public private(set) var worst: ExitStatus = .ok
    /// When set, a done outcome is printed as this text (for a person)
    /// instead of its JSON line; a refusal is still its JSON line.
    public var text: ((JSONObject) -> String)?

    public init(tool: String) { self.tool = tool }

    public mutating func emit(_ outcome: Outcome) {
        worst = worst.worse(outcome.status)
        if outcome.status == .ok, let text {
            writeAll(1, text(outcome.body))
        } else {
            writeAll(1, outcome.body.serialized() + "\n")
        }
        if let message = outcome.message { Output.warn(tool: tool, message) }
    }

    /// Prints a report in a format other than JSON lines (TAP, Prometheus)
    /// as it is, each message as a stderr line, and counts its status.
    public mutating func emit(text: String, status: ExitStatus, messages: [String] = []) {
        worst = worst.worse(status)
        writeAll(1, text)
        for message in messages { Output.warn(tool: tool, message) }
    }

    /// One line on stderr, prefixed with the tool's name.
    public static func warn(tool: String, _ message: String) {
        writeAll(2, "\(tool): \(message)\n")
    }
}

private func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return  // a closed pipe downstream: nothing more to say
        }
        bytes = bytes.dropFirst(n)
    }
}
