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

extension TestCluster {
    /// What a CREATEROLE role can do to an approver: renames `role` away
    /// (to `role_was`) and creates a new login role under its name, a member
    /// of apr_approver. The returned closure puts the original back.
    public static func impersonate(_ role: String) throws -> () -> Void {
        let admin = try admin()
        try admin.executeScript("""
            DROP ROLE IF EXISTS \(role)_was;
            ALTER ROLE \(role) RENAME TO \(role)_was;
            CREATE ROLE \(role) LOGIN IN ROLE apr_approver;
            """)
        return {
            _ = try? admin.executeScript("""
                DROP OWNED BY \(role); DROP ROLE IF EXISTS \(role);
                ALTER ROLE \(role)_was RENAME TO \(role);
                """)
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
