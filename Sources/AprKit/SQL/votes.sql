-- votes.sql: recording a vote (apr_votes, migration 001). The approver is
-- the session user, never a parameter; a vote is never changed or withdrawn;
-- the proposer cannot vote on its own APR; one reject blocks.

CREATE OR REPLACE TRIGGER apr_votes_append_only BEFORE UPDATE OR DELETE ON apr_votes
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('vote_immutable');

-- Records the session user's vote on an APR, bound to the payload hash the
-- voter saw (p_seen_payload_sha256: from the APR record the voter read, or
-- the hash they give); a payload that is not the one they saw is refused,
-- nothing written. NULL binds the vote to the payload as it is now, which
-- the answer shows. Then it settles the APR's status: approved when the
-- quorum passes, rejected on any reject. The same vote cast again (same
-- decision, same payload) is answered as recorded, unchanged: a voter can
-- always be re-run; another decision is already_voted.
DROP FUNCTION IF EXISTS apr_vote(text, text);
CREATE OR REPLACE FUNCTION apr_vote(p_apr_code text, p_decision text, p_seen_payload_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    a apr_approvers;
    v apr_votes;
    state jsonb;
    new_status text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject') THEN
        PERFORM apr_raise('bad_decision', 'the decision is approve or reject');
    END IF;
    IF p_seen_payload_sha256 IS NOT NULL AND p_seen_payload_sha256 !~ '^[0-9a-f]{64}$' THEN
        PERFORM apr_raise('invalid_field', 'the payload hash seen is 64 lowercase hex digits');
    END IF;
    -- The row lock serializes votes on one APR, so the quorum is evaluated on
    -- a settled set of votes and the status changes once.
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_apr', format('no APR %s', p_apr_code));
    END IF;
    SELECT * INTO a FROM apr_approvers WHERE approver = session_user;
    IF NOT FOUND OR NOT a.active THEN
        PERFORM apr_raise('not_an_approver', format('%s is not an active approver', session_user));
    END IF;
    -- The approver is the role registered, by its oid: a role renamed away
    -- and another created under its name is someone else.
    IF a.role_oid IS DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = session_user) THEN
        PERFORM apr_raise('approver_role_replaced', format(
            'the role %s is not the role registered as approver %s (it was dropped or renamed and another took its name): '
            'the schema owner registers it again with apr_approver_set if it is really the approver', session_user, a.approver));
    END IF;
    -- The proposer by name or by identity: a role renamed while it proposed
    -- is still the proposer.
    IF r.proposed_by = session_user OR r.proposed_by_oid = a.role_oid THEN
        PERFORM apr_raise('own_apr', format('%s proposed %s and cannot vote on it', session_user, r.apr_code));
    END IF;
    SELECT * INTO v FROM apr_votes WHERE apr_code = r.apr_code AND approver = session_user;
    IF FOUND THEN
        -- The same vote again, on the payload it was cast on: a re-run of a
        -- voter whose answer was lost (a failover cut the connection after
        -- the commit). It is recorded already: the answer, nothing written.
        IF v.decision = p_decision AND v.payload_sha256 = coalesce(p_seen_payload_sha256, r.payload_sha256) THEN
            -- A payload changed behind the guards (its hash kept) is never
            -- answered as the one voted on.
            IF apr_payload_sha256(r.proposed_action) <> r.payload_sha256 THEN
                PERFORM apr_raise('payload_changed', format('%s: the payload is %s now, not the %s the vote was cast on',
                    r.apr_code, apr_payload_sha256(r.proposed_action), v.payload_sha256));
            END IF;
            RETURN apr_quorum_state(r.apr_code) || jsonb_build_object(
                'unchanged', true,
                'vote', jsonb_build_object('approver', v.approver, 'decision', v.decision, 'payload_sha256', v.payload_sha256),
                'proposed_action', r.proposed_action);
        END IF;
        PERFORM apr_raise('already_voted', format('%s has already voted on %s', session_user, r.apr_code));
    END IF;
    IF r.status = 'cancelled' THEN
        PERFORM apr_raise('apr_cancelled', format('%s was cancelled: it is never voted on', r.apr_code));
    END IF;
    IF r.status <> 'proposed' THEN
        PERFORM apr_raise('apr_not_open', format('%s is %s, not open for votes', r.apr_code, r.status));
    END IF;
    IF r.expires_at <= now() THEN
        PERFORM apr_raise('apr_expired', format('%s expired at %s', r.apr_code, r.expires_at));
    END IF;
    -- The payload the voter saw must be the payload there is: the stored
    -- hash, and the hash of the stored payload (a payload changed behind the
    -- guards does not hash to the stored hash).
    IF coalesce(p_seen_payload_sha256, r.payload_sha256) <> r.payload_sha256
       OR apr_payload_sha256(r.proposed_action) <> r.payload_sha256 THEN
        PERFORM apr_raise('payload_changed', format('%s: the payload is %s now, not the %s the vote was cast on',
            r.apr_code, apr_payload_sha256(r.proposed_action), coalesce(p_seen_payload_sha256, r.payload_sha256)));
    END IF;

    PERFORM apr_begin_write();
    INSERT INTO apr_votes (apr_code, approver, decision, payload_sha256)
    VALUES (r.apr_code, session_user, p_decision, r.payload_sha256);
    state := apr_quorum_state(r.apr_code);
    new_status := CASE
        WHEN p_decision = 'reject' THEN 'rejected'
        WHEN (state ->> 'quorum_passed')::boolean THEN 'approved'
        ELSE 'proposed' END;
    IF new_status <> r.status THEN
        UPDATE apr_requests SET status = new_status WHERE apr_code = r.apr_code;
        state := apr_quorum_state(r.apr_code);
    END IF;
    PERFORM gov_ledger_append('vote', r.apr_code, session_user,
        jsonb_build_object('decision', p_decision, 'payload_sha256', r.payload_sha256, 'status', new_status,
                           'apr_status', new_status));
    RETURN state || jsonb_build_object(
        'vote', jsonb_build_object('approver', session_user, 'decision', p_decision, 'payload_sha256', r.payload_sha256),
        'proposed_action', r.proposed_action);
END
$$;

REVOKE ALL ON FUNCTION apr_vote(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_vote(text, text, text) TO apr_approver;

DO $check$
BEGIN
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'apr_vote(text, text, text)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: apr_vote must be SECURITY DEFINER';
    END IF;
    IF has_table_privilege('apr_approver', 'apr_votes', 'INSERT') THEN
        RAISE EXCEPTION 'readback: an approver can insert votes directly';
    END IF;
END
$check$;
