import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// One exit-status enum in the code, one table in every manual page: the
/// two must name the same codes.
final class ExitStatusTests: XCTestCase {
    func testTheCodesAreTheContract() {
        XCTAssertEqual(ExitStatus.allCases.map(\.rawValue), [0, 1, 2, 3, 64, 65, 69, 70, 75])
        XCTAssertEqual(ExitStatus.skip.resultWord, "SKIP")
        XCTAssertEqual(ExitStatus.fail.resultWord, "FAIL")
        XCTAssertEqual(ExitStatus.stop.resultWord, "STOP")
    }

    func testTheWorstStatusOfAStreamWins() {
        XCTAssertEqual(ExitStatus.ok.worse(.skip), .skip)
        XCTAssertEqual(ExitStatus.skip.worse(.fail), .fail)
        XCTAssertEqual(ExitStatus.fail.worse(.dataError), .dataError)
        XCTAssertEqual(ExitStatus.unavailable.worse(.fail), .unavailable)
    }

    func testEveryToolPageListsEveryExitStatus() throws {
        let man = URL(fileURLWithPath: Tool.packageRoot).appendingPathComponent("man")
        let pages = try FileManager.default.contentsOfDirectory(atPath: man.path).filter { $0.hasSuffix(".1") }
        XCTAssertFalse(pages.isEmpty)
        for page in pages {
            let text = try String(contentsOf: man.appendingPathComponent(page), encoding: .utf8)
            guard let start = text.range(of: ".Sh EXIT STATUS\n") else {
                XCTFail("\(page) has no EXIT STATUS section")
                continue
            }
            let section = text[start.upperBound...].prefix { _ in true }
            let body = section.components(separatedBy: "\n.Sh ").first ?? ""
            let listed = body.split(separator: "\n").compactMap { line -> Int32? in
                line.hasPrefix(".It ") ? Int32(line.dropFirst(4)) : nil
            }
            XCTAssertEqual(listed, ExitStatus.allCases.map(\.rawValue).sorted(), "\(page): EXIT STATUS table")
        }
    }
}
