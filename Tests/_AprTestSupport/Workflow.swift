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
            try connect(as: approver).execute("SELECT apr_vote($1, $2, NULL)", [code, decision])
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
    public func ledgerChain(from checkpoint: LedgerHead = .genesis) throws -> String {
        let query = try NamedParameters(numbering: String(decoding: Schema.ledgerChainQuery, as: UTF8.self))
        let values = ["ledger_verify_from_seq": String(checkpoint.seq), "ledger_verify_from_hash": checkpoint.hash]
        return try scalar(query.sql, query.names.map { values[$0] }) ?? "no answer"
    }

    /// An action type of the test's own, with its fields, written as a
    /// migration adds one: as the schema owner, with an action_type and an
    /// action_field event each, so the ledger's cross-check holds.
    public func addActionType(_ code: String, risk: String = "low", fields: [(name: String, type: String)]) throws {
        let db = try connect()
        try db.execute("""
            WITH t AS (INSERT INTO apr_action_types (action_code, request_type, risk_level) VALUES ($1, $1, $2) RETURNING *)
            SELECT gov_ledger_append('action_type', NULL, t.action_code, jsonb_build_object('row', to_jsonb(t))) FROM t
            """, [code, risk])
        for field in fields {
            try db.execute("""
                WITH f AS (INSERT INTO apr_action_fields (action_code, field, json_type, required)
                           VALUES ($1, $2, $3, true) RETURNING *)
                SELECT gov_ledger_append('action_field', NULL, f.action_code || '/' || f.field,
                                         jsonb_build_object('row', to_jsonb(f))) FROM f
                """, [code, field.name, field.type])
        }
    }

    /// Binds an action's handler_ref as a staged binding migration does: the
    /// UPDATE and its bind event, as the schema owner (set-up; handler-bind
    /// is what HandlerBindTests test).
    public func bind(_ action: String, to handlerRef: String?) throws {
        try connect().execute("""
            WITH t AS (UPDATE apr_action_types SET handler_ref = $2 WHERE action_code = $1 RETURNING *)
            SELECT gov_ledger_append(CASE WHEN $2::text IS NULL THEN 'unbind' ELSE 'bind' END, NULL, $1,
                                     jsonb_build_object('handler_ref', $2::text)) FROM t
            """, [action, handlerRef])
    }

    /// Installs `content` as the handler file DIR/ARM the governed way, so
    /// apr-execute may run it: DIR registered as a patch root, a
    /// patch_ops_code APR of the content approved by two owners, and
    /// patch-apply run as the executor.
    public func installHandler(_ arm: String, in dir: String, content: String) throws {
        try scalar("SELECT patch_target_set($1, 'bash -n') WHERE NOT EXISTS (SELECT 1 FROM patch_targets WHERE root = $1)", [dir])
        let apr = try approved(Fixtures.patch(filePath: dir + "/" + arm, content: content))
        let run = try Tool.run("patch-apply", ["-d", conninfo(as: "executor"), "--apr", apr.code])
        guard run.status == 0 else { throw TestSupportError("patch-apply did not install \(arm): \(run)") }
    }
}
