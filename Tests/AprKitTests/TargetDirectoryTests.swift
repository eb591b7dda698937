@testable import AprKit
import Foundation
import XCTest

/// The directory checks under every patch: what counts as below a root, and
/// that a descriptor is the directory that was checked.
final class TargetDirectoryTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-td-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir + "/root/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/rootless", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testWithinMeansTheRootOrBelowItNotANameThatStartsTheSame() {
        XCTAssertTrue(TargetDirectory.isWithin("/srv/root", "/srv/root"))
        XCTAssertTrue(TargetDirectory.isWithin("/srv/root/sub", "/srv/root"))
        XCTAssertFalse(TargetDirectory.isWithin("/srv/rootless", "/srv/root"))
        XCTAssertFalse(TargetDirectory.isWithin("/srv", "/srv/root"))
    }

    func testResolvesAFileBelowTheRootThroughItsRealDirectory() throws {
        let target = try TargetDirectory(filePath: dir + "/root/sub/x.sh", root: dir + "/root")
        XCTAssertEqual(target.name, "x.sh")
        XCTAssertTrue(TargetDirectory.opened(target.fd, is: target.path))
        XCTAssertFalse(TargetDirectory.opened(target.fd, is: dir + "/rootless"))
        XCTAssertNil(try target.inspect(), "no file yet")
    }

    func testALinkInsideTheRootToASiblingOfTheRootIsAnEscape() throws {
        try FileManager.default.createSymbolicLink(atPath: dir + "/root/out", withDestinationPath: dir + "/rootless")
        XCTAssertThrowsError(try TargetDirectory(filePath: dir + "/root/out/x.sh", root: dir + "/root")) { error in
            XCTAssertEqual((error as? Refusal)?.reason, "symlink_escape")
        }
    }

    func testAFileWhereTheParentShouldBeIsAMissingParent() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/root/file"))
        XCTAssertThrowsError(try TargetDirectory(filePath: dir + "/root/file/x.sh", root: dir + "/root")) { error in
            XCTAssertEqual((error as? Refusal)?.reason, "missing_parent")
        }
    }
}
