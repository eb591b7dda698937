/// An arm compiled into apr-execute, dispatched when an action type's
/// handler_ref is `apr-execute:<name>`.
///
/// A built-in arm takes precedence over a handler file of its name. The
/// contract every built-in arm keeps: `dispatch` is called for an APR the
/// dispatcher found eligible; the arm's effect function checks eligibility
/// again under the APR's row lock, makes the effect, records the dispatch
/// attempt and settles the APR (approved → applied or failed) in one
/// transaction — evidence, never a claim — and on a repeat answers "already
/// done" (`unchanged`) without acting again.
public protocol BuiltInArm: Sendable {
    /// The arm's name, the part of handler_ref after `apr-execute:`.
    var name: String { get }
    /// The action type whose APRs this arm executes.
    var actionCode: String { get }
    /// Executes one approved APR (`apr` is the APR as the plan read it) and
    /// reports what it did.
    func dispatch(_ request: DispatchRequest, apr: JSONObject, connection: Connection) throws -> Outcome
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
    public static let implemented: [any BuiltInArm] = [GrantMintArm(), PatchArm(), RegisterToolArm()]

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

    public func dispatch(_ request: DispatchRequest, apr: JSONObject, connection: Connection) throws -> Outcome {
        try Grants(connection: connection).mint(request.aprCode, payloadSHA256: request.payloadSHA256, dryRun: false)
    }
}

/// The patch_ops_code arm: replaces the APR's file, the same library code as
/// patch-apply, which settles the APR in the transaction of its deploy record.
public struct PatchArm: BuiltInArm {
    public let name = "patch_ops_code"
    public let actionCode = "patch_ops_code"

    public init() {}

    public func dispatch(_ request: DispatchRequest, apr: JSONObject, connection: Connection) throws -> Outcome {
        try PatchApplier(connection: connection).apply(aprCode: request.aprCode, dryRun: false)
    }
}

/// The register_tool arm: hashes the tool's bytes on disk itself, then
/// registers the tool through every stage in one transaction
/// (gov_tool_register), which refuses bytes other than the approved ones.
public struct RegisterToolArm: BuiltInArm {
    public let name = "register_tool"
    public let actionCode = "register_tool"

    public init() {}

    public func dispatch(_ request: DispatchRequest, apr: JSONObject, connection: Connection) throws -> Outcome {
        let path = apr["proposed_action"]?.objectValue?["tool_path"]?.stringValue ?? ""
        let observed = try? SHA256.hexDigest(fileAt: path)
        let body = try connection.jsonObject("SELECT gov_tool_register($1, $2)", [request.aprCode, observed],
                                             readOnly: false)
        return .done(body.ordered(["apr_code", "tool_name", "stage", "tool_path", "tool_sha256", "catalog"]),
                     unchanged: body["unchanged"] == .bool(true))
    }
}
