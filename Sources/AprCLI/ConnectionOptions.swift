import AprKit
import ArgumentParser

/// The connection flags every tool shares. Everything else comes from libpq's
/// defaults and environment, as with psql; no password is ever taken on argv.
public struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("dbname")],
            help: ArgumentHelp("Database name, or a libpq conninfo string or URI (as psql -d).", valueName: "conninfo"))
    public var dbname: String?

    @Flag(name: [.customShort("v"), .customLong("verbose")],
          help: "After connecting, say on stderr which host, port, database and user the connection reached.")
    public var verbose = false

    public init() {}

    /// Opens the tool's one connection.
    public func connect(tool: String) throws(PGError) -> Connection {
        let connection = try Connection(dbname: dbname, applicationName: tool)
        connection.explainsErrors = true
        if verbose {
            Output.warn(tool: tool, "connected to host \(connection.host) port \(connection.port) "
                + "database \(connection.database) as \(connection.user)")
        }
        return connection
    }
}
