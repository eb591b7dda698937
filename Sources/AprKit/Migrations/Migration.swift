/// One governed schema change, applied by gov-migrate in a single
/// transaction together with its readback assertions and its record.
///
/// - versioned: a bundled `NNN-what.sql` (tables, columns, constraints,
///   indexes, seed data); applied once, never edited once released.
/// - repeatable: a bundled `<area>.sql` (the functions, views, triggers and
///   privileges of one area); applied again whenever its bytes change.
/// - staged: a migration file given on the command line (handler-bind writes
///   them); applied once, like a versioned one.
public struct Migration: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case versioned, repeatable, staged
    }

    public let kind: Kind
    /// What the record is keyed by: "001" for a versioned migration, the
    /// file name for a repeatable one ("votes.sql"), the file's base name
    /// for a staged one.
    public let version: String
    public let name: String
    /// The file's bytes, exactly: what the checksum covers and what runs.
    public let bytes: [UInt8]

    public init(kind: Kind, version: String, name: String, bytes: [UInt8]) {
        self.kind = kind
        self.version = version
        self.name = name
        self.bytes = bytes
    }

    public var sql: String { String(decoding: bytes, as: UTF8.self) }

    /// The sha256 of the file's bytes, as `sha256sum FILE` prints it: an
    /// applied migration whose bytes changed is refused before any DDL runs.
    public var checksum: String { SHA256.hexDigest(bytes) }

    /// What the first release recorded instead: the sha256 of the bytes'
    /// sha256 digest. gov-migrate recognises it and records `checksum`.
    public var firstReleaseChecksum: String { SHA256.hexDigest(SHA256.hash(bytes)) }

    /// Everything built into the tools, in the order it applies: the
    /// versioned migrations, then the repeatable files.
    public static var bundled: [Migration] { Schema.versioned + Schema.repeatables }
}
