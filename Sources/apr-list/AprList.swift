import AprCLI
import AprKit
import ArgumentParser

extension Reading.Format: ExpressibleByArgument {}

@main
struct AprList: AprTool {
    static let commandConfiguration = CommandConfiguration(
        commandName: "apr-list",
        abstract: "List APRs, newest first, one JSON line each (as apr-propose prints them).",
        version: aprkitVersion)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Only APRs of this status; repeat it, or give a comma list, for several.", valueName: "status"))
    var status: [String] = []

    @Option(help: ArgumentHelp("Only APRs of this action type.", valueName: "code"))
    var action: String?

    @Option(help: ArgumentHelp("Only APRs whose proposed_action names this target.", valueName: "target"))
    var target: String?

    @Option(name: .customLong("proposed-by"), help: ArgumentHelp("Only APRs proposed by this database role.", valueName: "role"))
    var proposedBy: String?

    @Option(help: ArgumentHelp("Only APRs created since: a duration back from now (30m, 2h, 7d) or an ISO 8601 timestamp.",
                               valueName: "when"))
    var since: String?

    @Option(help: ArgumentHelp("At most this many APRs (default \(ListFilter.defaultLimit)).", valueName: "n"))
    var limit: Int = ListFilter.defaultLimit

    @Flag(help: "Only the open APRs the connected user may still vote on.")
    var awaiting = false

    @Option(help: ArgumentHelp("json (one line per APR) or text (aligned columns).", valueName: "format"))
    var format: Reading.Format = .json

    func validate() throws {
        _ = try filter()
    }

    func filter() throws -> ListFilter {
        do {
            var filter = ListFilter()
            filter.statuses = try ListFilter.statuses(status)
            filter.actionCode = action
            filter.target = target
            filter.proposedBy = proposedBy
            filter.since = try since.map { text throws(ListFilter.Invalid) in try ListFilter.since(text) }
            filter.awaiting = awaiting
            filter.limit = try ListFilter.limit(limit)
            return filter
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        var output = Output(tool: Self.toolName)
        if let db = connectOrReport(connection, &output) {
            let filter = try filter()
            let reading = Reading(connection: db)
            do {
                if format == .text {
                    output.emit(text: ReadingText.table(try reading.list(filter)), status: .ok)
                } else {
                    try reading.list(filter) { output.emit(.done($0)) }
                }
            } catch {
                output.emit(Outcome.catching { throw error })
            }
        }
        try finish(output)
    }
}
