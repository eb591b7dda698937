/// An arm compiled into apr-execute, dispatched when an action type's
/// handler_ref is `apr-execute:<name>`.
///
/// The contract every built-in arm keeps: `dispatch` is called for an APR the
/// dispatcher found eligible, while this session holds the APR's dispatch
/// lock; the arm checks eligibility again under the APR's row lock, settles
/// the APR (approved → applied or failed) in the same transaction as its own
/// write, and on a repeat answers "already done" (`unchanged`) without acting
/// again.
public protocol BuiltInArm: Sendable {
    /// The arm's name, the part of handler_ref after `apr-execute:`.
    var name: String { get }
    /// The action type whose APRs this arm executes.
    var actionCode: String { get }
    /// Executes one approved APR and reports what it did.
    func dispatch(_ request: DispatchRequest, connection: Connection) throws -> Outcome
}

/// What the dispatcher hands an arm: the APR, and the payload hash the caller
/// saw when it named the APR by a record on stdin.
public struct DispatchRequest: Sendable {
    public let aprCode: String
    public let payloadSHA256: String?

    public init(aprCode: String, payloadSHA256: String? = nil) {
        self.aprCode = aprCode
        self.payloadSHA256 = payloadSHA256
    }
}

/// The arms built into this apr-execute.
public enum BuiltInArms {
    public static let implemented: [any BuiltInArm] = [GrantMintArm(), PatchArm()]

    public static func named(_ name: String) -> (any BuiltInArm)? {
        implemented.first { $0.name == name }
    }
}

/// The authorize_build_step arm: mints the APR's grant, the same library
/// code as grant-mint.
public struct GrantMintArm: BuiltInArm {
    public let name = "authorize_build_step"
    public let actionCode = "authorize_build_step"

    public init() {}

    public func dispatch(_ request: DispatchRequest, connection: Connection) throws -> Outcome {
        try Grants(connection: connection).mint(request.aprCode, payloadSHA256: request.payloadSHA256, dryRun: false)
    }
}

/// The patch_ops_code arm: replaces the APR's file, the same library code as
/// patch-apply, which settles the APR in the transaction of its deploy record.
public struct PatchArm: BuiltInArm {
    public let name = "patch_ops_code"
    public let actionCode = "patch_ops_code"

    public init() {}

    public func dispatch(_ request: DispatchRequest, connection: Connection) throws -> Outcome {
        try PatchApplier(connection: connection).apply(aprCode: request.aprCode, dryRun: false)
    }
}
