import AprKit
import ArgumentParser

/// What every aprkit command is: an argument-parser command whose `run()`
/// reports outcomes through `Output` and ends with the worst exit status.
public protocol AprTool: ParsableCommand {
    static var toolName: String { get }
}

extension AprTool {
    public static var toolName: String { configuration.commandName ?? "aprkit" }

    /// Parses the command line; a usage error still gets its JSON refusal on
    /// stdout (and exit 64), so a pipeline downstream sees why nothing came.
    public static func main() {
        runningTool = Self.self
        do {
            var command = try parseAsRoot()
            // A usage refusal from run() has already printed its own JSON.
            do { try command.run() } catch { exit(withError: error) }
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == ExitStatus.usage.rawValue {
                var output = Output(tool: toolName)
                let text = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "usage error"
                let reason = text.replacingPrefix("Error: ", with: "")
                output.emit(.refused(Refusal("usage", "\(reason); see '\(toolName) --help'")))
                exit(withError: ExitCode(ExitStatus.usage.rawValue))
            }
            exit(withError: error)
        }
    }
}

/// The running tool, set once before parsing: its usage line goes with a
/// usage refusal that argument-parser does not make itself (a terminal on
/// stdin), made only then.
nonisolated(unsafe) var runningTool: (any AprTool.Type)?

/// `usage: tool [options]` on one line, or nil outside a tool.
func runningToolUsage() -> String? {
    guard let tool = runningTool else { return nil }
    return "usage: " + tool.usageString().split(separator: "\n").map { $0.trimmingLeadingSpaces() }.joined(separator: " ")
}

/// Runs the tool's body, mapping whatever it throws to an outcome and the
/// final exit status; `run()` throws only `ExitCode`.
public func finish(_ output: Output) throws {
    if output.worst != .ok { throw ExitCode(output.worst.rawValue) }
}

extension Substring {
    func trimmingLeadingSpaces() -> Substring { drop { $0 == " " } }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

