import AprKit
import Foundation

/// An APR as apr-propose prints it: its code and the JSON line.
public struct ProposedApr: Sendable {
    public let code: String
    public let line: String
}

/// The set-up steps most tests start from: the database functions the tools
/// call (apr_propose, apr_vote), each as the role that would run the tool,
/// without starting a process. A test of a tool runs the tool itself.
extension TestDatabase {
    /// Proposes `proposal` as `role` and returns the new APR.
    public func propose(_ proposal: [String: Any] = Fixtures.buildStep(), as role: String = "proposer") throws -> ProposedApr {
        let action = String(decoding: try JSONSerialization.data(withJSONObject: proposal["proposed_action"]!), as: UTF8.self)
        let line = try connect(as: role).execute(
            "SELECT apr_propose($1, $2, $3::jsonb, $4, $5)",
            [proposal["request_type"] as? String, proposal["action_code"] as? String, action,
             proposal["session_code"] as? String, proposal["reason"] as? String]).value(0, 0)!
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return ProposedApr(code: object["apr_code"] as! String, line: line)
    }

    /// Casts `decision` on `code` as each of `approvers`, in order.
    public func vote(_ code: String, _ decision: String = "approve", by approvers: [String]) throws {
        for approver in approvers {
            try connect(as: approver).execute("SELECT apr_vote($1, $2)", [code, decision])
        }
    }

    /// Proposes and approves to the high-risk quorum (owner1 and owner2).
    public func approved(_ proposal: [String: Any] = Fixtures.buildStep(),
                         by approvers: [String] = ["owner1", "owner2"]) throws -> ProposedApr {
        let apr = try propose(proposal)
        try vote(apr.code, by: approvers)
        return apr
    }

    /// The ledger chain as readback's checklists verify it (the one copy of
    /// the link formula, SQL/checklists/ledger-chain.sql): "intact", or the
    /// first bad row ("hash_mismatch at seq 7").
    public func ledgerChain() throws -> String {
        try scalar(String(decoding: Schema.ledgerChainQuery, as: UTF8.self)) ?? "no answer"
    }
}
