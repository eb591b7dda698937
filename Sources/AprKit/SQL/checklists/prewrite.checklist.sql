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
--   bundled_migrations   built in: the versioned migrations this aprkit
--                        knows, as {"version": "checksum"}
--   bundled_repeatables  built in: its repeatable files, as {"name": "checksum"}

-- name: W1_schema_current
-- expect: = ok
-- Every migration and repeatable file this aprkit knows is applied with the
-- same checksum (the sha256 of its bytes), and none newer is (staged
-- migrations, named by file, are not counted).
SELECT coalesce(string_agg(problem, '; ' ORDER BY version), 'ok')
  FROM (SELECT coalesce(b.key, m.version) AS version,
               CASE WHEN m.version IS NULL THEN b.key || ' not applied'
                    WHEN b.key IS NULL THEN m.version || ' is newer than this aprkit'
                    WHEN m.checksum <> b.value THEN m.version || ' checksum differs'
               END AS problem
          FROM (SELECT key, value FROM jsonb_each_text(:bundled_migrations::jsonb)
                UNION ALL
                SELECT key, value FROM jsonb_each_text(:bundled_repeatables::jsonb)) AS b
          FULL JOIN (SELECT version, checksum FROM gov_migrations WHERE version ~ '^[0-9]+$'
                     UNION ALL
                     SELECT name, checksum FROM gov_repeatables) AS m
            ON m.version = b.key) AS v
 WHERE problem IS NOT NULL;

-- name: W2_ledger_intact
-- expect: = intact
-- @include ledger-chain.sql

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
