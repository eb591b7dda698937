-- reading.sql: what apr-list and apr-show read. Nothing here writes; every
-- function runs as its caller (SECURITY INVOKER), who reads the tables
-- through the SELECT the group roles hold (grants-and-roles.sql).

-- The row formatters they call as themselves (apr_request_json,
-- apr_dispatch_json, governance_build_authorization_json) are granted to
-- the group roles in their own files.

-- The APRs under the given filters, newest first (created_at, then
-- apr_code, descending), each as apr-propose prints it; NULL means "any".
-- The query is built for the filters given, so that each can use its index
-- (migration 007): the status, action, target and proposer indexes lead with
-- the filter's column and then hand the rows over newest first.
-- p_within counts back from the database clock; p_awaiting keeps the APRs
-- the session user may still vote on: an active approver, not the proposer,
-- no vote yet, the APR proposed and not expired.
CREATE OR REPLACE FUNCTION apr_list(
    p_statuses text[] DEFAULT NULL, p_action_code text DEFAULT NULL, p_target text DEFAULT NULL,
    p_proposed_by text DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_within interval DEFAULT NULL,
    p_awaiting boolean DEFAULT false, p_limit integer DEFAULT 100
) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    q text := 'SELECT apr_request_json(r) FROM apr_requests r WHERE true';
BEGIN
    IF p_statuses IS NOT NULL THEN
        q := q || CASE WHEN cardinality(p_statuses) = 1 THEN ' AND r.status = $1[1]' ELSE ' AND r.status = ANY ($1)' END;
    END IF;
    IF p_action_code IS NOT NULL THEN
        q := q || ' AND r.action_code = $2';
    END IF;
    IF p_target IS NOT NULL THEN
        q := q || ' AND (r.proposed_action ->> ''target'') = $3';
    END IF;
    IF p_proposed_by IS NOT NULL THEN
        q := q || ' AND r.proposed_by = $4';
    END IF;
    IF p_since IS NOT NULL THEN
        q := q || ' AND r.created_at >= $5';
    END IF;
    IF p_within IS NOT NULL THEN
        q := q || ' AND r.created_at >= now() - $6';
    END IF;
    IF p_awaiting THEN
        -- The expiry is tested as an expression no index answers, so the plan
        -- walks the proposed APRs newest first (apr_requests_status_newest)
        -- and stops at the limit, rather than reading every open APR by
        -- expiry and sorting them: the same time on a million APRs as on none.
        q := q || ' AND r.status = ''proposed'' AND r.expires_at - now() > interval ''0'' AND r.proposed_by <> session_user'
               || ' AND EXISTS (SELECT 1 FROM apr_approvers a WHERE a.approver = session_user AND a.active)'
               || ' AND NOT EXISTS (SELECT 1 FROM apr_votes v WHERE v.approver = session_user AND v.apr_code = r.apr_code)';
    END IF;
    q := q || ' ORDER BY r.created_at DESC, r.apr_code DESC LIMIT $7';
    RETURN QUERY EXECUTE q USING p_statuses, p_action_code, p_target, p_proposed_by, p_since, p_within,
        greatest(coalesce(p_limit, 100), 0);
END
$$;

-- One APR's whole story: the APR as every tool prints it, its quorum state
-- (apr_quorum_state) with what each factor still misses, every vote and
-- whether it counts, every dispatch attempt, the grant, the deploy rows and
-- the ledger events in order. NULL for no APR.
CREATE OR REPLACE FUNCTION apr_show(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    r apr_requests;
    quorum jsonb;
BEGIN
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    quorum := apr_quorum_state(r.apr_code);
    quorum := quorum || jsonb_build_object('missing', (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'factor', f ->> 'factor', 'role', f -> 'role',
                   'approvals', (f ->> 'required')::int - (f ->> 'have')::int)), '[]'::jsonb)
          FROM jsonb_array_elements(quorum -> 'factors') f
         WHERE NOT (f ->> 'met')::boolean));
    RETURN apr_request_json(r) || jsonb_build_object(
        'quorum', quorum,
        'votes', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'approver', v.approver, 'role', a.role, 'active', a.active, 'decision', v.decision,
                       'created_at', v.created_at, 'payload_sha256', v.payload_sha256,
                       -- A reject always counts: it blocks the quorum.
                       'counted', v.decision = 'reject'
                                  OR (a.active AND v.approver <> r.proposed_by AND v.payload_sha256 = r.payload_sha256),
                       'not_counted_because', CASE
                           WHEN v.decision = 'reject' THEN NULL
                           WHEN NOT a.active THEN 'approver_inactive'
                           WHEN v.approver = r.proposed_by THEN 'proposer'
                           WHEN v.payload_sha256 IS DISTINCT FROM r.payload_sha256 THEN 'stale_payload'
                       END) ORDER BY v.created_at, v.approver), '[]'::jsonb)
              FROM apr_votes v JOIN apr_approvers a USING (approver)
             WHERE v.apr_code = r.apr_code),
        'dispatches', (
            SELECT coalesce(jsonb_agg(apr_dispatch_json(d) ORDER BY d.attempt), '[]'::jsonb)
              FROM apr_dispatches d WHERE d.apr_code = r.apr_code),
        'grant', (
            SELECT governance_build_authorization_json(g)
              FROM governance_build_authorization g WHERE g.request_ref = r.apr_code),
        'deploys', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', d.id, 'host', d.host, 'file_path', d.file_path, 'sha256_before', d.sha256_before,
                       'sha256_after', d.sha256_after, 'backup_path', d.backup_path, 'status', d.status,
                       'is_known_good', d.is_known_good, 'deployed_at', d.deployed_at) ORDER BY d.id), '[]'::jsonb)
              FROM vps_deploy_log d WHERE d.apr_code = r.apr_code),
        'ledger', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'seq', l.seq, 'event', l.event, 'subject', l.subject, 'actor', l.actor,
                       'payload', l.payload, 'created_at', l.created_at, 'hash', l.hash) ORDER BY l.seq), '[]'::jsonb)
              FROM gov_ledger l WHERE l.apr_code = r.apr_code));
END
$$;

REVOKE ALL ON FUNCTION apr_list(text[], text, text, text, timestamptz, interval, boolean, integer),
    apr_show(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_list(text[], text, text, text, timestamptz, interval, boolean, integer),
    apr_show(text)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

-- Readback assertions: RAISE, never ASSERT.
DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc
                WHERE oid IN ('apr_list(text[], text, text, text, timestamptz, interval, boolean, integer)'::regprocedure,
                              'apr_show(text)'::regprocedure)
                  AND (prosecdef OR provolatile <> 's')) THEN
        RAISE EXCEPTION 'readback: apr_list and apr_show must be STABLE and run as their caller';
    END IF;
END
$check$;
