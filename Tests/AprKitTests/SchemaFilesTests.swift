import AprKit
import Foundation
import XCTest
import _AprTestSupport

/// The schema is SQL files embedded at build time: every file is listed in
/// Schema with exactly its bytes, a released migration never changes, and a
/// checksum is what `sha256sum FILE` prints.
final class SchemaFilesTests: XCTestCase {
    static let sqlDir = Tool.packageRoot + "/Sources/AprKit/SQL"
    static let lockFile = Tool.packageRoot + "/Tests/Fixtures/released-migrations.sha256"

    func files(in dir: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(suffix) }.sorted()
    }

    func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    func testEveryVersionedMigrationFileIsBundledWithItsBytesInVersionOrder() throws {
        let names = try files(in: Self.sqlDir + "/migrations", suffix: ".sql")
        XCTAssertEqual(names, Schema.versioned.map { "\($0.version)-\($0.name).sql" })
        for m in Schema.versioned {
            XCTAssertEqual(m.bytes, try bytes("\(Self.sqlDir)/migrations/\(m.version)-\(m.name).sql"), m.version)
            XCTAssertEqual(m.kind, .versioned)
        }
        let versions = Schema.versioned.map(\.version)
        XCTAssertEqual(versions, versions.sorted())
        XCTAssertEqual(Set(versions).count, versions.count)
    }

    func testEveryRepeatableFileIsBundledWithItsBytes() throws {
        let names = try files(in: Self.sqlDir, suffix: ".sql")
        XCTAssertEqual(names, Schema.repeatables.map(\.version).sorted())
        for m in Schema.repeatables {
            XCTAssertEqual(m.bytes, try bytes("\(Self.sqlDir)/\(m.version)"), m.version)
            XCTAssertEqual(m.kind, .repeatable)
        }
        XCTAssertEqual(Schema.repeatables.first?.version, "migrations.sql", "the records every file calls come first")
        XCTAssertEqual(Schema.repeatables.last?.version, "grants-and-roles.sql", "the privileges come last")
    }

    func testEveryChecklistFileIsBundledWithItsBytes() throws {
        let names = try files(in: Self.sqlDir + "/checklists", suffix: ".checklist.sql")
        XCTAssertEqual(names, Schema.checklists.keys.map { "\($0).checklist.sql" }.sorted())
        for (name, content) in Schema.checklists {
            XCTAssertEqual(content, try bytes("\(Self.sqlDir)/checklists/\(name).checklist.sql"), name)
        }
        XCTAssertEqual(Schema.ledgerChainQuery, try bytes(Self.sqlDir + "/checklists/ledger-chain.sql"))
        XCTAssertEqual(Schema.schemaFingerprintQuery, try bytes(Self.sqlDir + "/checklists/schema-fingerprint.sql"))
    }

    /// The lock file holds the sha256 of every released migration and only
    /// grows: a released migration whose bytes change fails here, and a new
    /// migration must be added to it when it is released.
    func testNoReleasedMigrationChanged() throws {
        let lines = try String(contentsOfFile: Self.lockFile, encoding: .utf8).split(separator: "\n")
        var locked: [String: String] = [:]
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertEqual(fields.count, 2, "a sha256sum line: \(line)")
            locked[String(fields[1])] = String(fields[0])
        }
        XCTAssertEqual(lines.map { String($0.split(separator: " ").last!) }, locked.keys.sorted(), "in version order, each once")
        for m in Schema.versioned {
            let file = "\(m.version)-\(m.name).sql"
            XCTAssertEqual(locked[file], m.checksum, "\(file) was released with another checksum, or is not in the lock file")
        }
        XCTAssertEqual(Set(locked.keys), Set(Schema.versioned.map { "\($0.version)-\($0.name).sql" }),
                       "every locked migration is still bundled")
    }

    /// A recorded checksum is the sha256 of the file's bytes: `sha256sum FILE`.
    func testAChecksumIsWhatSha256sumPrints() throws {
        for m in Schema.versioned + Schema.repeatables {
            let path = m.kind == .versioned ? "\(Self.sqlDir)/migrations/\(m.version)-\(m.name).sql" : "\(Self.sqlDir)/\(m.version)"
            let printed = try Tool.run("/usr/bin/sha256sum", [path]).stdout.split(separator: " ").first.map(String.init)
            XCTAssertEqual(m.checksum, printed, path)
        }
    }

    /// What the first release recorded: the sha256 of the sha256 digest, as
    /// a database made by it holds them (Tests/Fixtures/upgrade).
    func testTheFirstReleasesChecksumsAreRecognised() throws {
        let expected = try String(contentsOfFile: Tool.packageRoot + "/Tests/Fixtures/upgrade/release-1.expected", encoding: .utf8)
        var recorded: [String: String] = [:]
        for line in expected.split(separator: "\n") where line.hasPrefix("migration ") {
            let fields = line.split(separator: " ")
            recorded[String(fields[1])] = String(fields[2])
        }
        for m in Schema.versioned.prefix(4) {
            XCTAssertEqual(recorded[m.version], m.firstReleaseChecksum, m.version)
            XCTAssertNotEqual(m.firstReleaseChecksum, m.checksum)
        }
    }
}
