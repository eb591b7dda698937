import AprKit
import ArgumentParser

/// The connection flag every tool shares. Everything else comes from libpq's
/// defaults and environment, as with psql; no password is ever taken on argv.
public struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("dbname")],
            help: ArgumentHelp("Database name, or a libpq conninfo string or URI (as psql -d).", valueName: "conninfo"))
    public var dbname: String?

    public init() {}

    /// Opens the tool's one connection.
    public func connect(tool: String) throws(PGError) -> Connection {
        try Connection(dbname: dbname, applicationName: tool)
    }
}
