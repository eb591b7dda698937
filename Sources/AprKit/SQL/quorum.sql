-- quorum.sql: whether an APR's quorum passes (apr_quorum_policies, migration
-- 001): the factors of its risk level must all hold, counting only active
-- approvers other than the proposer who voted on the current payload hash,
-- with no rejection and the APR neither expired nor cancelled. Every time
-- decision uses the database clock.

-- The quorum of one APR as one JSON document: who approved, whether each of
-- the risk level's factors holds, any rejection, expiry. NULL for no APR.
CREATE OR REPLACE FUNCTION apr_quorum_state(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    risk text;
    approvals jsonb;
    rejections jsonb;
    factors jsonb;
    all_met boolean;
    expired boolean;
    passed boolean;
BEGIN
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT risk_level INTO risk FROM apr_action_types WHERE action_code = r.action_code;

    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'approver', v.approver, 'role', a.role, 'voted_at', v.created_at,
               'counted', a.active AND v.approver <> r.proposed_by AND v.payload_sha256 = r.payload_sha256,
               'not_counted_because', CASE
                   WHEN NOT a.active THEN 'approver_inactive'
                   WHEN v.approver = r.proposed_by THEN 'proposer'
                   WHEN v.payload_sha256 <> r.payload_sha256 THEN 'stale_payload'
               END) ORDER BY v.created_at, v.approver), '[]'::jsonb)
      INTO approvals
      FROM apr_votes v JOIN apr_approvers a USING (approver)
     WHERE v.apr_code = r.apr_code AND v.decision = 'approve';

    SELECT coalesce(jsonb_agg(jsonb_build_object('approver', v.approver, 'voted_at', v.created_at)
               ORDER BY v.created_at), '[]'::jsonb)
      INTO rejections
      FROM apr_votes v WHERE v.apr_code = r.apr_code AND v.decision = 'reject';

    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'factor', p.factor, 'role', p.role, 'required', p.min_count,
               'have', c.have, 'met', c.have >= p.min_count) ORDER BY p.factor), '[]'::jsonb),
           coalesce(bool_and(c.have >= p.min_count), false)
      INTO factors, all_met
      FROM apr_quorum_policies p
      CROSS JOIN LATERAL (
          SELECT count(DISTINCT v.approver)::int AS have
            FROM apr_votes v JOIN apr_approvers a USING (approver)
           WHERE v.apr_code = r.apr_code AND v.decision = 'approve'
             AND a.active AND v.approver <> r.proposed_by
             AND v.payload_sha256 = r.payload_sha256
             AND (p.role IS NULL OR a.role = p.role)) c
     WHERE p.risk_level = risk;

    -- Expiry bounds the time to vote and to act; once applied it no longer matters.
    expired := r.status = 'expired' OR (r.status IN ('proposed', 'approved') AND r.expires_at <= now());
    passed := all_met AND jsonb_array_length(rejections) = 0 AND NOT expired
              AND r.status NOT IN ('rejected', 'expired', 'cancelled');
    RETURN jsonb_build_object(
        'apr_code', r.apr_code, 'action_code', r.action_code, 'risk_level', risk,
        'status', r.status, 'quorum_passed', passed, 'payload_sha256', r.payload_sha256,
        'proposed_by', r.proposed_by, 'approvals', approvals, 'factors', factors,
        'rejections', rejections, 'expires_at', r.expires_at, 'expired', expired);
END
$$;

CREATE OR REPLACE FUNCTION quorum_passed(apr_code text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$ SELECT coalesce((apr_quorum_state(apr_code) ->> 'quorum_passed')::boolean, false) $$;

REVOKE ALL ON FUNCTION apr_quorum_state(text), quorum_passed(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_quorum_state(text), quorum_passed(text)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;
