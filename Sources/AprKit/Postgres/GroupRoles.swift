/// The group roles of the schema (grants-and-roles.sql), and which one a
/// session lacks when the server denies it a function or a table (SQLSTATE
/// 42501): a login role that was never granted its group role meets the
/// refusal that names the role and the GRANT that fixes it, not the
/// server's "permission denied".
public enum GroupRoles {
    public static let proposer = "apr_proposer"
    public static let approver = "apr_approver"
    public static let executor = "apr_executor"
    public static let reader = "apr_reader"

    /// The refusal reason of a session that lacks a group role.
    public static let reasons: [String: String] = [
        proposer: "not_a_proposer", approver: "not_an_approver", executor: "not_an_executor", reader: "not_a_reader",
    ]

    /// The functions granted to one group role only (in the file of each
    /// area). What several roles may call (apr_quorum_state, the tables)
    /// is decided by the tool that called it.
    public static let byFunction: [String: String] = [
        "apr_propose": proposer,
        "apr_vote": approver,
        "grant_mint": executor, "grant_revoke": executor, "grant_expire_due": executor,
        "apr_dispatch_next": executor, "apr_dispatch_claim": executor, "apr_dispatch_finish": executor,
        "apr_dispatch_lock": executor, "apr_dispatch_try_lock": executor, "apr_dispatch_unlock": executor,
        "patch_plan": executor, "patch_restore_plan": executor, "patch_record": executor,
        "patch_restore_record": executor, "gov_tool_register": executor,
    ]

    /// The group role each tool acts by.
    public static let byTool: [String: String] = [
        "apr-propose": proposer, "apr-cancel": proposer,
        "apr-quorum": approver,
        "apr-execute": executor, "grant-mint": executor, "patch-apply": executor,
        "readback": reader, "apr-list": reader, "apr-show": reader, "apr-log": reader,
    ]

    /// The group role a denial names: the one role of the function denied,
    /// else the tool's. nil when neither is known.
    public static func role(deniedIn message: String, tool: String) -> String? {
        if let function = deniedObject(message, kind: "function"), let role = byFunction[function] { return role }
        return byTool[tool]
    }

    /// `permission denied for function NAME` → NAME (as the server words it).
    static func deniedObject(_ message: String, kind: String) -> String? {
        let prefix = "permission denied for \(kind) "
        guard message.hasPrefix(prefix) else { return nil }
        return String(message.dropFirst(prefix.count).prefix { $0 != " " })
    }

    /// The line a person reads: who lacks which role, and the GRANT to run.
    public static func detail(user: String, role: String, denied message: String) -> String {
        "\(user) is not a member of \(role) (\(message)): the schema owner runs GRANT \(role) TO \(user)"
    }
}
