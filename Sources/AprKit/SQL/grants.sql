-- grants.sql: time-bound build authorizations (governance_build_authorization,
-- migration 001): minting the one grant of an approved authorize_build_step
-- APR, revoking it, and the expiry sweep. A grant is never deleted and never
-- comes back: its status only moves active -> revoked | expired, or
-- expired -> revoked.

CREATE OR REPLACE FUNCTION governance_build_authorization_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM apr_raise('grant_immutable', 'a grant is never deleted');
    END IF;
    IF NEW.auth_code IS DISTINCT FROM OLD.auth_code OR NEW.request_ref IS DISTINCT FROM OLD.request_ref THEN
        PERFORM apr_raise('grant_immutable', 'a grant belongs to its APR for good');
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'active' AND NEW.status IN ('revoked', 'expired'))
        OR (OLD.status = 'expired' AND NEW.status = 'revoked')) THEN
        PERFORM apr_raise('grant_immutable', format('%s -> %s is not a transition a grant makes', OLD.status, NEW.status));
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER governance_build_authorization_guard BEFORE UPDATE OR DELETE ON governance_build_authorization
    FOR EACH ROW EXECUTE FUNCTION governance_build_authorization_guard();
CREATE OR REPLACE TRIGGER governance_build_authorization_no_truncate BEFORE TRUNCATE ON governance_build_authorization
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('grant_immutable');

CREATE OR REPLACE FUNCTION governance_build_authorization_json(g governance_build_authorization) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'auth_code', g.auth_code, 'request_ref', g.request_ref, 'status', g.status,
        'commit_allowed', g.commit_allowed, 'requires_sovereign_esign', g.requires_sovereign_esign,
        'scope', g.scope, 'granted_at', g.granted_at, 'expires_at', g.expires_at,
        'revoked_at', g.revoked_at, 'revoked_reason', g.revoked_reason)
$$;

-- The authorize_build_step APR a grant function acts on, locked FOR UPDATE
-- for the rest of the transaction (or only read, for a dry run); refuses an
-- unknown APR and an APR of another action.
CREATE OR REPLACE FUNCTION grant_apr(p_apr_code text, p_lock boolean) RETURNS apr_requests
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
BEGIN
    IF p_lock THEN
        SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    ELSE
        SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    END IF;
    IF NOT FOUND THEN
        PERFORM apr_refuse('unknown_apr', p_apr_code);
    END IF;
    IF r.action_code <> 'authorize_build_step' THEN
        PERFORM apr_refuse('wrong_action', r.apr_code, r.action_code);
    END IF;
    RETURN r;
END
$$;

-- The refusal of a mint for a target that has an active grant already,
-- naming that grant and its APR, and what frees the target.
CREATE OR REPLACE FUNCTION grant_refuse_target_taken(p_apr_code text, other governance_build_authorization)
RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM apr_raise('target_has_active_grant', format(
        '%s: target %s has an active grant already, %s of %s (expires %s): %s', p_apr_code,
        coalesce(other.scope ->> 'target', '?'), coalesce(other.auth_code, '?'), coalesce(other.request_ref, '?'),
        coalesce(other.expires_at::text, '?'),
        CASE WHEN other.expires_at <= now()
             THEN 'it is past its expiry: run grant-mint --expire-due, then mint again'
             ELSE format('revoke it (grant-mint --revoke --apr %s --reason ...) or wait for its expiry, then mint again',
                         coalesce(other.request_ref, '?')) END));
END
$$;

-- Mints the one grant of an approved authorize_build_step APR, or (with
-- p_dry_run) returns the row it would mint and writes nothing. Under the APR's
-- row lock, in the caller's transaction: the grant, the dispatch record, the
-- APR's move to applied and the ledger event commit together or not at all;
-- the unique request_ref is the backstop. A grant that exists is returned
-- unchanged; a revoked one is never minted again. p_payload_sha256, when
-- given, is the hash the caller saw: it must be the one approved.
CREATE OR REPLACE FUNCTION grant_mint(p_apr_code text, p_payload_sha256 text DEFAULT NULL, p_dry_run boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    arm_ref constant text := 'apr-execute:authorize_build_step';
    r apr_requests;
    at apr_action_types;
    g governance_build_authorization;
    d apr_dispatches;
    blockers text[];
    ttl bigint;
    inserted integer;
    other governance_build_authorization;
    violated text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    p_dry_run := coalesce(p_dry_run, false);  -- NULL is not a dry run that skips the lock
    r := grant_apr(p_apr_code, NOT p_dry_run);
    -- A cancelled APR is never minted, whatever became of a grant it had.
    IF r.status = 'cancelled' THEN
        PERFORM apr_refuse('apr_cancelled', r.apr_code);
    END IF;

    SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code;
    IF FOUND THEN
        IF g.status = 'revoked' THEN
            PERFORM apr_refuse('apr_revoked', r.apr_code);
        END IF;
        RETURN jsonb_build_object('apr_code', r.apr_code, 'minted', false,
            'grant', governance_build_authorization_json(g), 'apr_status', r.status);
    END IF;

    blockers := apr_dispatch_blockers(r);
    IF cardinality(blockers) > 0 THEN
        PERFORM apr_refuse(blockers[1], r.apr_code);
    END IF;
    SELECT * INTO at FROM apr_action_types WHERE action_code = r.action_code;
    IF at.handler_ref IS DISTINCT FROM arm_ref THEN
        PERFORM apr_refuse('handler_unbound', r.apr_code,
            format('authorize_build_step is bound to %s, not %s', at.handler_ref, arm_ref));
    END IF;
    -- An attempt left open by the first release (whose apr-execute ran a
    -- handler file of this arm that called grant-mint) is the one this mint
    -- carries out: it is settled here, with the grant. An attempt of
    -- another handler, or one settled already, is refused.
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code ORDER BY attempt DESC LIMIT 1;
    IF FOUND AND ((d.outcome IS NULL AND d.handler_ref <> arm_ref) OR d.outcome IN ('applied', 'failed', 'interrupted')) THEN
        PERFORM apr_refuse('already_dispatched', r.apr_code, d.handler_ref);
    END IF;
    IF (p_payload_sha256 IS NOT NULL AND p_payload_sha256 <> r.payload_sha256)
       OR apr_payload_sha256(r.proposed_action) <> r.payload_sha256 THEN
        PERFORM apr_refuse('payload_hash_mismatch', r.apr_code);
    END IF;
    ttl := (r.proposed_action ->> 'ttl_seconds')::bigint;
    IF ttl IS NULL OR ttl < 1 OR (at.max_ttl_seconds IS NOT NULL AND ttl > at.max_ttl_seconds) THEN
        PERFORM apr_refuse('ttl_over_maximum', r.apr_code,
            format('ttl_seconds %s of %s is over the maximum of %s', ttl, r.apr_code, at.max_ttl_seconds));
    END IF;

    g.auth_code := 'GBA-C1-' || r.apr_code;
    g.request_ref := r.apr_code;
    g.status := 'active';
    g.commit_allowed := false;
    g.requires_sovereign_esign := false;
    g.scope := jsonb_build_object('target', r.proposed_action ->> 'target',
                                  'manifest_hash', r.proposed_action ->> 'manifest_hash');
    g.granted_at := now();
    g.expires_at := now() + make_interval(secs => ttl);
    -- One active grant per target (the unique index of migration 007 is the
    -- backstop, for two mints that pass this check at once).
    SELECT * INTO other FROM governance_build_authorization
     WHERE status = 'active' AND scope ->> 'target' = g.scope ->> 'target' AND request_ref <> r.apr_code
     ORDER BY granted_at LIMIT 1;
    IF FOUND THEN
        PERFORM grant_refuse_target_taken(r.apr_code, other);
    END IF;
    IF p_dry_run THEN
        RETURN jsonb_build_object('apr_code', r.apr_code, 'dry_run', true,
            'would_mint', governance_build_authorization_json(g));
    END IF;

    PERFORM apr_begin_write();
    BEGIN
        INSERT INTO governance_build_authorization SELECT g.* ON CONFLICT (request_ref) DO NOTHING;
        GET DIAGNOSTICS inserted = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        GET STACKED DIAGNOSTICS violated = CONSTRAINT_NAME;
        IF violated IS DISTINCT FROM 'governance_build_authorization_one_active_target' THEN
            RAISE;
        END IF;
        -- Another mint for this target committed between the check and
        -- the insert: the same refusal as when it had come first.
        SELECT * INTO other FROM governance_build_authorization
         WHERE status = 'active' AND scope ->> 'target' = g.scope ->> 'target' LIMIT 1;
        PERFORM grant_refuse_target_taken(r.apr_code, other);
    END;
    IF inserted = 0 THEN
        -- Only a writer that skipped the row lock can get here; the unique
        -- request_ref kept the second row out.
        SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code;
        RETURN jsonb_build_object('apr_code', r.apr_code, 'minted', false,
            'grant', governance_build_authorization_json(g), 'apr_status', r.status);
    END IF;
    d := apr_dispatch_settled(r, arm_ref, 'authorize_build_step', 'applied', jsonb_build_object('auth_code', g.auth_code));
    UPDATE apr_requests SET status = 'applied', applied_at = now(),
           result = jsonb_build_object('grant', governance_build_authorization_json(g))
     WHERE apr_code = r.apr_code;
    PERFORM gov_ledger_append('mint', r.apr_code, g.auth_code, jsonb_build_object(
        'auth_code', g.auth_code, 'scope', g.scope, 'expires_at', g.expires_at, 'handler_ref', arm_ref,
        'attempt', d.attempt, 'apr_status', 'applied'));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'minted', true,
        'grant', governance_build_authorization_json(g), 'apr_status', 'applied');
END
$$;

-- Revokes the grant of an APR (and moves the APR to revoked), or returns it
-- unchanged when it is revoked already. Serialized with grant_mint by the
-- APR's row lock, so mint and revoke cannot interleave.
CREATE OR REPLACE FUNCTION grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    g governance_build_authorization;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        PERFORM apr_raise('empty_reason', 'a revocation needs a reason');
    END IF;
    PERFORM apr_check_text('reason', p_reason, 4096);
    p_dry_run := coalesce(p_dry_run, false);  -- NULL is not a dry run that skips the lock
    r := grant_apr(p_apr_code, NOT p_dry_run);
    SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code;
    IF NOT FOUND THEN
        -- An APR not yet applied is withdrawn by cancelling it, not revoked.
        PERFORM apr_raise('nothing_to_revoke', CASE
            WHEN r.status IN ('proposed', 'approved')
                THEN format('%s has no grant: cancel it with apr-cancel --apr %s --reason ...', r.apr_code, r.apr_code)
            ELSE format('%s is %s and has no grant: there is nothing to revoke', r.apr_code, r.status) END);
    END IF;
    IF g.status = 'revoked' THEN
        RETURN jsonb_build_object('apr_code', r.apr_code, 'revoked', false,
            'grant', governance_build_authorization_json(g), 'apr_status', r.status);
    END IF;
    g.status := 'revoked';
    g.revoked_at := now();
    g.revoked_reason := p_reason;
    IF p_dry_run THEN
        RETURN jsonb_build_object('apr_code', r.apr_code, 'dry_run', true,
            'would_revoke', governance_build_authorization_json(g));
    END IF;
    PERFORM apr_begin_write();
    UPDATE governance_build_authorization
       SET status = g.status, revoked_at = g.revoked_at, revoked_reason = g.revoked_reason
     WHERE auth_code = g.auth_code;
    IF r.status = 'applied' THEN
        UPDATE apr_requests SET status = 'revoked' WHERE apr_code = r.apr_code;
        r.status := 'revoked';
    END IF;
    PERFORM gov_ledger_append('revoke', r.apr_code, g.auth_code,
        jsonb_build_object('reason', p_reason, 'apr_status', r.status));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'revoked', true,
        'grant', governance_build_authorization_json(g), 'apr_status', r.status);
END
$$;

-- The expiry sweep (for cron): every active grant past expires_at becomes
-- expired, one ledger event each. Rows another sweep or a revocation holds
-- are skipped, so sweeps on several hosts never wait on each other.
CREATE OR REPLACE FUNCTION grant_expire_due(p_dry_run boolean DEFAULT false) RETURNS SETOF jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    g governance_build_authorization;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF p_dry_run THEN
        FOR g IN SELECT * FROM governance_build_authorization
                  WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at, auth_code LOOP
            g.status := 'expired';
            RETURN NEXT jsonb_build_object('apr_code', g.request_ref, 'dry_run', true,
                'would_expire', governance_build_authorization_json(g));
        END LOOP;
        RETURN;
    END IF;
    FOR g IN SELECT * FROM governance_build_authorization
              WHERE status = 'active' AND expires_at <= now()
              ORDER BY expires_at, auth_code FOR UPDATE SKIP LOCKED LOOP
        PERFORM apr_begin_write();
        UPDATE governance_build_authorization SET status = 'expired' WHERE auth_code = g.auth_code;
        g.status := 'expired';
        PERFORM gov_ledger_append('expire', g.request_ref, g.auth_code,
            jsonb_build_object('expires_at', g.expires_at));
        RETURN NEXT jsonb_build_object('apr_code', g.request_ref, 'expired', true,
            'grant', governance_build_authorization_json(g));
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION grant_refuse_target_taken(text, governance_build_authorization),
    governance_build_authorization_guard(),
    governance_build_authorization_json(governance_build_authorization), grant_apr(text, boolean),
    grant_mint(text, text, boolean), grant_revoke(text, text, boolean), grant_expire_due(boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION grant_mint(text, text, boolean), grant_revoke(text, text, boolean),
    grant_expire_due(boolean)
    TO apr_executor;
-- A formatter of the one row it is given, which apr-show (reading.sql)
-- calls as its caller.
GRANT EXECUTE ON FUNCTION governance_build_authorization_json(governance_build_authorization)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

DO $check$
BEGIN
    IF has_table_privilege('apr_executor', 'governance_build_authorization', 'INSERT')
       OR has_table_privilege('apr_executor', 'governance_build_authorization', 'UPDATE') THEN
        RAISE EXCEPTION 'readback: apr_executor can write grants directly';
    END IF;
    IF has_function_privilege('apr_proposer', 'grant_mint(text, text, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: only apr_executor mints';
    END IF;
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE oid IN ('grant_mint(text, text, boolean)'::regprocedure, 'grant_revoke(text, text, boolean)'::regprocedure,
                       'grant_expire_due(boolean)'::regprocedure)) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: the grant functions must be SECURITY DEFINER';
    END IF;
END
$check$;
