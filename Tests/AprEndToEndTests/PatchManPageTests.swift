import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// man/patch-apply.1 keeps up with the code: every reason the patch code can
/// raise is listed, and the EXIT STATUS list is the shared ExitStatus enum.
final class PatchManPageTests: XCTestCase {
    func page() throws -> String {
        try String(contentsOfFile: Tool.packageRoot + "/man/patch-apply.1", encoding: .utf8)
    }

    func testEveryReasonThePatchCodeRaisesIsListed() throws {
        let sources = ["Sources/AprKit/Patch", "Sources/AprKit/System"].flatMap { dir in
            (try? FileManager.default.contentsOfDirectory(atPath: Tool.packageRoot + "/" + dir))?
                .map { "\(dir)/\($0)" } ?? []
        } + ["Sources/AprKit/Migrations/Migration003Patch.swift"]
        let pattern = try NSRegularExpression(pattern: #"Refusal\(\s*\.[a-zA-Z]+, "([a-z_]+)"|MESSAGE = '([a-z_]+)'"#)
        var reasons: Set<String> = []
        for source in sources {
            let text = try String(contentsOfFile: Tool.packageRoot + "/" + source, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                for group in 1...2 {
                    if let range = Range(match.range(at: group), in: text) { reasons.insert(String(text[range])) }
                }
            }
        }
        XCTAssertGreaterThan(reasons.count, 30, "the pattern found the reasons")
        let listed = try page().split(separator: "\n").filter { $0.hasPrefix(".It Li ") || $0.hasPrefix(".Ql ") }.joined(separator: "\n")
        for reason in reasons.sorted() {
            XCTAssertTrue(listed.range(of: #"\b\#(reason)\b"#, options: .regularExpression) != nil,
                          "\(reason) is not in the man page's DIAGNOSTICS")
        }
    }

    func testTheExitStatusListIsTheSharedOne() throws {
        let text = try page()
        let section = text.components(separatedBy: ".Sh EXIT STATUS\n")[1].components(separatedBy: ".Sh ")[0]
        let codes = section.split(separator: "\n").filter { $0.hasPrefix(".It ") }.map { String($0.dropFirst(4)) }
        XCTAssertEqual(codes, ExitStatus.allCases.map { String($0.rawValue) })
    }
}
