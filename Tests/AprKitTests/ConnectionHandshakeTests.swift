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

    /// A session ended just as it started: the server's ReadyForQuery and
    /// its FATAL arrive together, so libpq reads the FATAL inside its connect
    /// call, in the idle state, and hands it to the default notice processor
    /// (stderr) before any processor of ours can be installed. Nothing may
    /// reach stderr; the first query (which carries the search_path pin)
    /// reports the lost connection.
    func testAFatalThatArrivesWithReadyForQueryIsNotPrinted() throws {
        let server = try FakeServer(answer: FakeServer.authenticationOk + FakeServer.readyForQuery + FakeServer.fatal(
            code: "57P01", message: "terminating connection due to administrator command"))
        let conninfo = "host=127.0.0.1 port=\(server.port) dbname=x user=x sslmode=disable gssencmode=disable"
        var thrown: Error?
        let printed = try capturingStandardError {
            do { try Connection(dbname: conninfo, applicationName: "test").execute("SELECT 1") } catch { thrown = error }
        }
        XCTAssertEqual(printed, "")
        XCTAssertEqual((thrown as? PGError)?.kind, .unavailable, "\(String(describing: thrown))")
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

/// Runs `body` with file descriptor 2 sent to a temporary file; returns what
/// was written there.
private func capturingStandardError(_ body: () throws -> Void) throws -> String {
    let path = NSTemporaryDirectory() + "/stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw PGError(kind: .other, sqlstate: nil, message: "cannot open \(path)") }
    defer { close(fd); unlink(path) }
    fflush(nil)
    let saved = dup(2)
    dup2(fd, 2)
    defer { fflush(nil); dup2(saved, 2); close(saved) }
    try body()
    fflush(nil)
    return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// A server on 127.0.0.1 that takes one connection, reads its startup
/// packet, writes `answer` in one write and closes the connection.
private final class FakeServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32

    init(answer: [UInt8]) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 1) == 0 else {
            close(listener)
            throw PGError(kind: .other, sqlstate: nil, message: "fake server: cannot listen")
        }
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            var header = [UInt8](repeating: 0, count: 4)
            guard read(client, &header, 4) == 4 else { return }
            var rest = Int(header.reduce(0) { $0 << 8 | UInt32($1) }) - 4
            var buffer = [UInt8](repeating: 0, count: 1024)
            while rest > 0 {
                let n = read(client, &buffer, min(rest, buffer.count))
                if n <= 0 { return }
                rest -= n
            }
            // As a server does when its session ends: the answer, then EOF.
            _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
        }
    }

    deinit { close(listener) }

    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(body.count + 4)
        return [UInt8(ascii: type.unicodeScalars.first!)]
            + [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)] + body
    }

    static var authenticationOk: [UInt8] { message("R", [0, 0, 0, 0]) }
    static var readyForQuery: [UInt8] { message("Z", Array("I".utf8)) }
    static func fatal(code: String, message text: String) -> [UInt8] {
        var body: [UInt8] = []
        for (field, value) in [("S", "FATAL"), ("V", "FATAL"), ("C", code), ("M", text)] {
            body += Array(field.utf8) + Array(value.utf8) + [0]
        }
        return message("E", body + [0])
    }
}
