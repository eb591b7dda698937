import CLibPQ

extension Connection {
    /// libpq environment variables that reach the database this connection
    /// reached, as the user it is (no password: that stays in .pgpass or the
    /// service file). A program the tool runs, such as an external handler,
    /// connects where the tool did.
    public var libpqEnvironment: [String: String] {
        var env: [String: String] = [:]
        if let db = PQdb(handle) { env["PGDATABASE"] = String(cString: db) }
        if let user = PQuser(handle) { env["PGUSER"] = String(cString: user) }
        if let host = PQhost(handle) { env["PGHOST"] = String(cString: host) }
        if let port = PQport(handle) { env["PGPORT"] = String(cString: port) }
        return env.filter { !$0.value.isEmpty }
    }
}
