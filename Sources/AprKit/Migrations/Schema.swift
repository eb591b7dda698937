/// The SQL files built into the tools (Sources/AprKit/SQL, embedded at build
/// time as byte arrays). A file is found by the name of what it holds:
/// `apr_vote` is in votes.sql. Every file in that directory is listed here,
/// in the order it applies; a test fails when one is missing.
public enum Schema {
    /// The versioned migrations, `migrations/NNN-what.sql`, in version order.
    /// Released ones are never edited (Tests/Fixtures/released-migrations.sha256).
    public static let versioned: [Migration] = [
        versioned("001-core.sql", PackageResources._01_core_sql),
        versioned("002-grants.sql", PackageResources._02_grants_sql),
        versioned("003-patch.sql", PackageResources._03_patch_sql),
        versioned("004-tools.sql", PackageResources._04_tools_sql),
        versioned("005-reasons-and-repeatables.sql", PackageResources._05_reasons_and_repeatables_sql),
        versioned("006-trust-boundary.sql", PackageResources._06_trust_boundary_sql),
        versioned("007-operators-day.sql", PackageResources._07_operators_day_sql),
        versioned("008-approver-identity.sql", PackageResources._08_approver_identity_sql),
        versioned("009-scale-indexes.sql", PackageResources._09_scale_indexes_sql),
    ]

    /// The repeatable files, in the order they apply: the records of the
    /// mechanism itself first (every file's record calls them), the write
    /// guards next (every writer calls them), then what others call, and the
    /// privileges of the group roles last.
    public static let repeatables: [Migration] = [
        repeatable("migrations.sql", PackageResources.migrations_sql),
        repeatable("writes.sql", PackageResources.writes_sql),
        repeatable("reasons.sql", PackageResources.reasons_sql),
        repeatable("ledger.sql", PackageResources.ledger_sql),
        repeatable("actions.sql", PackageResources.actions_sql),
        repeatable("approvers.sql", PackageResources.approvers_sql),
        repeatable("proposals.sql", PackageResources.proposals_sql),
        repeatable("quorum.sql", PackageResources.quorum_sql),
        repeatable("votes.sql", PackageResources.votes_sql),
        repeatable("dispatch.sql", PackageResources.dispatch_sql),
        repeatable("grants.sql", PackageResources.grants_sql),
        repeatable("patch.sql", PackageResources.patch_sql),
        repeatable("tools.sql", PackageResources.tools_sql),
        repeatable("reading.sql", PackageResources.reading_sql),
        repeatable("log.sql", PackageResources.log_sql),
        repeatable("cancel.sql", PackageResources.cancel_sql),
        repeatable("grants-and-roles.sql", PackageResources.grants_and_roles_sql),
    ]

    /// readback's built-in checklists (checklists/NAME.checklist.sql), by
    /// name, and the ledger chain query they share (checklists/ledger-chain.sql).
    public static let checklists: [String: [UInt8]] = [
        "post-grant": PackageResources.post_grant_checklist_sql,
        "prewrite": PackageResources.prewrite_checklist_sql,
        "ledger": PackageResources.ledger_checklist_sql,
    ]
    public static let ledgerChainQuery = PackageResources.ledger_chain_sql
    /// The schema's fingerprint (checklists/schema-fingerprint.sql), which
    /// gov-migrate records and the ledger checklist compares.
    public static let schemaFingerprintQuery = PackageResources.schema_fingerprint_sql

    /// `NNN-what.sql` → version NNN, name what.
    private static func versioned(_ file: String, _ bytes: [UInt8]) -> Migration {
        let stem = file.dropLast(4)
        let dash = stem.firstIndex(of: "-")!
        return Migration(kind: .versioned, version: String(stem[..<dash]),
                         name: String(stem[stem.index(after: dash)...]), bytes: bytes)
    }

    private static func repeatable(_ file: String, _ bytes: [UInt8]) -> Migration {
        Migration(kind: .repeatable, version: file, name: file, bytes: bytes)
    }
}
