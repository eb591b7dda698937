@testable import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// libpq's own connect runs the handshake: a failure is unavailable (69) in
/// libpq's words, and a login the server refused is told apart from a server
/// that could not be reached.
final class ConnectionHandshakeTests: XCTestCase {
    func testAServerThatNeverAnswersTimesOutAsUnavailable() throws {
        // A socket that accepts connections (the kernel's backlog) and never answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        XCTAssertEqual(listen(fd, 4), 0)
        let port = UInt16(bigEndian: address.sin_port)

        // (libpq waits at least 2 seconds: it takes connect_timeout=1 as 2.)
        XCTAssertThrowsError(try Connection(
            dbname: "host=127.0.0.1 port=\(port) dbname=x sslmode=disable connect_timeout=1", applicationName: "test")) { error in
            let error = error as? PGError
            XCTAssertEqual(error?.kind, .unavailable)
            XCTAssertNil(error?.sqlstate)
            XCTAssertEqual(error?.message,
                           "connection to server at \"127.0.0.1\", port \(port) failed: timeout expired")
        }
    }

    func testAMissingSocketIsUnavailableWithLibpqsReason() {
        XCTAssertThrowsError(try Connection(dbname: "host=/nonexistent dbname=x", applicationName: "test")) { error in
            let error = error as? PGError
            XCTAssertEqual(error?.kind, .unavailable)
            XCTAssertNil(error?.sqlstate)
            XCTAssertEqual(error?.message,
                           "connection to server on socket \"/nonexistent/.s.PGSQL.5432\" failed: No such file or directory")
            XCTAssertEqual(error.map(Refusal.init)?.reason, "database_unavailable")
        }
    }

    /// The test cluster trusts every local login, so a role that does not
    /// exist is the login failure it can show.
    func testARoleThatDoesNotExistIsAnAuthenticationFailure() throws {
        try TestCluster.requireConfigured()
        XCTAssertThrowsError(try Connection(dbname: "dbname=postgres user=aprkit_no_such_role", applicationName: "test")) { error in
            let error = error as? PGError
            XCTAssertEqual(error?.kind, .unavailable)
            XCTAssertEqual(error?.sqlstate, "28000")
            XCTAssertTrue(error?.message.hasSuffix("failed: FATAL:  role \"aprkit_no_such_role\" does not exist") == true,
                          error?.message ?? "")
            let refusal = error.map(Refusal.init)
            XCTAssertEqual(refusal?.status, .unavailable)
            XCTAssertEqual(refusal?.reason, "authentication_failed")
            XCTAssertEqual(refusal?.message, "authentication failed: \(error?.message ?? "")")
        }
    }

    func testADatabaseThatDoesNotExistIsUnavailableNotALoginFailure() throws {
        try TestCluster.requireConfigured()
        XCTAssertThrowsError(try Connection(dbname: "dbname=aprkit_no_such_database", applicationName: "test")) { error in
            let error = error as? PGError
            XCTAssertNil(error?.sqlstate)
            XCTAssertTrue(error?.message.hasSuffix("failed: FATAL:  database \"aprkit_no_such_database\" does not exist") == true,
                          error?.message ?? "")
            XCTAssertEqual(error.map(Refusal.init)?.reason, "database_unavailable")
        }
    }

    func testAConnectionReportsTheHostOfAListItSettledOn() throws {
        try TestCluster.requireConfigured()
        let env = TestCluster.environment
        let host = try XCTUnwrap(env["PGHOST"])
        // The first host has no server: libpq goes on to the next.
        let db = try Connection(dbname: "host=/nonexistent,\(host) dbname=postgres", applicationName: "test")
        XCTAssertEqual(db.host, host)
        XCTAssertEqual(db.port, env["PGPORT"] ?? "5432")
        XCTAssertEqual(db.database, "postgres")
        XCTAssertEqual(db.user, env["PGUSER"] ?? "postgres")
    }

    // trimmedMessage: one line, the last host's, hints dropped.

    func testTheLastHostsLineIsKeptAndHintsAreDropped() {
        let text = """
            connection to server on socket "/a/.s.PGSQL.5432" failed: No such file or directory
            \tIs the server running locally and accepting connections on that socket?
            connection to server at "127.0.0.1", port 5433 failed: FATAL:  password authentication failed for user "x"

            """
        XCTAssertEqual(trimmed(text),
                       "connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  password authentication failed for user \"x\"")
    }

    func testANoteAfterTheLastHostsLineStaysOnItsLine() {
        let text = """
            connection to server at "127.0.0.1", port 5433 failed: FATAL:  password authentication failed for user "x"
            password retrieved from file "/home/x/.pgpass"

            """
        XCTAssertEqual(trimmed(text),
                       "connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  password authentication failed "
                       + "for user \"x\"; password retrieved from file \"/home/x/.pgpass\"")
    }

    func testAMessageWithoutAConnectionLineKeepsItsLastLine() {
        XCTAssertEqual(trimmed("ERROR:  something\n"), "something")
        XCTAssertEqual(trimmed("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n"),
                       "server closed the connection unexpectedly")
    }

    private func trimmed(_ text: String) -> String {
        text.withCString { Connection.trimmedMessage($0) }
    }
}
