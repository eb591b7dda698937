import CLibPQ

extension Connection {
    /// libpq environment variables that reach the database this connection
    /// reached, as the user it is (no password: that stays in .pgpass or the
    /// service file). A program the tool runs, such as an external handler,
    /// connects where the tool did.
    public var libpqEnvironment: [String: String] {
        var env: [String: String] = [:]
        env["PGDATABASE"] = database
        env["PGUSER"] = user
        env["PGHOST"] = host
        env["PGPORT"] = port
        return env.filter { !$0.value.isEmpty }
    }

    /// The server this connection reached: of a host list, the one libpq
    /// settled on; for a Unix socket, its directory.
    public var host: String { string(PQhost(handle)) }
    public var port: String { string(PQport(handle)) }
    public var database: String { string(PQdb(handle)) }
    /// The user the connection logged in as.
    public var user: String { string(PQuser(handle)) }

    private func string(_ cString: UnsafePointer<CChar>?) -> String {
        cString.map { String(cString: $0) } ?? ""
    }
}
