import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// One registry of refusal reasons (apr_reasons): one reason, one SQLSTATE,
/// one exit status. The database raises by it, the tools map by it, and the
/// man page of each tool lists, with its exit status, every reason the
/// tool's code can raise.
final class ReasonRegistryTests: XCTestCase {
    static let root = Tool.packageRoot

    /// Reasons only a write behind the tools' back meets (the guard triggers
    /// of the tables): listed in aprkit(7), not in a tool's page.
    static let guardReasons: Set = [
        "ledger_append_only", "apr_immutable", "bad_status_transition", "vote_immutable", "dispatch_immutable",
        "grant_immutable", "reason_immutable", "migration_immutable", "unregistered_reason",
    ]

    /// What every tool that connects can meet.
    static let commonReasons: Set = [
        "usage", "database_unavailable", "database_busy", "serialization_retries_exhausted", "database_error",
        "internal_error",
    ]

    /// The Swift code each tool runs; the SQL functions it calls are found
    /// in that code, and what they call in turn, in the repeatable files.
    static let sourcesByTool: [String: [String]] = [
        "apr-propose": ["Sources/apr-propose", "Sources/AprCLI", "Sources/AprKit/Workflow/Proposals.swift",
                        "Sources/AprKit/JSON"],
        "apr-cancel": ["Sources/apr-cancel", "Sources/AprCLI", "Sources/AprKit/Workflow/Cancellation.swift",
                       "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
        "apr-quorum": ["Sources/apr-quorum", "Sources/AprCLI", "Sources/AprKit/Workflow/Quorum.swift",
                       "Sources/AprKit/Workflow/Quorum+Wait.swift",
                       "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
        "apr-log": ["Sources/apr-log", "Sources/AprCLI/AprTool.swift", "Sources/AprCLI/ConnectionOptions.swift",
                    "Sources/AprKit/Workflow/LedgerLog.swift"],
        "apr-execute": ["Sources/apr-execute", "Sources/AprCLI", "Sources/AprKit/Dispatch", "Sources/AprKit/Grants",
                        "Sources/AprKit/Patch",
                        "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
        "grant-mint": ["Sources/grant-mint", "Sources/AprCLI", "Sources/AprKit/Grants",
                       "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
        "handler-bind": ["Sources/handler-bind", "Sources/AprCLI/AprTool.swift", "Sources/AprKit/Binding", "Sources/AprKit/Migrations",
                         "Sources/AprKit/Dispatch/ArmRegistry.swift", "Sources/AprKit/Dispatch/ExternalHandler.swift",
                         "Sources/AprKit/Dispatch/GovernedHandler.swift", "Sources/AprKit/Patch/TargetDirectory.swift"],
        "gov-migrate": ["Sources/gov-migrate", "Sources/AprCLI/AprTool.swift", "Sources/AprKit/Migrations",
                        "Sources/AprKit/Files/FileBytes.swift"],
        "readback": ["Sources/readback", "Sources/AprCLI/AprTool.swift", "Sources/AprKit/Readback", "Sources/AprKit/Files/FileBytes.swift"],
        "patch-apply": ["Sources/patch-apply", "Sources/AprCLI", "Sources/AprKit/Patch", "Sources/AprKit/Files",
                        "Sources/AprKit/System", "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
        "apr-list": ["Sources/apr-list", "Sources/AprCLI/AprTool.swift", "Sources/AprCLI/ConnectionOptions.swift",
                     "Sources/AprCLI/Output.swift", "Sources/AprKit/Workflow/Reading.swift",
                     "Sources/AprKit/Workflow/ListFilter.swift", "Sources/AprKit/Workflow/ReadingText.swift"],
        "apr-show": ["Sources/apr-show", "Sources/AprCLI", "Sources/AprKit/Workflow/Reading.swift",
                     "Sources/AprKit/Workflow/Reading+Show.swift", "Sources/AprKit/Workflow/ReadingText.swift",
                     "Sources/AprKit/Workflow/AprReference.swift", "Sources/AprKit/JSON"],
    ]

    /// A page may leave the reasons of a built-in arm to the page of the tool
    /// that is that arm, when it refers to it in its reason list.
    static let armPages: [String: String] = ["apr-execute": "patch-apply"]

    /// The functions of the repeatable files, name → body.
    static let sqlFunctions: [String: String] = {
        var functions: [String: String] = [:]
        for m in Schema.repeatables {
            let parts = m.sql.components(separatedBy: "CREATE OR REPLACE FUNCTION ").dropFirst()
            for part in parts {
                let name = String(part.prefix { $0 != "(" })
                let body = part.components(separatedBy: "\nREVOKE ").first!.components(separatedBy: "\nCREATE OR REPLACE TRIGGER").first!
                functions[name, default: ""] += body
            }
        }
        return functions
    }()

    /// The reasons a SQL function raises, itself or through what it calls.
    static func reasons(ofFunction name: String, _ seen: inout Set<String>) -> Set<String> {
        guard let body = sqlFunctions[name], seen.insert(name).inserted else { return [] }
        var found = reasons(inSQL: body)
        for called in calls(in: body) { found.formUnion(reasons(ofFunction: called, &seen)) }
        return found
    }

    /// The schema's functions a text calls (`name(`).
    static func calls(in text: String) -> Set<String> {
        matches(#"\b([a-z_][a-z0-9_]*)\("#, in: text).filter { sqlFunctions[$0] != nil }
    }

    // MARK: the registry itself

    func testTheToolsKnowEveryReasonTheDatabaseRegisters() throws {
        let db = try TestDatabase()
        let rows = try db.connect().execute("SELECT reason, sqlstate, exit_status FROM apr_reasons ORDER BY reason")
        var inDatabase: [String: String] = [:]
        for row in 0..<rows.rowCount {
            let reason = rows.value(row, 0)!, sqlstate = rows.value(row, 1)!
            inDatabase[reason] = sqlstate
            XCTAssertEqual(ExitStatus(sqlstate: sqlstate)?.rawValue, Int32(rows.value(row, 2)!)!, reason)
            XCTAssertEqual(Reasons.exitStatus(of: reason), ExitStatus(sqlstate: sqlstate), reason)
        }
        XCTAssertEqual(inDatabase, Reasons.registry, "run scripts/gen-reasons after a migration adds reasons")
        XCTAssertEqual(Set(inDatabase.values).count, inDatabase.count, "every SQLSTATE is unique")
        XCTAssertGreaterThan(inDatabase.count, 100)
    }

    func testARefusalRaisedByTheDatabaseCarriesItsRegisteredSqlstate() throws {
        let db = try TestDatabase()
        for (reason, sqlstate) in [("unknown_apr", "AKF10"), ("quorum_not_met", "AKS02"), ("bad_base64", "AKD06")] {
            XCTAssertThrowsError(try db.connect().execute("SELECT apr_raise($1, 'test')", [reason])) { error in
                XCTAssertEqual((error as? PGError)?.sqlstate, sqlstate)
                XCTAssertEqual(Refusal(error as! PGError).reason, reason)
                XCTAssertEqual(Refusal(error as! PGError).status, Reasons.exitStatus(of: reason))
            }
        }
        XCTAssertThrowsError(try db.connect().execute("SELECT apr_raise('no_such_reason', 'test')")) { error in
            XCTAssertEqual((error as? PGError)?.message, "unregistered_reason")
        }
    }

    // MARK: what the code raises

    func testEveryReasonTheSchemaRaisesIsRegistered() throws {
        var all: Set<String> = []
        for m in Schema.repeatables { all.formUnion(Self.reasons(inSQL: m.sql)) }
        XCTAssertGreaterThan(all.count, 50, "the pattern finds the reasons")
        XCTAssertEqual(all.filter { !Reasons.isRegistered($0) }.sorted(), [])
    }

    func testEveryReasonTheToolsRaiseIsRegistered() throws {
        var all: Set<String> = []
        for file in try Self.files(under: "Sources", suffix: ".swift") {
            all.formUnion(Self.reasons(inSwift: try String(contentsOfFile: file, encoding: .utf8)))
        }
        XCTAssertGreaterThan(all.count, 50, "the pattern finds the reasons")
        XCTAssertEqual(all.filter { !Reasons.isRegistered($0) }.sorted(), [])
    }

    // MARK: the man pages

    func testEachToolsPageListsEveryReasonItsCodeRaisesWithItsStatus() throws {
        for (tool, sources) in Self.sourcesByTool.sorted(by: { $0.key < $1.key }) {
            var listed = try Self.listedReasons(page: "man/\(tool).1")
            if let arm = Self.armPages[tool] {
                XCTAssertTrue(try Self.reasonSection(page: "man/\(tool).1").contains(".Xr \(arm) 1"),
                              "\(tool)(1) leaves its arm's reasons to \(arm)(1) without saying so")
                listed.merge(try Self.listedReasons(page: "man/\(arm).1")) { own, _ in own }
            }
            var raised = Self.commonReasons
            var seen: Set<String> = []
            for source in sources {
                for file in try Self.files(under: source, suffix: ".swift") {
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    raised.formUnion(Self.reasons(inSwift: text))
                    for function in Self.calls(in: text) { raised.formUnion(Self.reasons(ofFunction: function, &seen)) }
                }
            }
            let missing = raised.subtracting(Self.guardReasons).subtracting(listed.keys).sorted()
            XCTAssertEqual(missing, [], "\(tool)(1) does not list these reasons its code raises")
            for (reason, status) in listed.sorted(by: { $0.key < $1.key }) {
                XCTAssertTrue(Reasons.isRegistered(reason), "\(tool)(1) lists \(reason), which is not registered")
                XCTAssertEqual(status, Reasons.exitStatus(of: reason).rawValue, "\(tool)(1): the exit status of \(reason)")
            }
        }
    }

    func testEveryRegisteredReasonIsDocumented() throws {
        var documented: Set<String> = []
        for page in try Self.files(under: "man", suffix: "") {
            documented.formUnion(try Self.listedReasons(page: String(page.dropFirst(Self.root.count + 1))).keys)
        }
        XCTAssertEqual(Set(Reasons.registry.keys).subtracting(documented).sorted(), [])
    }

    // MARK: helpers

    static func files(under path: String, suffix: String) throws -> [String] {
        let full = root + "/" + path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir) else { return [] }
        if !isDir.boolValue { return [full] }
        return (FileManager.default.enumerator(atPath: full)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(suffix) && !$0.contains("/SQL/") && !$0.hasPrefix("SQL/") }
            .map { full + "/" + $0 }
    }

    static func matches(_ pattern: String, in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: pattern)
        var found: Set<String> = []
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            for group in 1..<match.numberOfRanges {
                if let range = Range(match.range(at: group), in: text) { found.insert(String(text[range])) }
            }
        }
        return found
    }

    static func reasons(inSQL text: String) -> Set<String> {
        matches(#"apr_(?:raise|refuse)\('([a-z][a-z0-9_]*)'|gov_refuse_change\('([a-z][a-z0-9_]*)'\)|'([a-z][a-z0-9_]*)'::text"#, in: text)
    }

    static func reasons(inSwift text: String) -> Set<String> {
        matches(#"Refusal\(\s*(?:[^"()]*\?\s*)?"([a-z][a-z0-9_]*)"(?:\s*:\s*"([a-z][a-z0-9_]*)")?|refuse\("([a-z][a-z0-9_]*)"|apr_raise\('([a-z][a-z0-9_]*)'"#, in: text)
    }

    /// The text of a page's REASON CODES or DIAGNOSTICS section.
    static func reasonSection(page: String) throws -> String {
        var inSection = false
        var text = ""
        for line in try String(contentsOfFile: root + "/" + page, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix(".Sh ") { inSection = line == ".Sh REASON CODES" || line == ".Sh DIAGNOSTICS" }
            if inSection { text += line + "\n" }
        }
        return text
    }

    /// reason → exit status, from a page's REASON CODES or DIAGNOSTICS
    /// list: `.It Sy a , b` followed by a line `(exit N) …`, or `.It Li a Pq N`.
    static func listedReasons(page: String) throws -> [String: Int32] {
        let lines = try String(contentsOfFile: root + "/" + page, encoding: .utf8).split(separator: "\n").map(String.init)
        var listed: [String: Int32] = [:]
        var inSection = false
        for (i, line) in lines.enumerated() {
            if line.hasPrefix(".Sh ") { inSection = line == ".Sh REASON CODES" || line == ".Sh DIAGNOSTICS" }
            guard inSection, line.hasPrefix(".It ") else { continue }
            let next = i + 1 < lines.count ? lines[i + 1] : ""
            let status = matches(#"Pq (\d+)"#, in: line).first ?? matches(#"^\((?:[a-z]+, )?(?:exit )?(\d+)\)"#, in: next).first
            guard let status, let code = Int32(status) else { continue }
            for word in line.dropFirst(4).split(separator: " ") where word.contains("_") || Reasons.isRegistered(String(word)) {
                listed[String(word)] = code
            }
        }
        return listed
    }
}
