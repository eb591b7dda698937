import Foundation

/// The steps most tests start from, run through the real tools.
extension TestDatabase {
    /// Proposes `proposal` as `role` and returns the new APR's code.
    public func propose(_ proposal: [String: Any] = Fixtures.buildStep(), as role: String = "proposer") throws -> String {
        let run = try Tool.run("apr-propose", ["-d", conninfo(as: role)], stdin: Fixtures.line(proposal))
        guard run.status == 0, let code = run.json["apr_code"] as? String else {
            throw TestSupportError("apr-propose failed: \(run)")
        }
        return code
    }

    @discardableResult
    public func vote(_ code: String, _ decision: String = "approve", as role: String) throws -> ToolRun {
        try Tool.run("apr-quorum", ["-d", conninfo(as: role), "--apr", code, "--vote", decision])
    }

    /// Proposes and approves to the high-risk quorum (two owners).
    public func approved(_ proposal: [String: Any] = Fixtures.buildStep()) throws -> String {
        let code = try propose(proposal)
        for owner in ["owner1", "owner2"] {
            let run = try vote(code, as: owner)
            guard run.status == 0 else { throw TestSupportError("vote failed: \(run)") }
        }
        return code
    }
}
