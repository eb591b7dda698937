/// What the database says about an APR before apr-execute acts on it
/// (apr_dispatch_plan): its status, the bound handler, what blocks it, and a
/// dispatch already recorded.
struct DispatchPlan {
    let aprCode: String
    let status: String
    let handlerRef: String?
    let blockedBy: [String]
    let quorumPassed: Bool
    /// The APR's last dispatch attempt, if any; `outcome` null while open.
    let dispatch: JSONObject?
    let apr: JSONObject

    /// Reads the plan in a read-only transaction; nil for an unknown APR.
    static func read(_ aprCode: String, on connection: Connection) throws -> DispatchPlan? {
        let text = try connection.retrying { () throws(PGError) in
            try connection.transaction([Statement("SELECT apr_dispatch_plan($1)", [aprCode])],
                                       isolation: .readOnly)[0].value(0, 0)
        }
        guard text != nil else { return nil }
        let o = try JSONObject.fromDatabase(text)
        return DispatchPlan(
            aprCode: o["apr_code"]?.stringValue ?? aprCode,
            status: o["status"]?.stringValue ?? "",
            handlerRef: o["handler_ref"]?.stringValue,
            blockedBy: (o["blocked_by"]?.arrayValue ?? []).compactMap(\.stringValue),
            quorumPassed: o["quorum_passed"] == .bool(true),
            dispatch: o["dispatch"]?.objectValue,
            apr: o["apr"]?.objectValue ?? JSONObject())
    }
}
