-- aprkit 002 grants: one dispatch per APR, one grant per authorize_build_step
-- APR, and the refusals that guard both. Refusals follow 001: SQLSTATE class
-- AK (AKF = FAIL, AKS = SKIP, AKT = STOP, AKD = bad data), reason code as message.

-- One row per dispatched APR, ever. An external handler's dispatch is
-- committed before the handler runs; settled_at and outcome are set once,
-- after it answers. A row without an outcome is a dispatch in flight, or one
-- whose dispatcher died (readback can see it; apr-execute settles it).
CREATE TABLE apr_dispatches (
    apr_code      text PRIMARY KEY REFERENCES apr_requests,
    handler_ref   text NOT NULL,
    arm           text NOT NULL CHECK (arm ~ '^[a-z][a-z0-9_]*$'),
    dispatched_by text NOT NULL DEFAULT session_user,
    dispatched_at timestamptz NOT NULL DEFAULT now(),
    settled_at    timestamptz,
    outcome       text CHECK (outcome IN ('applied', 'failed', 'interrupted')),
    exit_status   integer,
    result        jsonb,
    CHECK ((settled_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX apr_dispatches_unsettled ON apr_dispatches (apr_code) WHERE outcome IS NULL;

-- A dispatch is never deleted, and is settled once.
CREATE FUNCTION apr_dispatches_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF20', MESSAGE = 'dispatch_immutable', DETAIL = 'a dispatch is never deleted';
    END IF;
    IF OLD.outcome IS NOT NULL
       OR NEW.apr_code IS DISTINCT FROM OLD.apr_code OR NEW.handler_ref IS DISTINCT FROM OLD.handler_ref
       OR NEW.arm IS DISTINCT FROM OLD.arm OR NEW.dispatched_by IS DISTINCT FROM OLD.dispatched_by
       OR NEW.dispatched_at IS DISTINCT FROM OLD.dispatched_at THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF20', MESSAGE = 'dispatch_immutable',
            DETAIL = 'a dispatch is settled once and otherwise never changes';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apr_dispatches_guard BEFORE UPDATE OR DELETE ON apr_dispatches
    FOR EACH ROW EXECUTE FUNCTION apr_dispatches_guard();
CREATE TRIGGER apr_dispatches_no_truncate BEFORE TRUNCATE ON apr_dispatches
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('dispatch_immutable');

-- A grant is never deleted and never comes back: its status only moves
-- active → revoked | expired, or expired → revoked, so a revoked grant is
-- never re-minted. (An owner's edit of its terms is what readback's
-- checklist catches; the group roles cannot write the table at all.)
CREATE FUNCTION governance_build_authorization_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF21', MESSAGE = 'grant_immutable', DETAIL = 'a grant is never deleted';
    END IF;
    IF NEW.auth_code IS DISTINCT FROM OLD.auth_code OR NEW.request_ref IS DISTINCT FROM OLD.request_ref THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF21', MESSAGE = 'grant_immutable',
            DETAIL = 'a grant belongs to its APR for good';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'active' AND NEW.status IN ('revoked', 'expired'))
        OR (OLD.status = 'expired' AND NEW.status = 'revoked')) THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF21', MESSAGE = 'grant_immutable',
            DETAIL = format('%s -> %s is not a transition a grant makes', OLD.status, NEW.status);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER governance_build_authorization_guard BEFORE UPDATE OR DELETE ON governance_build_authorization
    FOR EACH ROW EXECUTE FUNCTION governance_build_authorization_guard();
CREATE TRIGGER governance_build_authorization_no_truncate BEFORE TRUNCATE ON governance_build_authorization
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('grant_immutable');

-- Every refusal of the execution path, in one place: its SQLSTATE (which
-- decides FAIL, SKIP or STOP) and the line a human reads.
CREATE FUNCTION apr_refuse(p_reason text, p_apr_code text, p_note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    code text;
    detail text;
BEGIN
    CASE p_reason
    WHEN 'privileged_session' THEN
        code := 'AKF22';
        detail := format('%s is a superuser or BYPASSRLS role; executors act as ordinary roles', session_user);
    WHEN 'unknown_apr' THEN code := 'AKF11'; detail := format('no APR %s', p_apr_code);
    WHEN 'wrong_action' THEN code := 'AKF23'; detail := format('%s is a %s APR, not authorize_build_step', p_apr_code, p_note);
    WHEN 'apr_rejected' THEN code := 'AKF24'; detail := format('%s was rejected', p_apr_code);
    WHEN 'apr_expired' THEN code := 'AKF16'; detail := format('%s has expired', p_apr_code);
    WHEN 'apr_revoked' THEN code := 'AKF25'; detail := format('%s was revoked (rolled back); it is never acted on again', p_apr_code);
    WHEN 'apr_failed' THEN code := 'AKF26'; detail := format('%s failed when it was dispatched; it is never dispatched again', p_apr_code);
    WHEN 'already_dispatched' THEN code := 'AKF27'; detail := format('%s was already dispatched to %s', p_apr_code, coalesce(p_note, 'another handler'));
    WHEN 'not_approved' THEN code := 'AKS20'; detail := format('%s is not approved yet', p_apr_code);
    WHEN 'quorum_not_met' THEN code := 'AKS21'; detail := format('%s does not pass its quorum now', p_apr_code);
    WHEN 'handler_unbound' THEN
        code := 'AKF28';
        detail := coalesce(p_note, format('%s has no handler bound (the action of %s)',
            (SELECT action_code FROM apr_requests WHERE apr_code = p_apr_code), p_apr_code));
    WHEN 'payload_hash_mismatch' THEN
        code := 'AKF29';
        detail := format('the payload hash of %s is not the one its approvers voted on', p_apr_code);
    WHEN 'ttl_over_maximum' THEN code := 'AKF04'; detail := p_note;
    WHEN 'no_grant' THEN code := 'AKS22'; detail := format('%s has no grant to revoke', p_apr_code);
    WHEN 'dispatch_lock_not_held' THEN
        code := 'AKF30';
        detail := format('this session does not hold the dispatch lock of %s', p_apr_code);
    WHEN 'dispatch_not_open' THEN code := 'AKF31'; detail := format('%s has no dispatch waiting to be settled', p_apr_code);
    ELSE
        code := 'AKF99';
        detail := coalesce(p_note, p_reason);
    END CASE;
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = p_reason, DETAIL = coalesce(detail, p_reason);
END
$$;

-- Why an APR cannot be executed now, the most fundamental reason first; an
-- empty array when it can. Eligibility is decided again here, by the
-- database clock: an approver deactivated since voting no longer counts.
CREATE FUNCTION apr_dispatch_blockers(r apr_requests) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    blockers text[] := '{}';
BEGIN
    IF apr_session_is_privileged() THEN
        blockers := blockers || 'privileged_session'::text;
    END IF;
    IF r.status = 'rejected' THEN blockers := blockers || 'apr_rejected'::text;
    ELSIF r.status = 'revoked' THEN blockers := blockers || 'apr_revoked'::text;
    ELSIF r.status = 'failed' THEN blockers := blockers || 'apr_failed'::text;
    ELSIF r.status = 'applied' THEN blockers := blockers || 'already_dispatched'::text;
    ELSIF r.status = 'expired' OR r.expires_at <= now() THEN blockers := blockers || 'apr_expired'::text;
    ELSIF r.status = 'proposed' THEN blockers := blockers || 'not_approved'::text;
    END IF;
    IF (SELECT handler_ref FROM apr_action_types WHERE action_code = r.action_code) IS NULL THEN
        blockers := blockers || 'handler_unbound'::text;
    END IF;
    IF r.status IN ('proposed', 'approved') AND r.expires_at > now() AND NOT quorum_passed(r.apr_code) THEN
        blockers := blockers || 'quorum_not_met'::text;
    END IF;
    RETURN blockers;
END
$$;

-- Refuses, with the reason grant-mint gives, an APR that cannot be acted on
-- now; p_ignore names the blockers that do not apply to the caller (a tool
-- that acts without a binding ignores handler_unbound).
CREATE FUNCTION apr_refuse_if_blocked(r apr_requests, p_ignore text[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    blocker text;
BEGIN
    SELECT b INTO blocker FROM unnest(apr_dispatch_blockers(r)) WITH ORDINALITY AS u (b, n)
     WHERE b <> ALL (p_ignore) ORDER BY n LIMIT 1;
    IF blocker IS NOT NULL THEN
        PERFORM apr_refuse(blocker, r.apr_code);
    END IF;
END
$$;

-- The advisory lock a dispatcher holds on an APR, as a session lock, from
-- before it records a dispatch until it has settled it: it goes with the
-- dispatcher's connection, so a dispatch without an outcome whose lock is
-- free was left by a dispatcher that died. Key: 'aprx' and the code's hash.
CREATE FUNCTION apr_dispatch_lock(p_apr_code text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_advisory_lock(1634759288, hashtext(p_apr_code)) $$;

CREATE FUNCTION apr_dispatch_try_lock(p_apr_code text) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_try_advisory_lock(1634759288, hashtext(p_apr_code)) $$;

-- Releases the lock however many times this session took it (a retried
-- transaction may have taken it twice); answers whether it was held.
CREATE FUNCTION apr_dispatch_unlock(p_apr_code text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    held boolean := false;
BEGIN
    WHILE pg_advisory_unlock(1634759288, hashtext(p_apr_code)) LOOP
        held := true;
    END LOOP;
    RETURN held;
END
$$;

CREATE FUNCTION apr_dispatch_lock_held(p_apr_code text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                      AND classid = 1634759288::oid AND objid = hashtext(p_apr_code)::oid AND objsubid = 2)
$$;

CREATE FUNCTION apr_dispatch_json(d apr_dispatches) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT CASE WHEN d.apr_code IS NULL THEN NULL ELSE jsonb_build_object(
        'handler_ref', d.handler_ref, 'arm', d.arm, 'dispatched_by', d.dispatched_by,
        'dispatched_at', d.dispatched_at, 'settled_at', d.settled_at, 'outcome', d.outcome,
        'exit_status', d.exit_status, 'result', d.result) END
$$;

-- What apr-execute would do with an APR, for --dry-run and before it acts:
-- the bound handler, whether the APR is eligible, what blocks it, and any
-- dispatch already recorded. Reads only.
CREATE FUNCTION apr_dispatch_plan(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    d apr_dispatches;
    ref text;
    blockers text[];
BEGIN
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT handler_ref INTO ref FROM apr_action_types WHERE action_code = r.action_code;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code;
    blockers := apr_dispatch_blockers(r);
    IF d.apr_code IS NOT NULL AND NOT 'already_dispatched' = ANY (blockers) THEN
        blockers := blockers || 'already_dispatched'::text;
    END IF;
    RETURN jsonb_build_object(
        'apr_code', r.apr_code, 'action_code', r.action_code, 'status', r.status,
        'handler_ref', ref, 'arm', CASE WHEN ref LIKE 'apr-execute:%' THEN split_part(ref, ':', 2) END,
        'quorum_passed', quorum_passed(r.apr_code), 'blocked_by', to_jsonb(blockers),
        'dispatch', apr_dispatch_json(d), 'apr', apr_request_json(r));
END
$$;

CREATE FUNCTION governance_build_authorization_json(g governance_build_authorization) RETURNS jsonb
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
CREATE FUNCTION grant_apr(p_apr_code text, p_lock boolean) RETURNS apr_requests
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

-- Mints the one grant of an approved authorize_build_step APR, or (with
-- p_dry_run) returns the row it would mint and writes nothing. Under the APR's
-- row lock, in the caller's transaction: the grant, the dispatch record, the
-- APR's move to applied and the ledger event commit together or not at all;
-- the unique request_ref is the backstop. A grant that exists is returned
-- unchanged; a revoked one is never minted again. p_payload_sha256, when
-- given, is the hash the caller saw: it must be the one approved.
CREATE FUNCTION grant_mint(p_apr_code text, p_payload_sha256 text DEFAULT NULL, p_dry_run boolean DEFAULT false)
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
BEGIN
    IF apr_session_is_privileged() THEN
        PERFORM apr_refuse('privileged_session', p_apr_code);
    END IF;
    r := grant_apr(p_apr_code, NOT p_dry_run);

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
    -- A dispatch apr-execute recorded for this arm and has not settled is the
    -- one this mint carries out (a handler file of the arm that runs
    -- grant-mint): it is settled here, with the grant. Any other is refused.
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code;
    IF FOUND AND (d.outcome IS NOT NULL OR d.handler_ref <> arm_ref) THEN
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
    IF p_dry_run THEN
        RETURN jsonb_build_object('apr_code', r.apr_code, 'dry_run', true,
            'would_mint', governance_build_authorization_json(g));
    END IF;

    INSERT INTO governance_build_authorization SELECT g.* ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted = 0 THEN
        -- Only a writer that skipped the row lock can get here; the unique
        -- request_ref kept the second row out.
        SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code;
        RETURN jsonb_build_object('apr_code', r.apr_code, 'minted', false,
            'grant', governance_build_authorization_json(g), 'apr_status', r.status);
    END IF;
    IF d.apr_code IS NULL THEN
        INSERT INTO apr_dispatches (apr_code, handler_ref, arm, settled_at, outcome, result)
        VALUES (r.apr_code, arm_ref, 'authorize_build_step', now(), 'applied',
                jsonb_build_object('auth_code', g.auth_code));
    ELSE
        UPDATE apr_dispatches SET settled_at = now(), outcome = 'applied', exit_status = 0,
               result = jsonb_build_object('auth_code', g.auth_code)
         WHERE apr_code = r.apr_code;
    END IF;
    UPDATE apr_requests SET status = 'applied', applied_at = now(),
           result = jsonb_build_object('grant', governance_build_authorization_json(g))
     WHERE apr_code = r.apr_code;
    PERFORM gov_ledger_append('mint', r.apr_code, g.auth_code, jsonb_build_object(
        'auth_code', g.auth_code, 'scope', g.scope, 'expires_at', g.expires_at, 'handler_ref', arm_ref));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'minted', true,
        'grant', governance_build_authorization_json(g), 'apr_status', 'applied');
END
$$;

-- Revokes the grant of an APR (and moves the APR to revoked), or returns it
-- unchanged when it is revoked already. Serialized with grant_mint by the
-- APR's row lock, so mint and revoke cannot interleave.
CREATE FUNCTION grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    g governance_build_authorization;
BEGIN
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD08', MESSAGE = 'empty_reason', DETAIL = 'a revocation needs a reason';
    END IF;
    r := grant_apr(p_apr_code, NOT p_dry_run);
    SELECT * INTO g FROM governance_build_authorization WHERE request_ref = r.apr_code;
    IF NOT FOUND THEN
        PERFORM apr_refuse('no_grant', r.apr_code);
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
    UPDATE governance_build_authorization
       SET status = g.status, revoked_at = g.revoked_at, revoked_reason = g.revoked_reason
     WHERE auth_code = g.auth_code;
    IF r.status = 'applied' THEN
        UPDATE apr_requests SET status = 'revoked' WHERE apr_code = r.apr_code;
        r.status := 'revoked';
    END IF;
    PERFORM gov_ledger_append('revoke', r.apr_code, g.auth_code, jsonb_build_object('reason', p_reason));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'revoked', true,
        'grant', governance_build_authorization_json(g), 'apr_status', r.status);
END
$$;

-- The expiry sweep (for cron): every active grant past expires_at becomes
-- expired, one ledger event each. Rows another sweep or a revocation holds
-- are skipped, so sweeps on several hosts never wait on each other.
CREATE FUNCTION grant_expire_due(p_dry_run boolean DEFAULT false) RETURNS SETOF jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    g governance_build_authorization;
BEGIN
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
        UPDATE governance_build_authorization SET status = 'expired' WHERE auth_code = g.auth_code;
        g.status := 'expired';
        PERFORM gov_ledger_append('expire', g.request_ref, g.auth_code,
            jsonb_build_object('expires_at', g.expires_at));
        RETURN NEXT jsonb_build_object('apr_code', g.request_ref, 'expired', true,
            'grant', governance_build_authorization_json(g));
    END LOOP;
END
$$;

-- The next APR for `apr-execute --pending` to execute: approved, and not
-- dispatched or with a dispatch left unsettled. Taken with FOR UPDATE SKIP
-- LOCKED, so executors on many hosts never pick the same one, and returned
-- only once this session holds its dispatch lock (kept after the
-- transaction, until apr_dispatch_unlock). NULL when nothing is left.
CREATE FUNCTION apr_dispatch_next(p_exclude text[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    code text;
    skip text[] := coalesce(p_exclude, '{}');
BEGIN
    IF apr_session_is_privileged() THEN
        PERFORM apr_refuse('privileged_session', NULL);
    END IF;
    LOOP
        SELECT r.apr_code INTO code FROM apr_requests r
         WHERE r.status = 'approved' AND r.apr_code <> ALL (skip)
           AND NOT EXISTS (SELECT 1 FROM apr_dispatches d WHERE d.apr_code = r.apr_code AND d.outcome IS NOT NULL)
         ORDER BY r.created_at, r.apr_code
         FOR UPDATE OF r SKIP LOCKED
         LIMIT 1;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        -- Checked again in a fresh snapshot now that the row is ours: another
        -- executor may have settled it since this statement's snapshot.
        IF NOT EXISTS (SELECT 1 FROM apr_dispatches WHERE apr_code = code AND outcome IS NOT NULL)
           AND apr_dispatch_try_lock(code) THEN
            RETURN code;
        END IF;
        skip := skip || code;
    END LOOP;
END
$$;

-- Records the dispatch of an approved APR to an external arm, before the
-- handler runs. The caller must hold the APR's dispatch lock. Returns
-- {"state": "claimed", "apr": …} for a new dispatch, or the dispatch already
-- recorded: "settled", or "unsettled" (its dispatcher died: the caller, who
-- now holds the lock, settles it as interrupted and never runs it again).
CREATE FUNCTION apr_dispatch_claim(p_apr_code text, p_arm text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    d apr_dispatches;
    ref text;
    blockers text[];
BEGIN
    IF apr_session_is_privileged() THEN
        PERFORM apr_refuse('privileged_session', p_apr_code);
    END IF;
    IF NOT apr_dispatch_lock_held(p_apr_code) THEN
        PERFORM apr_refuse('dispatch_lock_not_held', p_apr_code);
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_refuse('unknown_apr', p_apr_code);
    END IF;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code;
    IF FOUND THEN
        RETURN jsonb_build_object('state', CASE WHEN d.outcome IS NULL THEN 'unsettled' ELSE 'settled' END,
            'apr_code', r.apr_code, 'status', r.status, 'dispatch', apr_dispatch_json(d));
    END IF;
    IF r.status = 'applied' THEN
        RETURN jsonb_build_object('state', 'settled', 'apr_code', r.apr_code, 'status', r.status,
            'dispatch', NULL);
    END IF;
    blockers := apr_dispatch_blockers(r);
    IF cardinality(blockers) > 0 THEN
        PERFORM apr_refuse(blockers[1], r.apr_code);
    END IF;
    SELECT handler_ref INTO ref FROM apr_action_types WHERE action_code = r.action_code;
    IF ref IS DISTINCT FROM 'apr-execute:' || p_arm THEN
        PERFORM apr_refuse('handler_unbound', r.apr_code,
            format('%s is bound to %s, not apr-execute:%s', r.action_code, ref, p_arm));
    END IF;
    INSERT INTO apr_dispatches (apr_code, handler_ref, arm) VALUES (r.apr_code, ref, p_arm)
    RETURNING * INTO d;
    PERFORM gov_ledger_append('dispatch', r.apr_code, ref, jsonb_build_object('arm', p_arm));
    RETURN jsonb_build_object('state', 'claimed', 'apr_code', r.apr_code, 'status', r.status,
        'dispatch', apr_dispatch_json(d),
        'apr', apr_request_json(r) || jsonb_build_object('handler_ref', ref, 'arm', p_arm));
END
$$;

-- Records the outcome of a dispatch the caller holds the lock of: the
-- handler's answer (applied or failed), or "interrupted" for a dispatch whose
-- dispatcher died. The APR moves to applied or failed in the same transaction.
CREATE FUNCTION apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    d apr_dispatches;
    new_status text := CASE WHEN p_outcome = 'applied' THEN 'applied' ELSE 'failed' END;
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('applied', 'failed', 'interrupted') THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD09', MESSAGE = 'bad_outcome',
            DETAIL = 'a dispatch is settled as applied, failed or interrupted';
    END IF;
    IF NOT apr_dispatch_lock_held(p_apr_code) THEN
        PERFORM apr_refuse('dispatch_lock_not_held', p_apr_code);
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_refuse('dispatch_not_open', p_apr_code);
    END IF;
    IF d.outcome IS NOT NULL THEN
        -- Settled already, by the arm itself in the transaction of its own
        -- write (grant-mint run by a handler file): that outcome stands.
        RETURN jsonb_build_object('apr_code', p_apr_code, 'status', r.status, 'already_settled', true,
            'dispatch', apr_dispatch_json(d));
    END IF;
    UPDATE apr_dispatches
       SET settled_at = now(), outcome = p_outcome, exit_status = p_exit_status, result = p_result
     WHERE apr_code = p_apr_code
    RETURNING * INTO d;
    UPDATE apr_requests
       SET status = new_status, applied_at = CASE WHEN new_status = 'applied' THEN now() END,
           result = jsonb_build_object('dispatch', apr_dispatch_json(d))
     WHERE apr_code = p_apr_code;
    PERFORM gov_ledger_append('settle', p_apr_code, d.handler_ref,
        jsonb_build_object('outcome', p_outcome, 'exit_status', p_exit_status));
    RETURN jsonb_build_object('apr_code', p_apr_code, 'status', new_status, 'dispatch', apr_dispatch_json(d));
END
$$;

REVOKE ALL ON apr_dispatches FROM PUBLIC;
REVOKE ALL ON FUNCTION apr_dispatches_guard(), governance_build_authorization_guard(),
    apr_refuse(text, text, text), apr_dispatch_blockers(apr_requests), apr_refuse_if_blocked(apr_requests, text[]),
    apr_dispatch_lock(text), apr_dispatch_try_lock(text), apr_dispatch_unlock(text), apr_dispatch_lock_held(text),
    apr_dispatch_json(apr_dispatches), apr_dispatch_plan(text),
    governance_build_authorization_json(governance_build_authorization), grant_apr(text, boolean),
    grant_mint(text, text, boolean), grant_revoke(text, text, boolean), grant_expire_due(boolean),
    apr_dispatch_next(text[]), apr_dispatch_claim(text, text), apr_dispatch_settle(text, text, integer, jsonb)
    FROM PUBLIC;
GRANT SELECT ON apr_dispatches TO apr_proposer, apr_approver, apr_executor, apr_reader;
GRANT EXECUTE ON FUNCTION grant_mint(text, text, boolean), grant_revoke(text, text, boolean),
    grant_expire_due(boolean), apr_dispatch_next(text[]), apr_dispatch_claim(text, text),
    apr_dispatch_settle(text, text, integer, jsonb), apr_dispatch_lock(text), apr_dispatch_try_lock(text),
    apr_dispatch_unlock(text)
    TO apr_executor;
GRANT EXECUTE ON FUNCTION apr_dispatch_plan(text), apr_refuse(text, text, text)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

-- Readback assertions: RAISE, never ASSERT.
DO $check$
BEGIN
    IF has_table_privilege('apr_executor', 'governance_build_authorization', 'INSERT')
       OR has_table_privilege('apr_executor', 'governance_build_authorization', 'UPDATE')
       OR has_table_privilege('apr_executor', 'apr_dispatches', 'INSERT')
       OR has_table_privilege('apr_executor', 'apr_dispatches', 'UPDATE') THEN
        RAISE EXCEPTION 'readback: apr_executor can write grants or dispatches directly';
    END IF;
    IF has_function_privilege('apr_proposer', 'grant_mint(text, text, boolean)', 'EXECUTE')
       OR has_function_privilege('apr_approver', 'apr_dispatch_claim(text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: only apr_executor mints and dispatches';
    END IF;
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE oid IN ('grant_mint(text, text, boolean)'::regprocedure, 'grant_revoke(text, text, boolean)'::regprocedure,
                       'apr_dispatch_claim(text, text)'::regprocedure, 'apr_dispatch_settle(text, text, integer, jsonb)'::regprocedure)) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: grant and dispatch functions must be SECURITY DEFINER';
    END IF;
END
$check$;