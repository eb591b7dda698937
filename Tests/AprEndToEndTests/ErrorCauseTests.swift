import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// Errors name their cause and the next step: a database without the aprkit
/// schema (schema_missing, exit 69, "run gov-migrate"), a login role without
/// its group role (not_a_proposer, not_an_approver, not_an_executor,
/// not_a_reader, exit 1, naming the GRANT), where `-v` connected, and a
/// terminal on stdin (usage, exit 64, never a silent wait).
final class ErrorCauseTests: XCTestCase {
    /// An empty ledger head file, for the ledger checklist.
    var headFile: String!

    override func setUpWithError() throws {
        headFile = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-head-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: headFile, contents: Data())
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: headFile) }

    /// Each tool that needs the schema, with arguments that reach the database.
    func runs(_ conninfo: String) -> [(tool: String, args: [String], stdin: String)] {
        let proposal = Fixtures.line(Fixtures.buildStep())
        return [
            ("apr-propose", [], proposal + "\n"),
            ("apr-quorum", ["--apr", "APR-000001"], ""),
            ("apr-quorum", ["--apr", "APR-000001", "--vote", "approve"], ""),
            ("apr-execute", ["--apr", "APR-000001"], ""),
            ("grant-mint", ["--apr", "APR-000001"], ""),
            ("grant-mint", ["--expire-due"], ""),
            ("patch-apply", ["--apr", "APR-000001"], ""),
            ("apr-cancel", ["--apr", "APR-000001", "--reason", "x"], ""),
            ("readback", ["--checklist", "ledger", "--ledger-head", headFile], ""),
        ].map { ($0.0, ["-d", conninfo] + $0.1, $0.2) }
    }

    func testADatabaseWithoutTheSchemaIsSchemaMissingForEveryTool() throws {
        let db = try TestDatabase(migrate: false)
        let host = TestCluster.environment["PGHOST"] ?? ""
        for run in runs(db.conninfo()) {
            let result = try Tool.run(run.tool, run.args, stdin: run.stdin)
            XCTAssertEqual(result.status, 69, "\(run.tool) \(run.args): \(result)")
            XCTAssertEqual(result.json["reason"] as? String, "schema_missing", "\(run.tool): \(result)")
            XCTAssertEqual(result.stderr, "\(run.tool): the aprkit schema is not installed in database \(db.name) on \(host): "
                                        + "run gov-migrate (schema_missing)\n", "\(run.tool) \(run.args)")
        }
        XCTAssertEqual(try db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"), "0",
                       "nothing written")

        // gov-migrate does not refuse: it installs the schema, after which
        // the same call meets the schema's own answer.
        let migrate = try Tool.run("gov-migrate", ["-d", db.conninfo()])
        XCTAssertEqual(migrate.status, 0, migrate.description)
        let after = try Tool.run("apr-quorum", ["-d", db.conninfo(), "--apr", "APR-000001"])
        XCTAssertEqual(after.json["reason"] as? String, "unknown_apr", after.description)
    }

    func testALoginRoleWithoutItsGroupRoleIsToldWhichToGrant() throws {
        let db = try TestDatabase()
        try db.bindMintArm()
        try TestCluster.ensureRole("nogroup")
        _ = try db.approved()
        let digest = try db.contentDigest()
        let expected: [String: (reason: String, role: String)] = [
            "apr-propose": ("not_a_proposer", "apr_proposer"),
            "apr-quorum": ("not_an_approver", "apr_approver"),
            "apr-execute": ("not_an_executor", "apr_executor"),
            "grant-mint": ("not_an_executor", "apr_executor"),
            "patch-apply": ("not_an_executor", "apr_executor"),
            "apr-cancel": ("not_a_proposer", "apr_proposer"),
            "readback": ("not_a_reader", "apr_reader"),
        ]
        for run in runs(db.conninfo(as: "nogroup")) {
            let want = try XCTUnwrap(expected[run.tool])
            let result = try Tool.run(run.tool, run.args, stdin: run.stdin)
            XCTAssertEqual(result.status, 1, "\(run.tool) \(run.args): \(result)")
            XCTAssertEqual(result.json["reason"] as? String, want.reason, "\(run.tool) \(run.args): \(result)")
            XCTAssertTrue(result.stderr.hasPrefix("\(run.tool): nogroup is not a member of \(want.role) ("), result.stderr)
            XCTAssertTrue(result.stderr.hasSuffix(": the schema owner runs GRANT \(want.role) TO nogroup (\(want.reason))\n"),
                          result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        XCTAssertEqual(try db.contentDigest(), digest, "nothing written")

        // A member of the group role meets the schema's own answers, not these.
        let member = try Tool.run("apr-quorum", ["-d", db.conninfo(as: "executor"), "--apr", "APR-999999"])
        XCTAssertEqual(member.json["reason"] as? String, "unknown_apr", member.description)
    }

    func testVerboseSaysWhereEveryToolConnected() throws {
        let db = try TestDatabase()
        let host = TestCluster.environment["PGHOST"] ?? ""
        let port = TestCluster.environment["PGPORT"] ?? "5432"
        var all = runs(db.conninfo(as: "executor"))
        all.append(("gov-migrate", ["-d", db.conninfo(), "--dry-run"], ""))
        for run in all {
            let user = run.tool == "gov-migrate" ? (TestCluster.environment["PGUSER"] ?? "postgres") : "executor"
            let result = try Tool.run(run.tool, ["-v"] + run.args, stdin: run.stdin)
            XCTAssertEqual(result.stderr.split(separator: "\n").first.map(String.init),
                           "\(run.tool): connected to host \(host) port \(port) database \(db.name) as \(user)",
                           "\(run.tool) \(run.args): \(result)")
            let quiet = try Tool.run(run.tool, run.args, stdin: run.stdin)
            XCTAssertEqual(quiet.stdout.count, result.stdout.count, "-v leaves stdout as it is: \(run.tool)")
        }
    }

    /// A tool that would read records, run on a terminal without --apr:
    /// its usage line and exit 64 at once, nothing read, nothing written.
    func testATerminalOnStdinIsAUsageErrorNotASilentWait() throws {
        let db = try TestDatabase()
        let digest = try db.contentDigest()
        for (tool, args) in [("apr-propose", [String]()), ("apr-quorum", []), ("apr-execute", []), ("grant-mint", []),
                             ("patch-apply", []), ("apr-cancel", ["--reason", "x"])] {
            let command = ([Tool.binDir + "/" + tool, "-d", db.conninfo(as: "executor")] + args)
                .map { "'" + $0 + "'" }.joined(separator: " ")
            // script(1) gives the tool a pseudo-terminal as stdin, stdout and
            // stderr; timeout(1) turns a wait into a failure, never a hang.
            let run = try Tool.run("/usr/bin/timeout", ["20", "/usr/bin/script", "-qec", command, "/dev/null"])
            XCTAssertEqual(run.status, 64, "\(tool): \(run)")
            XCTAssertTrue(run.stdout.contains("\"reason\":\"usage\""), "\(tool): \(run.stdout)")
            XCTAssertTrue(run.stdout.contains("\(tool): stdin is a terminal: give --apr CODE, or pipe JSON records in"),
                          "\(tool): \(run.stdout)")
            XCTAssertTrue(run.stdout.contains("\(tool): usage: \(tool) "), "\(tool): \(run.stdout)")
        }
        XCTAssertEqual(try db.contentDigest(), digest)
    }
}
