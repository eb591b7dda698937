/// One governed schema change: a version that orders it, a name, and the SQL
/// that runs in a single transaction together with its readback assertions.
public struct Migration: Sendable, Equatable {
    public let version: String
    public let name: String
    public let sql: String

    public init(version: String, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The sha256 of the SQL text: an applied migration whose text changed is
    /// refused before any DDL runs.
    public var checksum: String { SHA256.hexDigest(SHA256.hash(Array(sql.utf8))) }

    /// The schema migrations built into the tools, in the order they apply.
    public static let bundled: [Migration] = [.core, .grants, .patch, .tools]
}
