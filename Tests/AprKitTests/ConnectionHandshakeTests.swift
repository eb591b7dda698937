import AprKit
import Foundation
import XCTest

/// The connection handshake runs non-blocking (so libpq prints nothing of
/// its own); connect_timeout still bounds it.
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

        XCTAssertThrowsError(try Connection(
            dbname: "host=127.0.0.1 port=\(port) dbname=x sslmode=disable connect_timeout=1", applicationName: "test")) { error in
            let error = error as? PGError
            XCTAssertEqual(error?.kind, .unavailable)
            XCTAssertTrue(error?.message.contains("timeout expired") == true, error?.message ?? "")
        }
    }

    func testAMissingServerIsUnavailableWithLibpqsReason() {
        XCTAssertThrowsError(try Connection(dbname: "host=/nonexistent dbname=x", applicationName: "test")) { error in
            XCTAssertEqual((error as? PGError)?.kind, .unavailable)
            XCTAssertTrue((error as? PGError)?.message.contains("No such file or directory") == true)
        }
    }
}
