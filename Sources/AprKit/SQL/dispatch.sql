-- dispatch.sql: dispatching an approved APR to the handler bound to its
-- action type, exactly once (apr_dispatches, migrations 002 and 006).
--
-- Evidence, not claims. An arm whose effect the database can see is built
-- into apr-execute (apr_builtin_arms): its effect function (grant_mint,
-- gov_tool_register, patch_record) makes or checks the effect, records the
-- attempt and moves the APR in one transaction; nothing else marks such an
-- APR applied. Any other arm is a handler file whose effect lies outside the
-- database: its attempt is claimed (committed) before it runs, only for the
-- bytes of the last governed deploy of its path, and fenced by its attempt
-- number; apr_dispatch_finish records how the governed handler ended —
-- applied on exit 0, failed otherwise, indeterminate when it was lost
-- mid-run (then the APR waits for an operator, and a non-idempotent handler
-- is never run a second time on its own).

-- The arms built into apr-execute, whose APRs only their effect functions
-- settle.
CREATE OR REPLACE FUNCTION apr_builtin_arms() RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['authorize_build_step', 'patch_ops_code', 'register_tool'] $$;

-- An attempt is never deleted, and is settled once.
CREATE OR REPLACE FUNCTION apr_dispatches_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM apr_raise('dispatch_immutable', 'a dispatch is never deleted');
    END IF;
    IF OLD.outcome IS NOT NULL
       OR NEW.apr_code IS DISTINCT FROM OLD.apr_code OR NEW.handler_ref IS DISTINCT FROM OLD.handler_ref
       OR NEW.arm IS DISTINCT FROM OLD.arm OR NEW.dispatched_by IS DISTINCT FROM OLD.dispatched_by
       OR NEW.dispatched_at IS DISTINCT FROM OLD.dispatched_at OR NEW.attempt IS DISTINCT FROM OLD.attempt
       OR NEW.handler_sha256 IS DISTINCT FROM OLD.handler_sha256 THEN
        PERFORM apr_raise('dispatch_immutable', 'a dispatch is settled once and otherwise never changes');
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER apr_dispatches_guard BEFORE UPDATE OR DELETE ON apr_dispatches
    FOR EACH ROW EXECUTE FUNCTION apr_dispatches_guard();
CREATE OR REPLACE TRIGGER apr_dispatches_no_truncate BEFORE TRUNCATE ON apr_dispatches
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('dispatch_immutable');

-- Every refusal of the execution path with the line a person reads; the
-- reason's SQLSTATE (FAIL, SKIP or STOP) comes from the registry.
CREATE OR REPLACE FUNCTION apr_refuse(p_reason text, p_apr_code text, p_note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    detail text;
BEGIN
    IF p_reason = 'privileged_session' THEN
        PERFORM apr_refuse_privileged_session();  -- names what makes it privileged
    END IF;
    detail := CASE p_reason
        WHEN 'unknown_apr' THEN format('no APR %s', p_apr_code)
        WHEN 'wrong_action' THEN format('%s is a %s APR, not authorize_build_step', p_apr_code, p_note)
        WHEN 'apr_rejected' THEN format('%s was rejected', p_apr_code)
        WHEN 'apr_expired' THEN format('%s has expired', p_apr_code)
        WHEN 'apr_revoked' THEN format('%s was revoked (rolled back); it is never acted on again', p_apr_code)
        WHEN 'apr_failed' THEN format('%s failed when it was dispatched; it is never dispatched again', p_apr_code)
        WHEN 'already_dispatched' THEN
            format('%s was already dispatched to %s', p_apr_code, coalesce(p_note, 'another handler'))
        WHEN 'not_approved' THEN format('%s is not approved yet', p_apr_code)
        WHEN 'quorum_not_met' THEN format('%s does not pass its quorum now', p_apr_code)
        WHEN 'handler_unbound' THEN
            coalesce(p_note, format('%s has no handler bound (the action of %s)',
                (SELECT action_code FROM apr_requests WHERE apr_code = p_apr_code), p_apr_code))
        WHEN 'payload_hash_mismatch' THEN
            format('the payload hash of %s is not the one its approvers voted on', p_apr_code)
        WHEN 'no_grant' THEN format('%s has no grant to revoke', p_apr_code)
        WHEN 'dispatch_lock_not_held' THEN format('this session does not hold the dispatch lock of %s', p_apr_code)
        WHEN 'dispatch_not_open' THEN format('%s has no dispatch waiting to be settled', p_apr_code)
        WHEN 'apr_cancelled' THEN format('%s was cancelled: it is never dispatched, minted or applied', p_apr_code)
        WHEN 'dispatch_indeterminate' THEN
            format('an earlier dispatch of %s was lost while its handler ran: what it did is unknown; check its effect, '
                   'then run apr-execute --retry --apr %s to dispatch it again, or cancel it', p_apr_code, p_apr_code)
        ELSE p_note
    END;
    PERFORM apr_raise(p_reason, coalesce(detail, p_reason));
END
$$;

-- Why an APR cannot be executed now, the most fundamental reason first; an
-- empty array when it can. Eligibility is decided again here, by the
-- database clock: an approver deactivated since voting no longer counts.
CREATE OR REPLACE FUNCTION apr_dispatch_blockers(r apr_requests) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    blockers text[] := '{}';
BEGIN
    IF apr_session_is_privileged() THEN
        blockers := blockers || 'privileged_session'::text;
    END IF;
    IF r.status = 'cancelled' THEN blockers := blockers || 'apr_cancelled'::text;
    ELSIF r.status = 'rejected' THEN blockers := blockers || 'apr_rejected'::text;
    ELSIF r.status = 'revoked' THEN blockers := blockers || 'apr_revoked'::text;
    ELSIF r.status = 'failed' THEN blockers := blockers || 'apr_failed'::text;
    ELSIF r.status = 'applied' THEN blockers := blockers || 'already_dispatched'::text;
    ELSIF r.status = 'expired' OR r.expires_at <= now() THEN blockers := blockers || 'apr_expired'::text;
    ELSIF r.status = 'proposed' THEN blockers := blockers || 'not_approved'::text;
    END IF;
    IF r.status = 'approved' AND (SELECT outcome FROM apr_dispatches WHERE apr_code = r.apr_code
                                   ORDER BY attempt DESC LIMIT 1) = 'indeterminate' THEN
        blockers := blockers || 'dispatch_indeterminate'::text;
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
CREATE OR REPLACE FUNCTION apr_refuse_if_blocked(r apr_requests, p_ignore text[] DEFAULT '{}') RETURNS void
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
-- dispatcher's connection. Key: 'aprx' and the code's hash.
CREATE OR REPLACE FUNCTION apr_dispatch_lock(p_apr_code text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_advisory_lock(1634759288, hashtext(p_apr_code)) $$;

CREATE OR REPLACE FUNCTION apr_dispatch_try_lock(p_apr_code text) RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_try_advisory_lock(1634759288, hashtext(p_apr_code)) $$;

-- Releases the lock however many times this session took it (a retried
-- transaction may have taken it twice); answers whether it was held.
CREATE OR REPLACE FUNCTION apr_dispatch_unlock(p_apr_code text) RETURNS boolean
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

CREATE OR REPLACE FUNCTION apr_dispatch_lock_held(p_apr_code text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                      AND classid = 1634759288::oid AND objid = hashtext(p_apr_code)::oid AND objsubid = 2)
$$;

CREATE OR REPLACE FUNCTION apr_dispatch_json(d apr_dispatches) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT CASE WHEN d.apr_code IS NULL THEN NULL ELSE jsonb_build_object(
        'attempt', d.attempt, 'handler_ref', d.handler_ref, 'arm', d.arm, 'handler_sha256', d.handler_sha256,
        'dispatched_by', d.dispatched_by,
        'dispatched_at', d.dispatched_at, 'settled_at', d.settled_at, 'outcome', d.outcome,
        'exit_status', d.exit_status, 'result', d.result) END
$$;

-- What apr-execute would do with an APR, for --dry-run and before it acts:
-- the bound handler, whether the APR is eligible, what blocks it, and any
-- dispatch already recorded. Reads only.
CREATE OR REPLACE FUNCTION apr_dispatch_plan(p_apr_code text) RETURNS jsonb
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
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code ORDER BY attempt DESC LIMIT 1;
    blockers := apr_dispatch_blockers(r);
    IF d.outcome IN ('applied', 'failed', 'interrupted') AND NOT 'already_dispatched' = ANY (blockers) THEN
        blockers := blockers || 'already_dispatched'::text;
    END IF;
    RETURN jsonb_build_object(
        'apr_code', r.apr_code, 'action_code', r.action_code, 'status', r.status,
        'handler_ref', ref, 'arm', CASE WHEN ref LIKE 'apr-execute:%' THEN split_part(ref, ':', 2) END,
        'quorum_passed', quorum_passed(r.apr_code), 'blocked_by', to_jsonb(blockers),
        'dispatch', apr_dispatch_json(d), 'apr', apr_request_json(r));
END
$$;

-- Records how an effect function ended an APR's dispatch: the open attempt
-- (claimed by apr-execute for an external handler that records its effect
-- through the function) or a new one, settled applied or failed. Called
-- only by the effect functions, inside their transaction; granted to nobody.
CREATE OR REPLACE FUNCTION apr_dispatch_settled(r apr_requests, p_handler_ref text, p_arm text,
                                                p_outcome text, p_result jsonb)
RETURNS apr_dispatches
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    d apr_dispatches;
BEGIN
    PERFORM apr_begin_write();
    UPDATE apr_dispatches SET settled_at = now(), outcome = p_outcome,
           exit_status = CASE p_outcome WHEN 'applied' THEN 0 END, result = p_result
     WHERE apr_code = r.apr_code AND outcome IS NULL
    RETURNING * INTO d;
    IF NOT FOUND THEN
        INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm, settled_at, outcome, result)
        VALUES (r.apr_code, coalesce((SELECT max(attempt) FROM apr_dispatches WHERE apr_code = r.apr_code), 0) + 1,
                p_handler_ref, p_arm, now(), p_outcome, p_result)
        RETURNING * INTO d;
    END IF;
    RETURN d;
END
$$;

-- Whether a handler file is governed, and by which deploy: the registered
-- root its path falls under (with the root's checks), and the last settled
-- deploy of that path: a successful patch, or the restore that rolled one
-- back (its sha256_after is the bytes put back; the bytes rolled back are
-- governed no longer). apr-execute runs a handler file only when its bytes
-- hash to that deploy's sha256_after.
CREATE OR REPLACE FUNCTION apr_governed_handler(p_path text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'path', p_path,
        'target', (SELECT to_jsonb(t) FROM patch_targets t WHERE starts_with(p_path, t.root || '/')
                    ORDER BY length(t.root) DESC LIMIT 1),
        'deploy', (SELECT jsonb_build_object('id', d.id, 'apr_code', d.apr_code, 'sha256_after', d.sha256_after,
                                             'deployed_at', d.deployed_at)
                     FROM (SELECT * FROM vps_deploy_log l WHERE l.file_path = p_path AND l.status IN ('success', 'rolled_back')
                            ORDER BY l.id DESC LIMIT 1) d
                    -- A restore's bytes are governed only when a governed
                    -- deploy of the path installed them before: the file as
                    -- it was before any governed deploy, or a hash merely
                    -- claimed, governs nothing.
                    WHERE d.status = 'success'
                       OR EXISTS (SELECT 1 FROM vps_deploy_log e
                                   WHERE e.file_path = p_path AND e.status = 'success' AND e.id < d.id
                                     AND e.sha256_after = d.sha256_after)))
$$;

-- The next APR for `apr-execute --pending` to execute: approved, not past
-- its expiry (it could no longer be dispatched: a drain that took it would
-- refuse it again on every run), and not dispatched or with a dispatch left
-- unsettled; the one closest to its expiry first. The approved APRs by
-- expiry (migration 009) hand over the live ones first, and only them: in
-- creation order the plan walked every approved APR that ever expired
-- unexecuted before reaching a live one, on every call. Taken with FOR UPDATE SKIP
-- LOCKED, so executors on many hosts never pick the same one, and returned
-- only once this session holds its dispatch lock (kept after the
-- transaction, until apr_dispatch_unlock). NULL when nothing is left.
CREATE OR REPLACE FUNCTION apr_dispatch_next(p_exclude text[] DEFAULT '{}') RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    code text;
    skip text[] := coalesce(p_exclude, '{}');
BEGIN
    PERFORM apr_refuse_privileged_session();
    LOOP
        SELECT r.apr_code INTO code FROM apr_requests r
         WHERE r.status = 'approved' AND r.expires_at > now() AND r.apr_code <> ALL (skip)
           AND NOT EXISTS (SELECT 1 FROM apr_dispatches d WHERE d.apr_code = r.apr_code
                              AND d.outcome IN ('applied', 'failed', 'interrupted'))
         ORDER BY r.expires_at, r.apr_code
         FOR UPDATE OF r SKIP LOCKED
         LIMIT 1;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        -- Checked again in a fresh snapshot now that the row is ours: another
        -- executor may have settled it since this statement's snapshot.
        IF NOT EXISTS (SELECT 1 FROM apr_dispatches WHERE apr_code = code
                          AND outcome IN ('applied', 'failed', 'interrupted'))
           AND apr_dispatch_try_lock(code) THEN
            RETURN code;
        END IF;
        skip := skip || code;
    END LOOP;
END
$$;

-- Claims the next attempt of an approved APR for an external arm, before
-- the handler runs; the caller holds the APR's dispatch lock and gives the
-- path and sha256 of the handler file it will run, which must be the bytes
-- of the last successful governed deploy of that path below a registered
-- root (and never a built-in arm's). Returns {"state": "claimed",
-- "attempt": N, "apr": …}, or what is there already: "settled" (applied),
-- or "indeterminate" — an attempt whose dispatcher died (settled so here,
-- the caller now holding its lock) or that was lost before; it is claimed
-- again only with p_retry, the operator's decision.
DROP FUNCTION IF EXISTS apr_dispatch_claim(text, text);
DROP FUNCTION IF EXISTS apr_dispatch_claim(text, text, text, boolean);
CREATE OR REPLACE FUNCTION apr_dispatch_claim(p_apr_code text, p_arm text, p_handler_path text,
                                              p_handler_sha256 text, p_retry boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    d apr_dispatches;
    ref text;
    blocker text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF NOT apr_dispatch_lock_held(p_apr_code) THEN
        PERFORM apr_refuse('dispatch_lock_not_held', p_apr_code);
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_refuse('unknown_apr', p_apr_code);
    END IF;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = r.apr_code ORDER BY attempt DESC LIMIT 1;
    IF r.status = 'applied' OR d.outcome = 'applied' THEN
        RETURN jsonb_build_object('state', 'settled', 'apr_code', r.apr_code, 'status', r.status,
            'dispatch', apr_dispatch_json(d));
    END IF;
    IF d.apr_code IS NOT NULL AND d.outcome IS NULL THEN
        -- Open, and its lock is free (this session holds it now): its
        -- dispatcher died while the handler ran. What it did is unknown.
        PERFORM apr_begin_write();
        UPDATE apr_dispatches SET settled_at = now(), outcome = 'indeterminate',
               result = jsonb_build_object('reason', 'dispatcher_lost')
         WHERE apr_code = d.apr_code AND attempt = d.attempt
        RETURNING * INTO d;
        PERFORM gov_ledger_append('settle', r.apr_code, d.handler_ref, jsonb_build_object(
            'attempt', d.attempt, 'outcome', d.outcome, 'exit_status', NULL, 'apr_status', r.status));
        RETURN jsonb_build_object('state', 'indeterminate', 'apr_code', r.apr_code, 'status', r.status,
            'dispatch', apr_dispatch_json(d));
    END IF;
    IF d.outcome = 'indeterminate' AND NOT coalesce(p_retry, false) THEN
        RETURN jsonb_build_object('state', 'indeterminate', 'apr_code', r.apr_code, 'status', r.status,
            'dispatch', apr_dispatch_json(d));
    END IF;
    SELECT b INTO blocker FROM unnest(apr_dispatch_blockers(r)) WITH ORDINALITY AS u (b, n)
     WHERE b <> 'dispatch_indeterminate' ORDER BY n LIMIT 1;
    IF blocker IS NOT NULL THEN
        PERFORM apr_refuse(blocker, r.apr_code);
    END IF;
    SELECT handler_ref INTO ref FROM apr_action_types WHERE action_code = r.action_code;
    IF ref IS DISTINCT FROM 'apr-execute:' || p_arm THEN
        PERFORM apr_refuse('handler_unbound', r.apr_code,
            format('%s is bound to %s, not apr-execute:%s', r.action_code, ref, p_arm));
    END IF;
    IF p_arm = ANY (apr_builtin_arms()) THEN
        PERFORM apr_raise('handler_not_governed',
            format('%s is built into apr-execute: a handler file never executes it', p_arm));
    END IF;
    IF (apr_governed_handler(p_handler_path) -> 'target') = 'null'::jsonb
       OR (apr_governed_handler(p_handler_path) -> 'deploy' ->> 'sha256_after') IS DISTINCT FROM p_handler_sha256 THEN
        PERFORM apr_raise('handler_not_governed',
            format('%s (sha256 %s) is not the last governed deploy of a registered path', p_handler_path, p_handler_sha256));
    END IF;
    PERFORM apr_begin_write();
    INSERT INTO apr_dispatches (apr_code, attempt, handler_ref, arm, handler_sha256, result)
    VALUES (r.apr_code, coalesce(d.attempt, 0) + 1, ref, p_arm, p_handler_sha256,
            jsonb_build_object('handler_path', p_handler_path))
    RETURNING * INTO d;
    PERFORM gov_ledger_append('dispatch', r.apr_code, ref,
        jsonb_build_object('attempt', d.attempt, 'arm', p_arm, 'handler_path', p_handler_path,
                           'handler_sha256', p_handler_sha256, 'retry', coalesce(p_retry, false)));
    RETURN jsonb_build_object('state', 'claimed', 'apr_code', r.apr_code, 'status', r.status, 'attempt', d.attempt,
        'dispatch', apr_dispatch_json(d),
        'apr', apr_request_json(r) || jsonb_build_object('handler_ref', ref, 'arm', p_arm, 'attempt', d.attempt));
END
$$;

-- Records how the governed handler of an attempt the caller claimed (and
-- holds the lock of) ended: applied on exit 0, failed on any other exit
-- status, indeterminate when it was killed or lost (the APR stays approved,
-- blocked until an operator decides). Only the APR's current attempt, still
-- open, is finished: a stale attempt is refused.
DROP FUNCTION IF EXISTS apr_dispatch_settle(text, text, integer, jsonb);
CREATE OR REPLACE FUNCTION apr_dispatch_finish(p_apr_code text, p_attempt integer, p_exit_status integer,
                                               p_lost boolean, p_result jsonb)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    d apr_dispatches;
    v_outcome text;
    new_status text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    IF NOT apr_dispatch_lock_held(p_apr_code) THEN
        PERFORM apr_refuse('dispatch_lock_not_held', p_apr_code);
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    SELECT * INTO d FROM apr_dispatches WHERE apr_code = p_apr_code ORDER BY attempt DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND OR d.outcome IS NOT NULL THEN
        PERFORM apr_refuse('dispatch_not_open', p_apr_code);
    END IF;
    IF d.attempt IS DISTINCT FROM p_attempt THEN
        PERFORM apr_raise('stale_attempt', format('attempt %s of %s is not its current attempt (%s)',
            p_attempt, p_apr_code, d.attempt));
    END IF;
    v_outcome := CASE WHEN coalesce(p_lost, false) OR p_exit_status IS NULL THEN 'indeterminate'
                      WHEN p_exit_status = 0 THEN 'applied' ELSE 'failed' END;
    new_status := CASE v_outcome WHEN 'indeterminate' THEN r.status ELSE v_outcome END;
    PERFORM apr_begin_write();
    UPDATE apr_dispatches
       SET settled_at = now(), outcome = v_outcome, exit_status = p_exit_status,
           result = coalesce(d.result, '{}'::jsonb) || coalesce(p_result, '{}'::jsonb)
     WHERE apr_code = p_apr_code AND attempt = d.attempt
    RETURNING * INTO d;
    IF new_status <> r.status THEN
        UPDATE apr_requests
           SET status = new_status, applied_at = CASE WHEN new_status = 'applied' THEN now() END,
               result = jsonb_build_object('dispatch', apr_dispatch_json(d))
         WHERE apr_code = p_apr_code;
    END IF;
    PERFORM gov_ledger_append('settle', p_apr_code, d.handler_ref, jsonb_build_object(
        'attempt', d.attempt, 'outcome', d.outcome, 'exit_status', p_exit_status,
        'handler_sha256', d.handler_sha256, 'apr_status', new_status));
    RETURN jsonb_build_object('apr_code', p_apr_code, 'status', new_status, 'dispatch', apr_dispatch_json(d));
END
$$;

REVOKE ALL ON FUNCTION apr_builtin_arms(), apr_dispatches_guard(), apr_refuse(text, text, text), apr_dispatch_blockers(apr_requests),
    apr_refuse_if_blocked(apr_requests, text[]), apr_dispatch_lock(text), apr_dispatch_try_lock(text),
    apr_dispatch_unlock(text), apr_dispatch_lock_held(text), apr_dispatch_json(apr_dispatches),
    apr_dispatch_plan(text), apr_governed_handler(text), apr_dispatch_settled(apr_requests, text, text, text, jsonb), apr_dispatch_next(text[]),
    apr_dispatch_claim(text, text, text, text, boolean), apr_dispatch_finish(text, integer, integer, boolean, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_dispatch_next(text[]), apr_dispatch_claim(text, text, text, text, boolean),
    apr_dispatch_finish(text, integer, integer, boolean, jsonb), apr_dispatch_lock(text), apr_dispatch_try_lock(text),
    apr_dispatch_unlock(text)
    TO apr_executor;
-- A formatter of the one row it is given, which apr-show (reading.sql)
-- calls as its caller.
GRANT EXECUTE ON FUNCTION apr_dispatch_json(apr_dispatches) TO apr_proposer, apr_approver, apr_executor, apr_reader;
GRANT EXECUTE ON FUNCTION apr_dispatch_plan(text), apr_refuse(text, text, text), apr_governed_handler(text)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

DO $check$
BEGIN
    IF has_table_privilege('apr_executor', 'apr_dispatches', 'INSERT')
       OR has_table_privilege('apr_executor', 'apr_dispatches', 'UPDATE') THEN
        RAISE EXCEPTION 'readback: apr_executor can write dispatches directly';
    END IF;
    IF has_function_privilege('apr_approver', 'apr_dispatch_claim(text, text, text, text, boolean)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: only apr_executor dispatches';
    END IF;
    IF has_function_privilege('apr_executor', 'apr_dispatch_settled(apr_requests, text, text, text, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: the executor can record an effect it did not make';
    END IF;
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE oid IN ('apr_dispatch_claim(text, text, text, text, boolean)'::regprocedure,
                       'apr_dispatch_finish(text, integer, integer, boolean, jsonb)'::regprocedure,
                       'apr_dispatch_next(text[])'::regprocedure)) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: the dispatch functions must be SECURITY DEFINER';
    END IF;
END
$check$;
