import AprKit
import Foundation

/// A fresh database with the aprkit schema applied, dropped when the test ends.
/// Roles used: `proposer` (apr_proposer), approvers `owner1`, `owner2`
/// (role owner) and `eng1`…`eng3` (role engineer), `executor` (apr_executor).
public final class TestDatabase: @unchecked Sendable {
    nonisolated(unsafe) private static var counter = 0

    public let name: String

    public init(migrate: Bool = true) throws {
        TestDatabase.counter += 1
        name = "aprkit_t_\(getpid())_\(TestDatabase.counter)"
        let admin = try TestCluster.admin()
        try admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        if migrate {
            try admin.executeScript("CREATE DATABASE \(name) TEMPLATE \(try TestDatabase.migratedTemplate())")
        } else {
            try admin.executeScript("CREATE DATABASE \(name)")
        }
    }

    /// A database migrated and given its approvers once per test process,
    /// which every migrated test database is copied from (a copy is much
    /// faster than migrating again). Dropped when the process exits.
    nonisolated(unsafe) private static var template: String?

    private static func migratedTemplate() throws -> String {
        if let template { return template }
        let name = "aprkit_tpl_\(getpid())"
        let admin = try TestCluster.admin()
        try admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.executeScript("CREATE DATABASE \(name)")
        do {
            let db = try Connection(dbname: "dbname=\(name) user=\(TestCluster.environment["PGUSER"] ?? "postgres")",
                                    applicationName: "aprkit-tests")
            _ = try Migrator(connection: db).apply(Migration.bundled, dryRun: false)
            try setUpRoles(on: db)
        }
        template = name
        atexit {
            if let admin = try? TestCluster.admin() {
                _ = try? admin.executeScript("DROP DATABASE IF EXISTS aprkit_tpl_\(getpid()) WITH (FORCE)")
            }
        }
        return name
    }

    deinit {
        if let admin = try? TestCluster.admin() {
            _ = try? admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// The libpq conninfo of this database as `role` (the superuser by default).
    public func conninfo(as role: String? = nil) -> String {
        "dbname=\(name) user=\(role ?? TestCluster.environment["PGUSER"] ?? "postgres")"
    }

    /// A connection as `role`; without one, as the superuser that owns the
    /// schema, marked as the governed mechanism writing (what gov-migrate
    /// and the schema's functions set), so a test's set-up can write behind
    /// the functions as only the owner can. Tests of the write guards
    /// connect as other roles, or with `marked: false`.
    public func connect(as role: String? = nil, marked: Bool = true) throws -> Connection {
        let connection = try Connection(dbname: conninfo(as: role), applicationName: "aprkit-tests")
        if role == nil && marked { try connection.execute("SELECT set_config('aprkit.writer', 'on', false)") }
        return connection
    }

    /// Runs SQL as the superuser and returns the first column of the first row.
    @discardableResult
    public func scalar(_ sql: String, _ params: [String?] = [], as role: String? = nil) throws -> String? {
        try connect(as: role).execute(sql, params).value(0, 0)
    }

    /// Every table's row count: what "nothing written" is proven against.
    public func rowCounts() throws -> [String: Int] {
        let db = try connect()
        let tables = try db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        var counts: [String: Int] = [:]
        for row in 0..<tables.rowCount {
            let table = tables.value(row, 0)!
            counts[table] = Int(try db.execute("SELECT count(*) FROM \"\(table)\"").value(0, 0)!)!
        }
        return counts
    }

    /// A digest of every row of every table: proves not even an UPDATE happened.
    public func contentDigest() throws -> String {
        let db = try connect()
        let tables = try db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        var all = ""
        for row in 0..<tables.rowCount {
            let table = tables.value(row, 0)!
            all += table + ":" + (try db.execute(
                "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"\(table)\" t").value(0, 0) ?? "") + "\n"
        }
        return all
    }

    public static let approvers = [("owner1", "owner"), ("owner2", "owner"), ("eng1", "engineer"),
                                   ("eng2", "engineer"), ("eng3", "engineer")]

    private static func setUpRoles(on db: Connection) throws {
        try TestCluster.ensureRole("proposer", groups: ["apr_proposer"])
        try TestCluster.ensureRole("executor", groups: ["apr_executor"])
        for (approver, role) in TestDatabase.approvers {
            try TestCluster.ensureRole(approver, groups: ["apr_proposer"])
            try db.execute("SELECT apr_approver_set($1, $2)", [approver, role])
        }
    }
}
