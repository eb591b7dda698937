/// The checklists built into readback, as text in the checklist format, so an
/// operator can print one (`readback --print-checklist NAME`), copy it and
/// adapt it.
extension Checklist {
    public static let builtinNames = ["post-grant", "prewrite", "ledger"]

    public static func builtinText(_ name: String) -> String? {
        switch name {
        case "post-grant": return postGrant
        case "prewrite": return prewrite
        case "ledger": return ledger
        default: return nil
        }
    }

    /// A built-in checklist by name, else the checklist file at `path`
    /// (`-` is stdin). A name with a slash is always a path.
    public static func load(_ nameOrPath: String) throws(Refusal) -> Checklist {
        if !nameOrPath.contains("/"), let text = builtinText(nameOrPath) {
            return try Checklist(parsing: text, name: nameOrPath)
        }
        if nameOrPath != "-", !nameOrPath.contains("/"), !nameOrPath.contains(".") {
            throw Refusal(.usage, "unknown_checklist",
                          "no built-in checklist \(nameOrPath) (\(builtinNames.joined(separator: ", "))); a file is named with a slash or a dot, e.g. ./\(nameOrPath)")
        }
        let bytes = try FileBytes.read(nameOrPath == "-" ? "/dev/stdin" : nameOrPath, maxBytes: 1 << 20)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Refusal.data("not_utf8", "\(nameOrPath) is not UTF-8 text")
        }
        return try Checklist(parsing: text, name: label(forPath: nameOrPath))
    }

    /// A checklist file's name in reports: its base name without extension.
    static func label(forPath path: String) -> String {
        if path == "-" { return "stdin" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
        return String(base[..<dot])
    }

    /// The ledger chain, verified by the formula in the query itself (a
    /// function stored in the database could vouch for a tampered row). It
    /// names the first bad row: a gap, a broken link, a changed row, or a head
    /// record out of step with the last row.
    static let ledgerChainQuery = """
        SELECT CASE
                   WHEN bad_seq IS NOT NULL THEN problem || ' at seq ' || bad_seq
                   WHEN head_seq <> last_seq OR head_hash <> last_hash
                       THEN 'head_mismatch at seq ' || (least(head_seq, last_seq) + 1)
                   ELSE 'intact'
               END
          FROM (
        \(Ledger.verifySQL.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
               ) AS v (rows, last_seq, last_hash, bad_seq, problem, head_seq, head_hash);
        """

    static let postGrant = """
        -- readback checklist post-grant: step 7 of the owner runbook, read back
        -- after a real governed run of an authorize_build_step APR.
        --
        -- Parameters:
        --   apr           the authorize_build_step APR that was run (APR-NNNNNN)
        --   target        the build target of its grant, e.g. DOT_C1_VOCAB_BUILD
        --   handler_ref   the handler the action must be bound to,
        --                 e.g. apr-execute:authorize_build_step
        --   handler_file  the handler file the code patch deployed
        --   grants_before the number of build authorizations before the run

        -- name: grant_count
        -- expect: = 1
        -- Exactly one build authorization more than before the run (none
        -- before a first run: grants_before=0).
        SELECT count(*) - :grants_before::bigint FROM governance_build_authorization;

        -- name: grant_active_for_target
        -- expect: = 1
        -- One active grant for the target: the APR's own.
        SELECT count(*) FROM governance_build_authorization
         WHERE status = 'active' AND scope ->> 'target' = :target;

        -- name: grant_auth_code
        -- expect: = :apr
        -- The grant is GBA-C1-<apr>, and it refers back to the APR.
        SELECT request_ref FROM governance_build_authorization WHERE auth_code = 'GBA-C1-' || :apr;

        -- name: grant_status
        -- expect: = active
        SELECT status FROM governance_build_authorization WHERE request_ref = :apr;

        -- name: grant_commit_allowed
        -- expect: = false
        SELECT commit_allowed FROM governance_build_authorization WHERE request_ref = :apr;

        -- name: grant_requires_sovereign_esign
        -- expect: = false
        SELECT requires_sovereign_esign FROM governance_build_authorization WHERE request_ref = :apr;

        -- name: grant_scope_target
        -- expect: = :target
        SELECT scope ->> 'target' FROM governance_build_authorization WHERE request_ref = :apr;

        -- name: grant_expires_after_granted
        -- expect: = true
        SELECT expires_at > granted_at FROM governance_build_authorization WHERE request_ref = :apr;

        -- name: handler_ref
        -- expect: = :handler_ref
        -- The APR's action type is bound to the expected handler.
        SELECT a.handler_ref
          FROM apr_action_types a JOIN apr_requests r USING (action_code)
         WHERE r.apr_code = :apr;

        -- name: apr_status
        -- expect: = applied
        SELECT status FROM apr_requests WHERE apr_code = :apr;

        -- name: apr_applied_at
        -- expect: is not null
        SELECT applied_at FROM apr_requests WHERE apr_code = :apr;

        -- name: apr_quorum_passed
        -- expect: = true
        -- Evaluated now: an approver deactivated since the vote no longer counts.
        SELECT quorum_passed(:apr);

        -- name: deploy_status
        -- expect: = success
        -- The last deploy of the handler file.
        SELECT status FROM vps_deploy_log WHERE file_path = :handler_file ORDER BY id DESC LIMIT 1;

        -- name: deploy_known_good
        -- expect: = true
        SELECT is_known_good FROM vps_deploy_log WHERE file_path = :handler_file ORDER BY id DESC LIMIT 1;

        -- name: ledger_chain_intact
        -- expect: = intact
        \(ledgerChainQuery)

        """

    static let prewrite = """
        -- readback checklist prewrite: the gate W1-W9, run before a governed
        -- write and again at step 8 of the owner runbook.
        --
        -- Parameters:
        --   apr                  the APR the write is for (any other text, e.g.
        --                        none, when there is none yet)
        --   action               its action type, e.g. authorize_build_step
        --   target               its build target, e.g. DOT_C1_VOCAB_BUILD
        --   handler_ref          the handler the action must be bound to
        --   handler_file         the path of the handler file
        --   handler_file_sha256  the sha256 of the handler file's bytes on disk:
        --                        give it as --file-sha256 handler_file_sha256=PATH
        --   bundled_migrations   built in: the migrations this aprkit knows, as
        --                        {"version": "checksum"}

        -- name: W1_schema_current
        -- expect: = ok
        -- Every migration this aprkit knows is applied with the same checksum,
        -- and none newer is (staged migrations, named by file, are not counted).
        SELECT coalesce(string_agg(problem, '; ' ORDER BY version), 'ok')
          FROM (SELECT coalesce(b.key, m.version) AS version,
                       CASE WHEN m.version IS NULL THEN b.key || ' not applied'
                            WHEN b.key IS NULL THEN m.version || ' is newer than this aprkit'
                            WHEN m.checksum <> b.value THEN m.version || ' checksum differs'
                       END AS problem
                  FROM jsonb_each_text(:bundled_migrations::jsonb) AS b
                  FULL JOIN (SELECT version, checksum FROM gov_migrations WHERE version ~ '^[0-9]+$') AS m
                    ON m.version = b.key) AS v
         WHERE problem IS NOT NULL;

        -- name: W2_ledger_intact
        -- expect: = intact
        \(ledgerChainQuery)

        -- name: W3_action_registered
        -- expect: is not null
        -- The action type exists; the value found is its risk level.
        SELECT risk_level FROM apr_action_types WHERE action_code = :action;

        -- name: W4_quorum_policy
        -- expect: > 0
        -- The quorum factors of the action's risk level.
        SELECT count(*)
          FROM apr_quorum_policies p JOIN apr_action_types a USING (risk_level)
         WHERE a.action_code = :action;

        -- name: W5_no_other_open_apr
        -- expect: = 0
        SELECT count(*) FROM apr_requests
         WHERE status IN ('proposed', 'approved') AND expires_at > now()
           AND proposed_action ->> 'target' = :target AND apr_code <> :apr;

        -- name: W6_handler_syntax_checked
        -- expect: = ok
        -- The handler's bytes on disk are bytes that passed the syntax check:
        -- a governed deploy logs success only after its check passed.
        SELECT CASE
                   WHEN :handler_file_sha256::text IS NULL THEN 'handler file missing or unreadable'
                   WHEN EXISTS (SELECT 1 FROM vps_deploy_log
                                 WHERE file_path = :handler_file AND status = 'success'
                                   AND sha256_after = :handler_file_sha256)
                       THEN 'ok'
                   ELSE 'its bytes never passed a governed deploy'
               END;

        -- name: W7_handler_bound_and_implemented
        -- expect: = ok
        -- Bound to the expected handler, and the handler file is present and
        -- was installed by an applied patch_ops_code APR.
        SELECT CASE
                   WHEN a.action_code IS NULL THEN 'no action type ' || :action
                   WHEN a.handler_ref IS NULL THEN 'unbound'
                   WHEN a.handler_ref <> :handler_ref THEN 'bound to ' || a.handler_ref
                   WHEN :handler_file_sha256::text IS NULL THEN 'handler file missing or unreadable'
                   WHEN NOT EXISTS (SELECT 1 FROM vps_deploy_log d JOIN apr_requests r USING (apr_code)
                                     WHERE r.action_code = 'patch_ops_code' AND r.status = 'applied'
                                       AND d.file_path = :handler_file AND d.status = 'success'
                                       AND d.sha256_after = :handler_file_sha256)
                       THEN 'handler file not installed by an applied patch_ops_code APR'
                   ELSE 'ok'
               END
          FROM (SELECT 1) AS one LEFT JOIN apr_action_types a ON a.action_code = :action;

        -- name: W8_handler_deploy_known_good
        -- expect: = ok
        -- The last deploy of the handler file succeeded, is known-good, and its
        -- bytes are the bytes on disk.
        SELECT CASE
                   WHEN d.id IS NULL THEN 'never deployed'
                   WHEN d.status <> 'success' THEN 'last deploy ' || d.status
                   WHEN NOT d.is_known_good THEN 'last deploy not known-good'
                   WHEN :handler_file_sha256::text IS NULL THEN 'handler file missing or unreadable'
                   WHEN d.sha256_after IS DISTINCT FROM :handler_file_sha256 THEN 'bytes on disk differ from the deploy log'
                   ELSE 'ok'
               END
          FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (SELECT * FROM vps_deploy_log WHERE file_path = :handler_file
                              ORDER BY id DESC LIMIT 1) AS d ON true;

        -- name: W9_no_stale_or_duplicate_grant
        -- expect: = ok
        -- No active grant past its expiry; no target with two active grants.
        SELECT coalesce(nullif(concat_ws('; ',
                   (SELECT string_agg(auth_code || ' is active past its expiry', '; ' ORDER BY auth_code)
                      FROM governance_build_authorization
                     WHERE status = 'active' AND expires_at <= now()),
                   (SELECT string_agg(target || ' has ' || n || ' active grants', '; ' ORDER BY target)
                      FROM (SELECT scope ->> 'target' AS target, count(*) AS n
                              FROM governance_build_authorization WHERE status = 'active'
                             GROUP BY 1 HAVING count(*) > 1) AS dup)), ''), 'ok');

        """

    static let ledger = """
        -- readback checklist ledger: the hash chain, and its head against a copy
        -- kept outside the database, which catches a truncated tail.
        --
        -- Parameters (built in, from --ledger-head FILE):
        --   ledger_head_seq   the seq of the saved head (0 for an empty ledger)
        --   ledger_head_hash  the hash of the saved head

        -- name: ledger_chain_intact
        -- expect: = intact
        \(ledgerChainQuery)

        -- name: ledger_head_matches_saved
        -- expect: = ok
        -- The saved head's row is still there, with the same hash.
        SELECT CASE
                   WHEN :ledger_head_seq::bigint = 0 THEN 'ok'
                   WHEN l.seq IS NULL
                       THEN format('seq %s is gone: the ledger ends at seq %s', :ledger_head_seq,
                                   (SELECT coalesce(max(seq), 0) FROM gov_ledger))
                   WHEN l.hash <> :ledger_head_hash THEN format('seq %s has another hash than the saved head', l.seq)
                   ELSE 'ok'
               END
          FROM (SELECT 1) AS one LEFT JOIN gov_ledger l ON l.seq = :ledger_head_seq::bigint;

        """
}
