-- bench-fill.sql: fills a throwaway aprkit database with :n APRs of every
-- kind a real one holds, for scripts/bench --scale. Set-based (INSERT ...
-- SELECT over generate_series), one transaction, run by psql as a superuser:
--
--   psql -v ON_ERROR_STOP=1 -v n=N -v root=DIR -f scripts/lib/bench-fill.sql
--
-- root is a registered patch target (the handlers directory of the local
-- cluster): the patch APRs' files lie below it. The rows are written behind
-- the schema's functions (session_replication_role = replica turns off the
-- guard and foreign-key triggers), so this file writes, for every row, the
-- ledger event the function would have appended with it, and links the
-- events onto the chain with link v2 exactly as gov_ledger_append does
-- (ledger.sql): readback --checklist ledger passes on the result. Never run
-- it on a database that matters: it is a measuring rig, not a tool.
--
-- Sixteen kinds of APR, by number modulo 16, every one authorize_build_step
-- but the patch_ops_code ones (5 and 12):
--    0, 15  proposed, no vote               1  proposed, one approval
--    2      approved, never executed, past its expiry
--    3, 14  applied: dispatched, grant minted and active (a target each)
--    4      applied, its grant expired by the sweep (an expire event)
--    5      applied patch: dispatched, one successful deploy row
--    6      rejected                         7  approved once, then rejected
--    8      proposed, past its expiry (the "expired" APRs: a time, not a write)
--    9      as 8, with one approval
--   10      cancelled while proposed        11  cancelled once approved
--   12      failed patch: dispatch failed, a failed deploy row
--   13      revoked: minted, then the grant revoked
-- The patch APRs' files are fifty files bench-N below root, none of them a
-- handler. Times: the APRs are spread from six days ago to two hours ago,
-- so the open ones are still open and the short-lived ones (2, 8, 9) have
-- expired; their ledger events come after the runbook's, in time order.

\set ON_ERROR_STOP on
BEGIN;
SET LOCAL session_replication_role = replica;
SET LOCAL synchronous_commit = off;
SET LOCAL work_mem = '512MB';
SET LOCAL search_path = public, pg_temp;

SELECT h.seq AS seq0, h.hash AS hash0, s.last_value AS apr0,
       (SELECT coalesce(max(id), 0) FROM vps_deploy_log) AS deploy0,
       (SELECT oid FROM pg_roles WHERE rolname = 'proposer') AS proposer_oid,
       now() - interval '6 days' AS t0, (interval '6 days' - interval '2 hours') / greatest(:n, 1) AS step,
       encode(sha256(convert_to(E'#!/bin/sh\n', 'UTF8')), 'hex') AS content_sha
  FROM gov_ledger_head h, apr_code_seq s
\gset

-- The secondary indexes of the filled tables (those no constraint owns) are
-- dropped here and built again, with the same definitions, once the rows
-- are in: one sorted build each instead of a million scattered inserts.
CREATE TEMP TABLE bench_index ON COMMIT DROP AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
  FROM pg_index i
 WHERE i.indrelid IN ('apr_requests'::regclass, 'apr_votes'::regclass, 'apr_dispatches'::regclass,
                      'governance_build_authorization'::regclass, 'vps_deploy_log'::regclass, 'gov_ledger'::regclass)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT format('DROP INDEX %s', name) FROM bench_index \gexec

-- The APRs, their kind, payload and times.
CREATE TEMP TABLE bench_apr ON COMMIT DROP AS
SELECT *, apr_payload_sha256(action_json) AS sha FROM (
SELECT i, k, n, 'APR-' || lpad(n::text, greatest(6, length(n::text)), '0') AS code,
       CASE WHEN k IN (5, 12) THEN 'patch_ops_code' ELSE 'authorize_build_step' END AS action,
       CASE WHEN k IN (5, 12) THEN 'fix_repair_dot' ELSE 'authorize_build_step' END AS request_type,
       CASE WHEN k IN (5, 12) THEN jsonb_build_object(
                'dot_code', 'DOT-' || (n % 1000), 'file_path',
                :'root' || '/bench-' || (n % 50),
                'test_plan', 'sh -n passes', 'patch_mode', 'full_replace', 'session_code', 'S-BENCH-' || (n % 100),
                'new_content_base64', 'IyEvYmluL3NoCg==', 'new_content_sha256', :'content_sha')
            ELSE jsonb_build_object('target', 'BENCH_' || n, 'ttl_seconds', CASE WHEN k IN (3, 14) THEN 604800 ELSE 3600 END,
                                    'manifest_hash', lpad(to_hex(n), 64, '0')) END AS action_json,
       at,
       CASE WHEN k IN (2, 8, 9) THEN at + interval '1 hour' ELSE at + interval '7 days' END AS expires_at,
       CASE WHEN k IN (0, 1, 8, 9, 15) THEN 'proposed' WHEN k = 2 THEN 'approved'
            WHEN k IN (3, 4, 5, 14) THEN 'applied' WHEN k IN (6, 7) THEN 'rejected'
            WHEN k IN (10, 11) THEN 'cancelled' WHEN k = 12 THEN 'failed' ELSE 'revoked' END AS status,
       :deploy0::bigint + i AS deploy_id,
       at + interval '3 seconds' AS done_at
  FROM (SELECT i, i % 16 AS k, :apr0::bigint + i AS n, :'t0'::timestamptz + :'step'::interval * (i - 1) AS at
          FROM generate_series(1, :n) AS i) AS g) AS a;

INSERT INTO apr_requests (apr_code, request_type, action_code, proposed_action, payload_sha256, session_code, reason,
                          proposed_by, proposed_by_oid, status, created_at, expires_at, applied_at, result,
                          cancelled_at, cancelled_by, cancel_reason)
SELECT code, request_type, action, action_json, sha, 'S-BENCH-' || (n % 100),
       'bench: APR of kind ' || k, 'proposer', :proposer_oid, status, at, expires_at,
       CASE WHEN status IN ('applied', 'revoked') THEN done_at END,
       CASE WHEN k IN (5, 12) THEN jsonb_build_object('attempt', 1, 'deploy_id', deploy_id,
                'sha256_after', CASE WHEN k = 5 THEN :'content_sha' END,
                'deploy_status', CASE WHEN k = 5 THEN 'success' ELSE 'failed' END)
            WHEN k IN (3, 4, 13, 14) THEN jsonb_build_object('grant', jsonb_build_object(
                'auth_code', 'GBA-C1-' || code, 'request_ref', code, 'status', 'active',
                'commit_allowed', false, 'requires_sovereign_esign', false,
                'scope', jsonb_build_object('target', action_json ->> 'target', 'manifest_hash', action_json ->> 'manifest_hash'),
                'granted_at', done_at, 'expires_at', done_at + make_interval(secs => (action_json ->> 'ttl_seconds')::int),
                'revoked_at', NULL, 'revoked_reason', NULL)) END,
       CASE WHEN k IN (10, 11) THEN done_at END, CASE WHEN k IN (10, 11) THEN 'proposer' END,
       CASE WHEN k IN (10, 11) THEN 'bench: withdrawn' END
  FROM bench_apr;
SELECT setval('apr_code_seq', :apr0::bigint + :n) \g /dev/null

-- The votes: (kind, approver, decision, the APR's status after it, offset).
CREATE TEMP TABLE bench_vote_kind ON COMMIT DROP AS
SELECT * FROM (VALUES
    (1, 'owner1', 'approve', 'proposed', 1), (9, 'owner2', 'approve', 'proposed', 1),
    (6, 'owner1', 'reject', 'rejected', 1),
    (7, 'owner1', 'approve', 'proposed', 1), (7, 'owner2', 'reject', 'rejected', 2)) AS v (k, approver, decision, after, o)
UNION ALL
SELECT k, v.approver, 'approve', v.after, v.o
  FROM unnest(ARRAY[2, 3, 4, 5, 11, 12, 13, 14]) AS k,
       (VALUES ('owner1', 'proposed', 1), ('owner2', 'approved', 2)) AS v (approver, after, o);

CREATE TEMP TABLE bench_vote ON COMMIT DROP AS
SELECT a.code, a.n, vk.approver, vk.decision, vk.after, a.at + make_interval(secs => vk.o) AS at, a.sha
  FROM bench_apr a JOIN bench_vote_kind vk USING (k);
INSERT INTO apr_votes (apr_code, approver, decision, payload_sha256, created_at)
SELECT code, approver, decision, sha, at FROM bench_vote;

-- Dispatches (one attempt each), grants and deploy rows.
INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm, dispatched_by, dispatched_at, settled_at, outcome,
                            exit_status, result)
SELECT code, 1, 'apr-execute:' || action, action, 'executor', done_at, done_at,
       CASE WHEN k = 12 THEN 'failed' ELSE 'applied' END, NULL,
       CASE WHEN k IN (5, 12) THEN jsonb_build_object('deploy_id', deploy_id)
            ELSE jsonb_build_object('auth_code', 'GBA-C1-' || code) END
  FROM bench_apr WHERE k IN (3, 4, 5, 12, 13, 14);

INSERT INTO governance_build_authorization (auth_code, request_ref, status, commit_allowed, requires_sovereign_esign,
                                            scope, granted_at, expires_at, revoked_at, revoked_reason)
SELECT 'GBA-C1-' || code, code, CASE k WHEN 4 THEN 'expired' WHEN 13 THEN 'revoked' ELSE 'active' END, false, false,
       jsonb_build_object('target', action_json ->> 'target', 'manifest_hash', action_json ->> 'manifest_hash'),
       done_at, done_at + make_interval(secs => (action_json ->> 'ttl_seconds')::int),
       CASE WHEN k = 13 THEN done_at + interval '1 minute' END, CASE WHEN k = 13 THEN 'bench: withdrawn' END
  FROM bench_apr WHERE k IN (3, 4, 13, 14);

INSERT INTO vps_deploy_log (id, apr_code, host, file_path, sha256_before, sha256_after, backup_path, status,
                            is_known_good, deployed_at)
OVERRIDING SYSTEM VALUE
SELECT deploy_id, code, 'vm', action_json ->> 'file_path', NULL, CASE WHEN k = 5 THEN :'content_sha' END, NULL,
       CASE WHEN k = 5 THEN 'success' ELSE 'failed' END, k = 5, done_at
  FROM bench_apr WHERE k IN (5, 12);
SELECT setval(pg_get_serial_sequence('vps_deploy_log', 'id'), :deploy0::bigint + :n) \g /dev/null

-- The events, as the functions append them (proposals.sql, votes.sql,
-- grants.sql, patch.sql, cancel.sql), in time order.
CREATE TEMP TABLE bench_event ON COMMIT DROP AS
SELECT code, action AS subject, 'propose' AS event, 'proposer' AS actor, at,
       jsonb_build_object('payload_sha256', sha, 'proposed_by', 'proposer',
                          'apr_status', 'proposed') AS payload
  FROM bench_apr
UNION ALL
SELECT code, approver, 'vote', approver, at,
       jsonb_build_object('decision', decision, 'payload_sha256', sha, 'status', after, 'apr_status', after)
  FROM bench_vote
UNION ALL
SELECT code, 'GBA-C1-' || code, 'mint', 'executor', done_at,
       jsonb_build_object('auth_code', 'GBA-C1-' || code,
           'scope', jsonb_build_object('target', action_json ->> 'target', 'manifest_hash', action_json ->> 'manifest_hash'),
           'expires_at', done_at + make_interval(secs => (action_json ->> 'ttl_seconds')::int),
           'handler_ref', 'apr-execute:authorize_build_step', 'attempt', 1, 'apr_status', 'applied')
  FROM bench_apr WHERE k IN (3, 4, 13, 14)
UNION ALL
SELECT code, 'GBA-C1-' || code, 'expire', 'executor', done_at + make_interval(secs => (action_json ->> 'ttl_seconds')::int + 1),
       jsonb_build_object('expires_at', done_at + make_interval(secs => (action_json ->> 'ttl_seconds')::int))
  FROM bench_apr WHERE k = 4
UNION ALL
SELECT code, 'GBA-C1-' || code, 'revoke', 'executor', done_at + interval '1 minute',
       jsonb_build_object('reason', 'bench: withdrawn', 'apr_status', 'revoked')
  FROM bench_apr WHERE k = 13
UNION ALL
SELECT code, action_json ->> 'file_path', 'patch', 'executor', done_at,
       jsonb_build_object('deploy_id', deploy_id, 'status', CASE WHEN k = 5 THEN 'success' ELSE 'failed' END,
           'host', 'vm', 'sha256_before', NULL, 'sha256_after', CASE WHEN k = 5 THEN :'content_sha' END,
           'backup_path', NULL, 'is_known_good', k = 5, 'apr_status', CASE WHEN k = 5 THEN 'applied' ELSE 'failed' END)
  FROM bench_apr WHERE k IN (5, 12)
UNION ALL
SELECT code, action, 'cancel', 'proposer', done_at,
       jsonb_build_object('reason', 'bench: withdrawn', 'revoked_grant', NULL, 'apr_status', 'cancelled')
  FROM bench_apr WHERE k IN (10, 11);

-- Link v2 of ledger.sql, one row after the other: an aggregate whose state
-- is the previous hash, run as a window over the events in order.
CREATE FUNCTION pg_temp.bench_link(prev text, seq bigint, event text, apr_code text, subject text, actor text,
                                   payload jsonb, created_at timestamptz) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN encode(sha256(convert_to('aprkit-ledger-v2'
        || octet_length(prev) || ':' || prev || octet_length(seq::text) || ':' || seq::text
        || octet_length(event) || ':' || event
        || CASE WHEN apr_code IS NULL THEN '-' ELSE octet_length(apr_code) || ':' || apr_code END
        || CASE WHEN subject IS NULL THEN '-' ELSE octet_length(subject) || ':' || subject END
        || octet_length(actor) || ':' || actor || octet_length(payload::text) || ':' || payload::text
        || octet_length(((extract(epoch FROM created_at) * 1000000)::bigint)::text) || ':'
        || ((extract(epoch FROM created_at) * 1000000)::bigint)::text, 'UTF8')), 'hex');
END
$$;
SELECT format('CREATE AGGREGATE pg_temp.bench_chain(bigint, text, text, text, text, jsonb, timestamptz) '
              '(SFUNC = pg_temp.bench_link, STYPE = text, INITCOND = %L)', :'hash0') \gexec

INSERT INTO gov_ledger (seq, event, apr_code, subject, actor, payload, created_at, prev_hash, hash)
SELECT seq, event, code, subject, actor, payload, at, lag(hash, 1, :'hash0') OVER (ORDER BY seq), hash
  FROM (SELECT seq, event, code, subject, actor, payload, at,
               pg_temp.bench_chain(seq, event, code, subject, actor, payload, at) OVER (ORDER BY seq) AS hash
          FROM (SELECT :seq0::bigint + row_number() OVER (ORDER BY at, code, event) AS seq, *
                  FROM bench_event) AS e) AS h;

SELECT def FROM bench_index \gexec
UPDATE gov_ledger_head SET (seq, hash) = (SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1) WHERE singleton;
COMMIT;
