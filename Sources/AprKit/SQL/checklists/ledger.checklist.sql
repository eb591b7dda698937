-- readback checklist ledger: the hash chain, its head against a copy kept
-- outside the database (which catches a truncated tail), and the state of
-- every governed table against the events the ledger holds.
--
-- Parameters (built in, from --ledger-head FILE):
--   ledger_head_seq   the seq of the saved head (0 for an empty ledger)
--   ledger_head_hash  the hash of the saved head

-- name: ledger_chain_intact
-- expect: = intact
-- @include ledger-chain.sql

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

-- The state against the ledger: every governed row has the event that made
-- it, in the same transaction, and every such event its row. A row written
-- behind the functions (a superuser with the guards off) has none, and is
-- named. Each item answers ok, or the first rows found wrong.

-- name: state_aprs_match_ledger
-- expect: = ok
-- Every APR has its propose event (with its payload hash and proposer), its
-- payload hashes to that hash, and its status is the one its last
-- status-bearing event says.
WITH said AS (
    SELECT DISTINCT ON (apr_code) apr_code, status
      FROM (SELECT l.apr_code, l.seq,
                   coalesce(l.payload ->> 'apr_status', CASE l.event
                       WHEN 'propose' THEN 'proposed'
                       WHEN 'vote' THEN l.payload ->> 'status'
                       WHEN 'mint' THEN 'applied'
                       WHEN 'revoke' THEN 'revoked'
                       WHEN 'settle' THEN CASE l.payload ->> 'outcome' WHEN 'applied' THEN 'applied'
                                                                      WHEN 'indeterminate' THEN NULL ELSE 'failed' END
                       WHEN 'patch' THEN CASE l.payload ->> 'status' WHEN 'success' THEN 'applied' ELSE 'failed' END
                       WHEN 'restore' THEN 'revoked'
                       WHEN 'tool_catalog' THEN 'applied'
                   END) AS status
              FROM gov_ledger l WHERE l.apr_code IS NOT NULL) AS e
     WHERE status IS NOT NULL
     ORDER BY apr_code, seq DESC
), problems AS (
    SELECT r.apr_code AS key, 'apr_requests ' || r.apr_code || ': no propose event with its payload hash' AS problem
      FROM apr_requests r
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l WHERE l.apr_code = r.apr_code AND l.event = 'propose'
                          AND l.payload ->> 'payload_sha256' = r.payload_sha256)
    UNION ALL
    -- An edit with the guards off changes the payload without its hash, or
    -- the proposer without its event.
    SELECT r.apr_code, 'apr_requests ' || r.apr_code || ': its payload does not hash to its payload_sha256'
      FROM apr_requests r
     WHERE apr_payload_sha256(r.proposed_action) IS DISTINCT FROM r.payload_sha256
    UNION ALL
    SELECT r.apr_code, 'apr_requests ' || r.apr_code || ': proposed by ' || r.proposed_by || ', the ledger says '
                       || (l.payload ->> 'proposed_by')
      FROM apr_requests r JOIN gov_ledger l ON l.apr_code = r.apr_code AND l.event = 'propose'
     WHERE l.payload ? 'proposed_by' AND l.payload ->> 'proposed_by' IS DISTINCT FROM r.proposed_by
    UNION ALL
    SELECT r.apr_code, 'apr_requests ' || r.apr_code || ': status ' || r.status || ', the ledger says '
                       || coalesce(s.status, 'nothing')
      FROM apr_requests r LEFT JOIN said s USING (apr_code)
     WHERE s.status IS DISTINCT FROM r.status
    UNION ALL
    SELECT l.apr_code, 'gov_ledger seq ' || l.seq || ': the APR ' || l.apr_code || ' it proposes is missing'
      FROM gov_ledger l
     WHERE l.event = 'propose' AND NOT EXISTS (SELECT 1 FROM apr_requests r WHERE r.apr_code = l.apr_code)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems ORDER BY key LIMIT 5) AS first;

-- name: state_votes_match_ledger
-- expect: = ok
-- Every vote has its vote event (approver, decision, payload hash), and
-- every vote event its vote.
WITH problems AS (
    SELECT v.apr_code AS key, 'apr_votes ' || v.apr_code || ' by ' || v.approver || ': no vote event' AS problem
      FROM apr_votes v
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l
                        WHERE l.apr_code = v.apr_code AND l.event = 'vote' AND l.subject = v.approver
                          AND l.payload ->> 'decision' = v.decision
                          AND l.payload ->> 'payload_sha256' = v.payload_sha256)
    UNION ALL
    SELECT l.apr_code, 'gov_ledger seq ' || l.seq || ': the vote of ' || l.subject || ' on ' || l.apr_code || ' is missing'
      FROM gov_ledger l
     WHERE l.event = 'vote'
       AND NOT EXISTS (SELECT 1 FROM apr_votes v WHERE v.apr_code = l.apr_code AND v.approver = l.subject)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems ORDER BY key LIMIT 5) AS first;

-- name: state_grants_match_ledger
-- expect: = ok
-- Every grant has its mint event with its terms, and its status is what
-- its revoke or expire events say; every mint event has its grant.
WITH problems AS (
    SELECT g.auth_code AS key, 'governance_build_authorization ' || g.auth_code || ': ' || CASE
               WHEN m.seq IS NULL THEN 'no mint event'
               WHEN m.payload -> 'scope' IS DISTINCT FROM g.scope
                    OR (m.payload ->> 'expires_at')::timestamptz IS DISTINCT FROM g.expires_at
                    OR g.commit_allowed OR g.requires_sovereign_esign THEN 'its terms are not the minted ones'
               WHEN g.status = 'revoked' AND NOT ended.revoked THEN 'revoked without a revoke event'
               WHEN g.status = 'expired' AND NOT ended.expired THEN 'expired without an expire event'
               WHEN g.status = 'active' AND (ended.revoked OR ended.expired) THEN 'active, but the ledger ended it'
           END AS problem
      FROM governance_build_authorization g
      LEFT JOIN LATERAL (SELECT l.seq, l.payload FROM gov_ledger l
                          WHERE l.apr_code = g.request_ref AND l.event = 'mint' AND l.subject = g.auth_code
                          ORDER BY l.seq LIMIT 1) AS m ON true
      CROSS JOIN LATERAL (SELECT bool_or(l.event = 'revoke') IS TRUE AS revoked,
                                 bool_or(l.event = 'expire') IS TRUE AS expired
                            FROM gov_ledger l
                           WHERE l.apr_code = g.request_ref AND l.subject = g.auth_code
                             AND l.event IN ('revoke', 'expire')) AS ended
    UNION ALL
    SELECT l.subject, 'gov_ledger seq ' || l.seq || ': the grant ' || l.subject || ' it mints is missing'
      FROM gov_ledger l
     WHERE l.event = 'mint'
       AND NOT EXISTS (SELECT 1 FROM governance_build_authorization g WHERE g.auth_code = l.subject)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems WHERE problem IS NOT NULL ORDER BY key LIMIT 5) AS first;

-- name: state_dispatches_match_ledger
-- expect: = ok
-- Every dispatch attempt has the event that made it (a dispatch event, or
-- the event of the effect that settled it), and every deploy row its patch
-- or restore event with the same outcome and bytes.
WITH problems AS (
    SELECT d.apr_code || '/' || d.attempt AS key,
           'apr_dispatches ' || d.apr_code || ' attempt ' || d.attempt || ': no dispatch or effect event' AS problem
      FROM apr_dispatches d
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l
                        WHERE l.apr_code = d.apr_code
                          AND l.event IN ('dispatch', 'mint', 'patch', 'tool_catalog', 'settle')
                          AND coalesce((l.payload ->> 'attempt')::integer, 1) = d.attempt)
    UNION ALL
    SELECT 'deploy ' || lpad(d.id::text, 19, '0'),
           'vps_deploy_log ' || d.id || ' (' || d.apr_code || ', ' || d.status || '): no patch or restore event'
      FROM vps_deploy_log d
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l
                        WHERE l.apr_code = d.apr_code AND l.event IN ('patch', 'restore')
                          AND (l.payload ->> 'deploy_id')::bigint = d.id AND l.payload ->> 'status' = d.status
                          AND l.payload ->> 'sha256_after' IS NOT DISTINCT FROM d.sha256_after
                          AND (l.payload ->> 'is_known_good')::boolean = d.is_known_good)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems ORDER BY key LIMIT 5) AS first;

-- name: state_governance_matches_ledger
-- expect: = ok
-- Approvers, quorum policies, action types (and their handler_ref), fields
-- and patch roots are what the ledger says: the baseline the ledger_link_switch
-- event recorded, and every event after it that changed one of those rows
-- (approver, policy, action_type, action_field, patch_target, bind, unbind;
-- a "row" of null is a row removed).
WITH base AS (
    SELECT seq, payload -> 'baseline' AS b FROM gov_ledger WHERE event = 'ledger_link_switch' ORDER BY seq LIMIT 1
), said AS (
    -- The row as the ledger last said it, per table and key.
    SELECT DISTINCT ON (tab, key) tab, key, row
      FROM (SELECT 'apr_approvers' AS tab, x ->> 'approver' AS key, x AS row, b.seq
              FROM base b, jsonb_array_elements(b.b -> 'approvers') x
            UNION ALL
            SELECT 'apr_quorum_policies', (x ->> 'risk_level') || '/' || (x ->> 'factor'), x, b.seq
              FROM base b, jsonb_array_elements(b.b -> 'policies') x
            UNION ALL
            SELECT 'apr_action_types', x ->> 'action_code', x - 'handler_ref', b.seq
              FROM base b, jsonb_array_elements(b.b -> 'action_types') x
            UNION ALL
            SELECT 'handler_ref', x ->> 'action_code', jsonb_build_object('handler_ref', x -> 'handler_ref'), b.seq
              FROM base b, jsonb_array_elements(b.b -> 'action_types') x
            UNION ALL
            SELECT 'apr_action_fields', (x ->> 'action_code') || '/' || (x ->> 'field'), x, b.seq
              FROM base b, jsonb_array_elements(b.b -> 'action_fields') x
            UNION ALL
            SELECT 'patch_targets', x ->> 'root', x, b.seq
              FROM base b, jsonb_array_elements(b.b -> 'patch_targets') x
            UNION ALL
            SELECT CASE l.event WHEN 'approver' THEN 'apr_approvers' WHEN 'policy' THEN 'apr_quorum_policies'
                                WHEN 'action_type' THEN 'apr_action_types' WHEN 'action_field' THEN 'apr_action_fields'
                                ELSE 'patch_targets' END,
                   l.subject,
                   CASE WHEN l.payload ? 'row' THEN nullif(l.payload -> 'row', 'null'::jsonb) - 'handler_ref'
                        WHEN l.event = 'approver' THEN jsonb_build_object('approver', l.subject,
                            'role', l.payload ->> 'role', 'active', (l.payload ->> 'active')::boolean,
                            'role_oid', l.payload -> 'role_oid')
                        ELSE l.payload END,
                   l.seq
              FROM gov_ledger l, base b
             WHERE l.seq > b.seq AND l.event IN ('approver', 'policy', 'action_type', 'action_field', 'patch_target')
            UNION ALL
            SELECT 'handler_ref', l.subject,
                   jsonb_build_object('handler_ref', CASE WHEN l.event = 'action_type' THEN l.payload -> 'row' -> 'handler_ref'
                                                          ELSE l.payload -> 'handler_ref' END),
                   l.seq
              FROM gov_ledger l, base b
             WHERE l.seq > b.seq AND l.event IN ('bind', 'unbind', 'action_type')
           ) AS e
     ORDER BY tab, key, seq DESC
), actual AS (
    SELECT 'apr_approvers' AS tab, approver AS key, to_jsonb(a) AS row FROM apr_approvers a
    UNION ALL
    SELECT 'apr_quorum_policies', risk_level || '/' || factor, to_jsonb(p) FROM apr_quorum_policies p
    UNION ALL
    SELECT 'apr_action_types', action_code, to_jsonb(t) - 'handler_ref' FROM apr_action_types t
    UNION ALL
    SELECT 'handler_ref', action_code, jsonb_build_object('handler_ref', handler_ref) FROM apr_action_types t
    UNION ALL
    SELECT 'apr_action_fields', action_code || '/' || field, to_jsonb(f) FROM apr_action_fields f
    UNION ALL
    SELECT 'patch_targets', root, to_jsonb(t) FROM patch_targets t
), problems AS (
    SELECT coalesce(a.tab, s.tab) || ' ' || coalesce(a.key, s.key) AS key,
           CASE coalesce(a.tab, s.tab) WHEN 'handler_ref' THEN 'apr_action_types.handler_ref'
                                       ELSE coalesce(a.tab, s.tab) END
           || ' ' || coalesce(a.key, s.key) || ': ' || CASE
               WHEN s.row IS NULL AND a.row IS NOT NULL THEN 'no event for this row'
               WHEN a.row IS NULL THEN 'the ledger has this row, the table does not'
               ELSE 'not what the ledger says'
           END AS problem
      FROM actual a FULL JOIN said s ON s.tab = a.tab AND s.key = a.key
     WHERE EXISTS (SELECT 1 FROM base)
       AND (a.row IS DISTINCT FROM s.row)
       AND NOT (a.row IS NULL AND s.row IS NULL)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems ORDER BY key LIMIT 5) AS first;

-- name: state_records_match_ledger
-- expect: = ok
-- Every recorded migration and repeatable file has its migrate event with
-- its checksum, and every registered tool its stages' events.
WITH problems AS (
    SELECT m.version AS key, 'gov_migrations ' || m.version || ': no migrate event with its checksum' AS problem
      FROM gov_migrations m
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l
                        WHERE l.subject = m.version
                          AND ((l.event = 'migrate' AND l.payload ->> 'checksum' = m.checksum)
                               OR (l.event = 'migrate_checksum' AND l.payload ->> 'to' = m.checksum)))
    UNION ALL
    SELECT r.name, 'gov_repeatables ' || r.name || ': its last migrate_repeatable event has another checksum'
      FROM gov_repeatables r
     WHERE (SELECT l.payload ->> 'checksum' FROM gov_ledger l
             WHERE l.event = 'migrate_repeatable' AND l.subject = r.name ORDER BY l.seq DESC LIMIT 1)
           IS DISTINCT FROM r.checksum
    UNION ALL
    SELECT t.tool_name, 'gov_tools ' || t.tool_name || ': stage ' || t.stage || ' without its event'
      FROM gov_tools t
     WHERE NOT EXISTS (SELECT 1 FROM gov_ledger l
                        WHERE l.apr_code = t.apr_code AND l.event = 'tool_' || t.stage AND l.subject = t.tool_name)
)
SELECT coalesce(string_agg(problem, '; ' ORDER BY key), 'ok')
  FROM (SELECT * FROM problems ORDER BY key LIMIT 5) AS first;

-- name: schema_matches_last_migration
-- expect: = ok
-- The schema's functions, triggers, tables, columns, constraints, indexes
-- and privileges are what gov-migrate last recorded: a function replaced, a
-- trigger disabled or a privilege granted behind it (a superuser) shows.
WITH now_fingerprint (fingerprint) AS (
-- @include schema-fingerprint.sql
), recorded AS (
    SELECT seq, payload ->> 'sha256' AS fingerprint FROM gov_ledger
     WHERE event = 'schema_fingerprint' ORDER BY seq DESC LIMIT 1
)
SELECT CASE
           WHEN NOT EXISTS (SELECT 1 FROM recorded) THEN 'no schema fingerprint in the ledger: run gov-migrate'
           WHEN (SELECT fingerprint FROM recorded) = (SELECT fingerprint FROM now_fingerprint) THEN 'ok'
           ELSE format('the schema differs from what gov-migrate recorded at seq %s: a function, trigger, table, '
                       'constraint, index or privilege was changed outside gov-migrate', (SELECT seq FROM recorded))
       END;
