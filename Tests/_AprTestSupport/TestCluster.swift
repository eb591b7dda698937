import AprKit
import Foundation

/// The throwaway cluster the tests run against: the one `scripts/test`
/// started (its PGHOST/PGPORT/PGUSER are in the environment).
public enum TestCluster {
    public static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Fails loudly when no cluster is configured: these tests never mock.
    public static func requireConfigured() throws {
        guard environment["PGHOST"] != nil else {
            throw TestSupportError("no PostgreSQL configured: run scripts/test, or eval \"$(scripts/pg-local start)\" first")
        }
    }

    /// A superuser connection to the maintenance database.
    public static func admin(database: String = "postgres") throws -> Connection {
        try requireConfigured()
        return try Connection(dbname: "dbname=\(database) user=\(environment["PGUSER"] ?? "postgres")",
                              applicationName: "aprkit-tests")
    }

    /// Creates a login role once per cluster (roles are shared by every test
    /// database), optionally a member of aprkit's group roles.
    public static func ensureRole(_ name: String, groups: [String] = [], superuser: Bool = false,
                                  bypassRLS: Bool = false) throws {
        let admin = try admin()
        let attrs = [superuser ? "SUPERUSER" : "NOSUPERUSER", bypassRLS ? "BYPASSRLS" : "NOBYPASSRLS"].joined(separator: " ")
        try admin.executeScript("""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(name)') THEN
                CREATE ROLE "\(name)" LOGIN \(attrs);
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            ALTER ROLE "\(name)" \(attrs);
            """)
        for group in groups {
            try admin.executeScript("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(group)') THEN GRANT \(group) TO \"\(name)\"; END IF; END $$")
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
