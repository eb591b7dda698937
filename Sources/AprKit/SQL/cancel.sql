-- cancel.sql: withdrawing an APR that is not yet applied (apr-cancel). Its
-- proposer or any active approver cancels a proposed or approved APR, with a
-- reason; a cancelled APR is never voted on, dispatched, minted or applied
-- (votes.sql, dispatch.sql and grants.sql refuse apr_cancelled). The status
-- guard (proposals.sql) allows proposed | approved -> cancelled only, and
-- the cancellation columns never change once set.

-- Cancels an APR as the session user, or returns it unchanged when it is
-- cancelled already. Under the APR's row lock: an active grant of the APR
-- is revoked with it (the authorization ends with the APR it came from),
-- and the status change, the revocation and their ledger events commit
-- together or not at all. An APR a dispatcher holds (its dispatch lock, or
-- an attempt still open) is refused: what the handler does is not known
-- yet. The dispatch lock is taken for the rest of the transaction, so no
-- dispatcher starts on it until the cancellation has committed, and then
-- it finds the APR cancelled. With p_dry_run: what it would write, and
-- nothing written.
CREATE OR REPLACE FUNCTION apr_cancel(p_apr_code text, p_reason text, p_dry_run boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    r apr_requests;
    g governance_build_authorization;
    d apr_dispatches;
    revoked_grant text;
    v_revoked_reason text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        PERFORM apr_raise('empty_reason', 'a cancellation needs a reason');
    END IF;
    PERFORM apr_check_text('reason', p_reason, 4096);
    IF coalesce(p_dry_run, false) THEN
        SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    ELSE
        SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    END IF;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_apr', format('no APR %s', p_apr_code));
    END IF;
    -- The proposer, or an active approver, each by identity (the role's
    -- oid): a role created under their name later is neither.
    IF NOT (r.proposed_by_oid IS NOT DISTINCT FROM (SELECT oid FROM pg_roles WHERE rolname = session_user)
            AND r.proposed_by = session_user)
       AND NOT EXISTS (SELECT 1 FROM apr_approvers a
                        WHERE a.approver = session_user AND a.active
                          AND a.role_oid = (SELECT oid FROM pg_roles WHERE rolname = session_user)) THEN
        PERFORM apr_raise('cancel_not_allowed',
            format('%s neither proposed %s nor is an active approver: only they may cancel it', session_user, r.apr_code));
    END IF;
    IF r.status = 'cancelled' THEN
        RETURN jsonb_build_object('apr_code', r.apr_code, 'cancelled', false, 'apr_status', r.status,
            'revoked_grant', NULL, 'apr', apr_request_json(r));
    END IF;
    IF r.status = 'applied' THEN
        PERFORM apr_raise('apr_not_cancellable',
            format('%s was applied: roll it back (rollback(1)) instead', r.apr_code));
    END IF;
    IF r.status NOT IN ('proposed', 'approved') THEN
        PERFORM apr_raise('apr_not_cancellable',
            format('%s is %s: only a proposed or approved APR is cancelled', r.apr_code, r.status));
    END IF;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code ORDER BY attempt DESC LIMIT 1;
    IF NOT pg_try_advisory_xact_lock(1634759288, hashtext(r.apr_code)) THEN
        PERFORM apr_raise('dispatch_in_progress',
            format('%s is being dispatched (another session holds its dispatch lock): cancel it once that ends', r.apr_code));
    END IF;
    IF d.apr_code IS NOT NULL AND d.outcome IS NULL THEN
        PERFORM apr_raise('dispatch_in_progress',
            format('attempt %s of %s is open: its handler may be running; run apr-execute --apr %s to settle it, then cancel',
                   d.attempt, r.apr_code, r.apr_code));
    END IF;

    SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code AND status = 'active';
    IF coalesce(p_dry_run, false) THEN
        r.status := 'cancelled';
        r.cancelled_at := now();
        r.cancelled_by := session_user;
        r.cancel_reason := p_reason;
        RETURN jsonb_build_object('apr_code', r.apr_code, 'dry_run', true, 'would_cancel', apr_request_json(r),
            'would_revoke', g.auth_code);
    END IF;

    PERFORM apr_begin_write();
    IF g.auth_code IS NOT NULL THEN
        v_revoked_reason := 'cancelled: ' || p_reason;
        WHILE octet_length(v_revoked_reason) > 4096 LOOP
            v_revoked_reason := left(v_revoked_reason, -1);
        END LOOP;
        UPDATE governance_build_authorization
           SET status = 'revoked', revoked_at = now(), revoked_reason = v_revoked_reason
         WHERE auth_code = g.auth_code;
        PERFORM gov_ledger_append('revoke', r.apr_code, g.auth_code,
            jsonb_build_object('reason', v_revoked_reason, 'apr_status', 'cancelled'));
        revoked_grant := g.auth_code;
    END IF;
    UPDATE apr_requests
       SET status = 'cancelled', cancelled_at = now(), cancelled_by = session_user, cancel_reason = p_reason
     WHERE apr_code = r.apr_code
    RETURNING * INTO r;
    PERFORM gov_ledger_append('cancel', r.apr_code, r.action_code,
        jsonb_build_object('reason', p_reason, 'revoked_grant', revoked_grant, 'apr_status', 'cancelled'));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'cancelled', true, 'apr_status', r.status,
        'revoked_grant', revoked_grant, 'apr', apr_request_json(r));
END
$$;

REVOKE ALL ON FUNCTION apr_cancel(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_cancel(text, text, boolean) TO apr_proposer, apr_approver;

DO $check$
BEGIN
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'apr_cancel(text, text, boolean)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: apr_cancel must be SECURITY DEFINER';
    END IF;
    IF has_function_privilege('apr_reader', 'apr_cancel(text, text, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: only a proposer or an approver cancels';
    END IF;
END
$check$;
