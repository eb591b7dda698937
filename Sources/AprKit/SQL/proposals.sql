-- proposals.sql: creating an APR (apr_requests, migrations 001 and 006) and
-- keeping it what it was proposed as: its identity and payload never
-- change, and its status moves only forward.

CREATE OR REPLACE FUNCTION apr_requests_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM apr_raise('apr_immutable', 'an APR is never deleted');
    END IF;
    IF NEW.apr_code IS DISTINCT FROM OLD.apr_code
       OR NEW.request_type IS DISTINCT FROM OLD.request_type
       OR NEW.action_code IS DISTINCT FROM OLD.action_code
       OR NEW.proposed_action IS DISTINCT FROM OLD.proposed_action
       OR NEW.payload_sha256 IS DISTINCT FROM OLD.payload_sha256
       OR NEW.session_code IS DISTINCT FROM OLD.session_code
       OR NEW.reason IS DISTINCT FROM OLD.reason
       OR NEW.proposed_by IS DISTINCT FROM OLD.proposed_by
       OR NEW.proposed_by_oid IS DISTINCT FROM OLD.proposed_by_oid
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
       OR (OLD.status = 'cancelled' AND (NEW.cancelled_at, NEW.cancelled_by, NEW.cancel_reason)
                                        IS DISTINCT FROM (OLD.cancelled_at, OLD.cancelled_by, OLD.cancel_reason)) THEN
        PERFORM apr_raise('apr_immutable', 'an APR''s proposal never changes after creation');
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected', 'expired', 'cancelled'))
        OR (OLD.status = 'approved' AND NEW.status IN ('applied', 'failed', 'expired', 'cancelled'))
        OR (OLD.status = 'applied' AND NEW.status = 'revoked')) THEN
        PERFORM apr_raise('bad_status_transition',
            format('%s -> %s is not a transition an APR makes', OLD.status, NEW.status));
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER apr_requests_guard BEFORE UPDATE OR DELETE ON apr_requests
    FOR EACH ROW EXECUTE FUNCTION apr_requests_guard();

-- An APR as every tool prints it.
CREATE OR REPLACE FUNCTION apr_request_json(r apr_requests) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'apr_code', r.apr_code, 'request_type', r.request_type, 'action_code', r.action_code,
        'proposed_action', r.proposed_action, 'payload_sha256', r.payload_sha256,
        'session_code', r.session_code, 'reason', r.reason, 'proposed_by', r.proposed_by,
        'status', r.status, 'created_at', r.created_at, 'expires_at', r.expires_at,
        'applied_at', r.applied_at, 'result', r.result)
        || CASE WHEN r.status = 'cancelled' THEN jsonb_build_object(
               'cancelled_at', r.cancelled_at, 'cancelled_by', r.cancelled_by, 'cancel_reason', r.cancel_reason)
           ELSE '{}'::jsonb END
$$;

-- A text argument within its size limit (field_too_long, exit 65).
CREATE OR REPLACE FUNCTION apr_check_text(p_field text, p_value text, p_max_bytes integer) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    IF octet_length(p_value) > p_max_bytes THEN
        PERFORM apr_raise('field_too_long', format('%s is over %s bytes', p_field, p_max_bytes));
    END IF;
END
$$;

-- Creates an APR (or, with p_dry_run, validates it and returns what it would
-- create, writing nothing, not even a sequence value).
CREATE OR REPLACE FUNCTION apr_propose(
    p_request_type text, p_action_code text, p_proposed_action jsonb,
    p_session_code text, p_reason text, p_dry_run boolean DEFAULT false
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    at apr_action_types;
    action jsonb;
    r apr_requests;
BEGIN
    PERFORM apr_refuse_privileged_session();
    -- The limits the tools keep, kept here too: psql meets them as well.
    PERFORM apr_check_text('request_type', p_request_type, 64);
    PERFORM apr_check_text('action_code', p_action_code, 64);
    PERFORM apr_check_text('session_code', p_session_code, 128);
    PERFORM apr_check_text('reason', p_reason, 4096);
    IF octet_length(p_proposed_action::text) > 2097152 THEN
        PERFORM apr_raise('input_too_large', 'proposed_action is over 2 MiB');
    END IF;
    SELECT * INTO at FROM apr_action_types WHERE action_code = p_action_code;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_action', format('no action type %s', p_action_code));
    END IF;
    IF p_request_type IS DISTINCT FROM at.request_type THEN
        PERFORM apr_raise('request_type_mismatch',
            format('%s takes request_type %s, not %s', p_action_code, at.request_type, p_request_type));
    END IF;
    IF p_session_code IS NULL OR btrim(p_session_code) = '' THEN
        PERFORM apr_raise('empty_session_code', 'session_code must not be empty');
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        PERFORM apr_raise('empty_reason', 'reason must not be empty');
    END IF;
    IF at.reason_pattern IS NOT NULL AND p_reason !~ at.reason_pattern THEN
        PERFORM apr_raise('reason_pattern_mismatch',
            format('reason must match %s for %s', at.reason_pattern, p_action_code));
    END IF;
    PERFORM apr_validate_action(p_action_code, p_proposed_action);
    action := apr_check_action_rules(at, p_proposed_action);

    -- At least six digits; lpad alone would cut a seventh off, and
    -- APR-1000000 would collide with APR-100000.
    r.apr_code := CASE WHEN p_dry_run THEN 'APR-000000'
                       ELSE (SELECT 'APR-' || lpad(n::text, greatest(6, length(n::text)), '0')
                               FROM nextval('apr_code_seq') AS n) END;
    r.request_type := p_request_type;
    r.action_code := p_action_code;
    r.proposed_action := action;
    r.payload_sha256 := apr_payload_sha256(action);
    r.session_code := p_session_code;
    r.reason := p_reason;
    r.proposed_by := session_user;
    r.proposed_by_oid := (SELECT oid FROM pg_roles WHERE rolname = session_user);
    r.status := 'proposed';
    r.created_at := now();
    r.expires_at := now() + make_interval(secs => at.apr_ttl_seconds);
    IF p_dry_run THEN
        RETURN apr_request_json(r) || jsonb_build_object('apr_code', NULL, 'dry_run', true);
    END IF;
    PERFORM apr_begin_write();
    INSERT INTO apr_requests SELECT r.*;
    PERFORM gov_ledger_append('propose', r.apr_code, p_action_code,
        jsonb_build_object('payload_sha256', r.payload_sha256, 'proposed_by', r.proposed_by, 'apr_status', r.status));
    RETURN apr_request_json(r);
END
$$;

REVOKE ALL ON FUNCTION apr_requests_guard(), apr_request_json(apr_requests), apr_check_text(text, text, integer),
    apr_propose(text, text, jsonb, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_propose(text, text, jsonb, text, text, boolean) TO apr_proposer;
-- A formatter of the one row it is given, which apr-list and apr-show
-- (reading.sql) call as their caller.
GRANT EXECUTE ON FUNCTION apr_request_json(apr_requests) TO apr_proposer, apr_approver, apr_executor, apr_reader;

DO $check$
BEGIN
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'apr_propose(text, text, jsonb, text, text, boolean)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: apr_propose must be SECURITY DEFINER';
    END IF;
    IF has_table_privilege('apr_proposer', 'apr_requests', 'INSERT')
       OR has_table_privilege('apr_proposer', 'apr_requests', 'UPDATE') THEN
        RAISE EXCEPTION 'readback: a proposer can write apr_requests directly';
    END IF;
END
$check$;
