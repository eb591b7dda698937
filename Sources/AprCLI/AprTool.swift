import AprKit
import ArgumentParser

/// What every aprkit command is: an argument-parser command whose `run()`
/// reports outcomes through `Output` and ends with the worst exit status.
public protocol AprTool: ParsableCommand {
    /// The command's name, abstract and version (argument-parser's
    /// `configuration`, which this protocol derives from it).
    static var commandConfiguration: CommandConfiguration { get }
    static var toolName: String { get }
    /// The command line as the parser is to read it (default: as given),
    /// for a syntax the parser has no word for, e.g. an option whose value
    /// may be left out.
    static func arguments(_ given: [String]) -> [String]
}

extension AprTool {
    public static var configuration: CommandConfiguration {
        var configuration = commandConfiguration
        // A command named under a parent is never asked for a completion
        // script: argument-parser then skips its look for one, two trial
        // parses that cost more than the real one. Set only while parsing
        // a command line that does not ask for one (see `parse(_:)`).
        if parsingWithoutCompletionCheck { configuration._superCommandName = "" }
        return configuration
    }

    public static var toolName: String { commandConfiguration.commandName ?? "aprkit" }

    public static func arguments(_ given: [String]) -> [String] { given }
    /// The last line of `--help`: where the whole story is.
    public static var manPageLine: String { "See \(toolName)(1)." }

    /// Parses the command line; a usage error still gets its JSON refusal on
    /// stdout (and exit 64), so a pipeline downstream sees why nothing came.
    /// `--help` ends by naming the tool's man page.
    public static func main() {
        runningTool = Self.self
        do {
            var command = try parse(arguments(Array(CommandLine.arguments.dropFirst())))
            // A usage refusal from run() has already printed its own JSON.
            // (A help request is a command too, whose run() throws.)
            do { try command.run() } catch { exitAfterHelp(error); exit(withError: error) }
        } catch {
            exitAfterHelp(error)
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

    /// Parses `arguments` into the command. An ordinary command line is
    /// parsed once, without argument-parser's look for a completion-script
    /// request; anything else (a completion script, help, the version, any
    /// error) is parsed again as argument-parser always does, so its
    /// screens and messages are argument-parser's own.
    private static func parse(_ arguments: [String]) throws -> ParsableCommand {
        if !arguments.contains(where: { $0.hasPrefix("--generate-completion-script") }) {
            parsingWithoutCompletionCheck = true
            let command = try? parseAsRoot(arguments)
            parsingWithoutCompletionCheck = false
            if let command, command is Self { return command }
        }
        return try parseAsRoot(arguments)
    }

    /// When `error` is the request for the help screen, prints it with the
    /// man page named last and exits 0. (argument-parser's type for that
    /// request is internal: the screen is known by its text.)
    private static func exitAfterHelp(_ error: Error) {
        guard exitCode(for: error) == .success else { return }
        let text = fullMessage(for: error)
        // --version is the other request that exits 0; building the help
        // screen twice to tell it apart costs more than the whole parse.
        guard text != commandConfiguration.version, text.hasPrefix("OVERVIEW:") || text.hasPrefix("USAGE:") else { return }
        guard text == helpMessage() || text == helpMessage(includeHidden: true) else { return }
        print(text.hasSuffix("\n") ? text : text + "\n")
        print(manPageLine)
        exit(withError: ExitCode.success)
    }
}

/// The running tool, set once before parsing: its usage line goes with a
/// usage refusal that argument-parser does not make itself (a terminal on
/// stdin), made only then.
nonisolated(unsafe) var runningTool: (any AprTool.Type)?

/// Whether the command line being parsed is one that asks for no
/// completion script (see `AprTool.parse(_:)`).
nonisolated(unsafe) var parsingWithoutCompletionCheck = false

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

