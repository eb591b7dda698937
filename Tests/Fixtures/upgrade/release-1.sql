--
-- PostgreSQL database dump
--

\restrict aprkitrelease1

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: apr_approver_set(text, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_approver_set(p_approver text, p_role text, p_active boolean DEFAULT true) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_approver) THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF17', MESSAGE = 'unknown_role',
            DETAIL = format('no database role %s', p_approver);
    END IF;
    INSERT INTO apr_approvers (approver, role, active) VALUES (p_approver, p_role, p_active)
    ON CONFLICT (approver) DO UPDATE SET role = EXCLUDED.role, active = EXCLUDED.active;
    EXECUTE format('GRANT apr_approver TO %I', p_approver);
    PERFORM gov_ledger_append('approver', NULL, p_approver,
        jsonb_build_object('role', p_role, 'active', p_active));
    RETURN jsonb_build_object('approver', p_approver, 'role', p_role, 'active', p_active);
END
$$;


ALTER FUNCTION public.apr_approver_set(p_approver text, p_role text, p_active boolean) OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: apr_action_types; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_action_types (
    action_code text NOT NULL,
    request_type text NOT NULL,
    risk_level text NOT NULL,
    handler_ref text,
    reason_pattern text,
    apr_ttl_seconds integer DEFAULT 604800 NOT NULL,
    max_ttl_seconds integer,
    CONSTRAINT apr_action_types_action_code_check CHECK ((action_code ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT apr_action_types_apr_ttl_seconds_check CHECK ((apr_ttl_seconds > 0)),
    CONSTRAINT apr_action_types_handler_ref_check CHECK ((handler_ref ~ '^[a-z][a-z0-9-]*:[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT apr_action_types_max_ttl_seconds_check CHECK ((max_ttl_seconds > 0)),
    CONSTRAINT apr_action_types_request_type_check CHECK ((request_type ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT apr_action_types_risk_level_check CHECK ((risk_level = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text])))
);


ALTER TABLE public.apr_action_types OWNER TO postgres;

--
-- Name: apr_check_action_rules(public.apr_action_types, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_check_action_rules(p_type public.apr_action_types, p_action jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    content bytea;
BEGIN
    IF p_type.action_code = 'patch_ops_code' THEN
        BEGIN
            content := decode(p_action ->> 'new_content_base64', 'base64');
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION USING ERRCODE = 'AKD06', MESSAGE = 'bad_base64',
                DETAIL = 'proposed_action.new_content_base64 is not valid base64';
        END;
        IF p_action ? 'new_content_sha256'
           AND p_action ->> 'new_content_sha256' <> encode(sha256(content), 'hex') THEN
            RAISE EXCEPTION USING ERRCODE = 'AKF03', MESSAGE = 'content_hash_mismatch',
                DETAIL = 'new_content_sha256 is not the sha256 of the decoded content';
        END IF;
        -- The content's hash is part of the approved payload, so the handler
        -- can prove the bytes it writes are the bytes that were approved.
        RETURN p_action || jsonb_build_object('new_content_sha256', encode(sha256(content), 'hex'));
    END IF;
    IF p_action ? 'ttl_seconds' THEN
        IF (p_action ->> 'ttl_seconds')::bigint < 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'AKD05', MESSAGE = 'invalid_field',
                DETAIL = 'proposed_action.ttl_seconds must be at least 1';
        END IF;
        IF p_type.max_ttl_seconds IS NOT NULL AND (p_action ->> 'ttl_seconds')::bigint > p_type.max_ttl_seconds THEN
            RAISE EXCEPTION USING ERRCODE = 'AKF04', MESSAGE = 'ttl_over_maximum',
                DETAIL = format('ttl_seconds %s is over the maximum of %s for %s',
                                p_action ->> 'ttl_seconds', p_type.max_ttl_seconds, p_type.action_code);
        END IF;
    END IF;
    RETURN p_action;
END
$$;


ALTER FUNCTION public.apr_check_action_rules(p_type public.apr_action_types, p_action jsonb) OWNER TO postgres;

--
-- Name: apr_requests; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_requests (
    apr_code text NOT NULL,
    request_type text NOT NULL,
    action_code text NOT NULL,
    proposed_action jsonb NOT NULL,
    payload_sha256 text NOT NULL,
    session_code text NOT NULL,
    reason text NOT NULL,
    proposed_by text NOT NULL,
    status text DEFAULT 'proposed'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    applied_at timestamp with time zone,
    result jsonb,
    CONSTRAINT apr_requests_apr_code_check CHECK ((apr_code ~ '^APR-[0-9]{6,}$'::text)),
    CONSTRAINT apr_requests_check CHECK ((expires_at > created_at)),
    CONSTRAINT apr_requests_check1 CHECK (((applied_at IS NOT NULL) = (status = ANY (ARRAY['applied'::text, 'revoked'::text])))),
    CONSTRAINT apr_requests_payload_sha256_check CHECK ((payload_sha256 ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT apr_requests_proposed_action_check CHECK ((jsonb_typeof(proposed_action) = 'object'::text)),
    CONSTRAINT apr_requests_reason_check CHECK ((btrim(reason) <> ''::text)),
    CONSTRAINT apr_requests_session_code_check CHECK ((session_code <> ''::text)),
    CONSTRAINT apr_requests_status_check CHECK ((status = ANY (ARRAY['proposed'::text, 'approved'::text, 'rejected'::text, 'expired'::text, 'applied'::text, 'failed'::text, 'revoked'::text])))
);


ALTER TABLE public.apr_requests OWNER TO postgres;

--
-- Name: apr_dispatch_blockers(public.apr_requests); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_blockers(r public.apr_requests) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_blockers(r public.apr_requests) OWNER TO postgres;

--
-- Name: apr_dispatch_claim(text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_claim(p_apr_code text, p_arm text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_claim(p_apr_code text, p_arm text) OWNER TO postgres;

--
-- Name: apr_dispatches; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_dispatches (
    apr_code text NOT NULL,
    handler_ref text NOT NULL,
    arm text NOT NULL,
    dispatched_by text DEFAULT SESSION_USER NOT NULL,
    dispatched_at timestamp with time zone DEFAULT now() NOT NULL,
    settled_at timestamp with time zone,
    outcome text,
    exit_status integer,
    result jsonb,
    CONSTRAINT apr_dispatches_arm_check CHECK ((arm ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT apr_dispatches_check CHECK (((settled_at IS NULL) = (outcome IS NULL))),
    CONSTRAINT apr_dispatches_outcome_check CHECK ((outcome = ANY (ARRAY['applied'::text, 'failed'::text, 'interrupted'::text])))
);


ALTER TABLE public.apr_dispatches OWNER TO postgres;

--
-- Name: apr_dispatch_json(public.apr_dispatches); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_json(d public.apr_dispatches) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT CASE WHEN d.apr_code IS NULL THEN NULL ELSE jsonb_build_object(
        'handler_ref', d.handler_ref, 'arm', d.arm, 'dispatched_by', d.dispatched_by,
        'dispatched_at', d.dispatched_at, 'settled_at', d.settled_at, 'outcome', d.outcome,
        'exit_status', d.exit_status, 'result', d.result) END
$$;


ALTER FUNCTION public.apr_dispatch_json(d public.apr_dispatches) OWNER TO postgres;

--
-- Name: apr_dispatch_lock(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_lock(p_apr_code text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT pg_advisory_lock(1634759288, hashtext(p_apr_code)) $$;


ALTER FUNCTION public.apr_dispatch_lock(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_dispatch_lock_held(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_lock_held(p_apr_code text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT EXISTS (SELECT 1 FROM pg_locks
                    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                      AND classid = 1634759288::oid AND objid = hashtext(p_apr_code)::oid AND objsubid = 2)
$$;


ALTER FUNCTION public.apr_dispatch_lock_held(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_dispatch_next(text[]); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_next(p_exclude text[] DEFAULT '{}'::text[]) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_next(p_exclude text[]) OWNER TO postgres;

--
-- Name: apr_dispatch_plan(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_plan(p_apr_code text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_plan(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_dispatch_settle(text, text, integer, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb) OWNER TO postgres;

--
-- Name: apr_dispatch_try_lock(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_try_lock(p_apr_code text) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT pg_try_advisory_lock(1634759288, hashtext(p_apr_code)) $$;


ALTER FUNCTION public.apr_dispatch_try_lock(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_dispatch_unlock(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatch_unlock(p_apr_code text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatch_unlock(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_dispatches_guard(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_dispatches_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_dispatches_guard() OWNER TO postgres;

--
-- Name: apr_payload_sha256(jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_payload_sha256(p_action jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT encode(sha256(convert_to(p_action::text, 'UTF8')), 'hex') $$;


ALTER FUNCTION public.apr_payload_sha256(p_action jsonb) OWNER TO postgres;

--
-- Name: apr_propose(text, text, jsonb, text, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_propose(p_request_type text, p_action_code text, p_proposed_action jsonb, p_session_code text, p_reason text, p_dry_run boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    at apr_action_types;
    action jsonb;
    r apr_requests;
BEGIN
    SELECT * INTO at FROM apr_action_types WHERE action_code = p_action_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF05', MESSAGE = 'unknown_action',
            DETAIL = format('no action type %s', p_action_code);
    END IF;
    IF p_request_type IS DISTINCT FROM at.request_type THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF06', MESSAGE = 'request_type_mismatch',
            DETAIL = format('%s takes request_type %s, not %s', p_action_code, at.request_type, p_request_type);
    END IF;
    IF p_session_code IS NULL OR btrim(p_session_code) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF07', MESSAGE = 'empty_session_code',
            DETAIL = 'session_code must not be empty';
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF08', MESSAGE = 'empty_reason', DETAIL = 'reason must not be empty';
    END IF;
    IF at.reason_pattern IS NOT NULL AND p_reason !~ at.reason_pattern THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF09', MESSAGE = 'reason_pattern_mismatch',
            DETAIL = format('reason must match %s for %s', at.reason_pattern, p_action_code);
    END IF;
    PERFORM apr_validate_action(p_action_code, p_proposed_action);
    action := apr_check_action_rules(at, p_proposed_action);

    r.apr_code := CASE WHEN p_dry_run THEN 'APR-000000' ELSE 'APR-' || lpad(nextval('apr_code_seq')::text, 6, '0') END;
    r.request_type := p_request_type;
    r.action_code := p_action_code;
    r.proposed_action := action;
    r.payload_sha256 := apr_payload_sha256(action);
    r.session_code := p_session_code;
    r.reason := p_reason;
    r.proposed_by := session_user;
    r.status := 'proposed';
    r.created_at := now();
    r.expires_at := now() + make_interval(secs => at.apr_ttl_seconds);
    IF p_dry_run THEN
        RETURN apr_request_json(r) || jsonb_build_object('apr_code', NULL, 'dry_run', true);
    END IF;
    INSERT INTO apr_requests SELECT r.*;
    PERFORM gov_ledger_append('propose', r.apr_code, p_action_code,
        jsonb_build_object('payload_sha256', r.payload_sha256, 'proposed_by', r.proposed_by));
    RETURN apr_request_json(r);
END
$$;


ALTER FUNCTION public.apr_propose(p_request_type text, p_action_code text, p_proposed_action jsonb, p_session_code text, p_reason text, p_dry_run boolean) OWNER TO postgres;

--
-- Name: apr_quorum_state(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_quorum_state(p_apr_code text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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
              AND r.status NOT IN ('rejected', 'expired');
    RETURN jsonb_build_object(
        'apr_code', r.apr_code, 'action_code', r.action_code, 'risk_level', risk,
        'status', r.status, 'quorum_passed', passed, 'payload_sha256', r.payload_sha256,
        'proposed_by', r.proposed_by, 'approvals', approvals, 'factors', factors,
        'rejections', rejections, 'expires_at', r.expires_at, 'expired', expired);
END
$$;


ALTER FUNCTION public.apr_quorum_state(p_apr_code text) OWNER TO postgres;

--
-- Name: apr_refuse(text, text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) OWNER TO postgres;

--
-- Name: apr_refuse_if_blocked(public.apr_requests, text[]); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_refuse_if_blocked(r public.apr_requests, p_ignore text[] DEFAULT '{}'::text[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.apr_refuse_if_blocked(r public.apr_requests, p_ignore text[]) OWNER TO postgres;

--
-- Name: apr_request_json(public.apr_requests); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_request_json(r public.apr_requests) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT jsonb_build_object(
        'apr_code', r.apr_code, 'request_type', r.request_type, 'action_code', r.action_code,
        'proposed_action', r.proposed_action, 'payload_sha256', r.payload_sha256,
        'session_code', r.session_code, 'reason', r.reason, 'proposed_by', r.proposed_by,
        'status', r.status, 'created_at', r.created_at, 'expires_at', r.expires_at,
        'applied_at', r.applied_at, 'result', r.result)
$$;


ALTER FUNCTION public.apr_request_json(r public.apr_requests) OWNER TO postgres;

--
-- Name: apr_requests_guard(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_requests_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF02', MESSAGE = 'apr_immutable', DETAIL = 'an APR is never deleted';
    END IF;
    IF NEW.apr_code IS DISTINCT FROM OLD.apr_code
       OR NEW.request_type IS DISTINCT FROM OLD.request_type
       OR NEW.action_code IS DISTINCT FROM OLD.action_code
       OR NEW.proposed_action IS DISTINCT FROM OLD.proposed_action
       OR NEW.payload_sha256 IS DISTINCT FROM OLD.payload_sha256
       OR NEW.session_code IS DISTINCT FROM OLD.session_code
       OR NEW.reason IS DISTINCT FROM OLD.reason
       OR NEW.proposed_by IS DISTINCT FROM OLD.proposed_by
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF02', MESSAGE = 'apr_immutable',
            DETAIL = 'an APR''s proposal never changes after creation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected', 'expired'))
        OR (OLD.status = 'approved' AND NEW.status IN ('applied', 'failed', 'expired'))
        OR (OLD.status = 'applied' AND NEW.status = 'revoked')) THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF02', MESSAGE = 'bad_status_transition',
            DETAIL = format('%s -> %s is not a transition an APR makes', OLD.status, NEW.status);
    END IF;
    RETURN NEW;
END
$$;


ALTER FUNCTION public.apr_requests_guard() OWNER TO postgres;

--
-- Name: apr_session_is_privileged(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_session_is_privileged() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user), true) $$;


ALTER FUNCTION public.apr_session_is_privileged() OWNER TO postgres;

--
-- Name: apr_validate_action(text, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_validate_action(p_action_code text, p_action jsonb) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    f apr_action_fields;
    k text;
    v jsonb;
    t text;
BEGIN
    IF p_action IS NULL OR jsonb_typeof(p_action) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD01', MESSAGE = 'wrong_type', DETAIL = 'proposed_action must be an object';
    END IF;
    FOR k IN SELECT jsonb_object_keys(p_action) LOOP
        IF NOT EXISTS (SELECT 1 FROM apr_action_fields WHERE action_code = p_action_code AND field = k) THEN
            RAISE EXCEPTION USING ERRCODE = 'AKD02', MESSAGE = 'unknown_field',
                DETAIL = format('proposed_action.%s is not a field of %s', k, p_action_code);
        END IF;
    END LOOP;
    FOR f IN SELECT * FROM apr_action_fields WHERE action_code = p_action_code ORDER BY field LOOP
        v := p_action -> f.field;
        IF v IS NULL THEN
            IF f.required THEN
                RAISE EXCEPTION USING ERRCODE = 'AKD03', MESSAGE = 'missing_field',
                    DETAIL = format('proposed_action.%s is required for %s', f.field, p_action_code);
            END IF;
            CONTINUE;
        END IF;
        t := jsonb_typeof(v);
        IF t = 'number' AND f.json_type = 'integer' THEN
            IF (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric) THEN
                t := 'fraction';
            ELSE
                t := 'integer';
            END IF;
        END IF;
        IF t <> f.json_type THEN
            RAISE EXCEPTION USING ERRCODE = 'AKD01', MESSAGE = 'wrong_type',
                DETAIL = format('proposed_action.%s must be %s, not %s', f.field, f.json_type, t);
        END IF;
        IF t = 'string' THEN
            IF f.max_length IS NOT NULL AND octet_length(v #>> '{}') > f.max_length THEN
                RAISE EXCEPTION USING ERRCODE = 'AKD04', MESSAGE = 'field_too_long',
                    DETAIL = format('proposed_action.%s is over %s bytes', f.field, f.max_length);
            END IF;
            IF f.pattern IS NOT NULL AND (v #>> '{}') !~ f.pattern THEN
                RAISE EXCEPTION USING ERRCODE = 'AKD05', MESSAGE = 'invalid_field',
                    DETAIL = format('proposed_action.%s does not match %s', f.field, f.pattern);
            END IF;
        END IF;
    END LOOP;
END
$$;


ALTER FUNCTION public.apr_validate_action(p_action_code text, p_action jsonb) OWNER TO postgres;

--
-- Name: apr_vote(text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.apr_vote(p_apr_code text, p_decision text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
    a apr_approvers;
    state jsonb;
    new_status text;
BEGIN
    IF apr_session_is_privileged() THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF10', MESSAGE = 'privileged_session',
            DETAIL = format('%s is a superuser or BYPASSRLS role; approvers vote as ordinary roles', session_user);
    END IF;
    IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject') THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD07', MESSAGE = 'bad_decision',
            DETAIL = 'the decision is approve or reject';
    END IF;
    -- The row lock serializes votes on one APR, so the quorum is evaluated on
    -- a settled set of votes and the status changes once.
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF11', MESSAGE = 'unknown_apr', DETAIL = format('no APR %s', p_apr_code);
    END IF;
    SELECT * INTO a FROM apr_approvers WHERE approver = session_user;
    IF NOT FOUND OR NOT a.active THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF12', MESSAGE = 'not_an_approver',
            DETAIL = format('%s is not an active approver', session_user);
    END IF;
    IF r.proposed_by = session_user THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF13', MESSAGE = 'own_apr',
            DETAIL = format('%s proposed %s and cannot vote on it', session_user, r.apr_code);
    END IF;
    IF EXISTS (SELECT 1 FROM apr_votes WHERE apr_code = r.apr_code AND approver = session_user) THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF14', MESSAGE = 'already_voted',
            DETAIL = format('%s has already voted on %s', session_user, r.apr_code);
    END IF;
    IF r.status <> 'proposed' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF15', MESSAGE = 'apr_not_open',
            DETAIL = format('%s is %s, not open for votes', r.apr_code, r.status);
    END IF;
    IF r.expires_at <= now() THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF16', MESSAGE = 'apr_expired',
            DETAIL = format('%s expired at %s', r.apr_code, r.expires_at);
    END IF;

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
        jsonb_build_object('decision', p_decision, 'payload_sha256', r.payload_sha256, 'status', new_status));
    RETURN state || jsonb_build_object('vote', jsonb_build_object('approver', session_user, 'decision', p_decision));
END
$$;


ALTER FUNCTION public.apr_vote(p_apr_code text, p_decision text) OWNER TO postgres;

--
-- Name: gov_ledger_append(text, text, text, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_ledger_append(p_event text, p_apr_code text, p_subject text, p_payload jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    head gov_ledger_head;
    ts timestamptz := now();
    new_hash text;
BEGIN
    -- The row lock on the head serializes every append: the chain cannot fork.
    SELECT * INTO head FROM gov_ledger_head WHERE singleton FOR UPDATE;
    new_hash := gov_ledger_link_hash(head.hash, head.seq + 1, p_event, p_apr_code, p_subject,
                                     session_user, coalesce(p_payload, '{}'::jsonb), ts);
    INSERT INTO gov_ledger (seq, event, apr_code, subject, actor, payload, created_at, prev_hash, hash)
    VALUES (head.seq + 1, p_event, p_apr_code, p_subject, session_user,
            coalesce(p_payload, '{}'::jsonb), ts, head.hash, new_hash);
    UPDATE gov_ledger_head SET seq = head.seq + 1, hash = new_hash WHERE singleton;
    RETURN head.seq + 1;
END
$$;


ALTER FUNCTION public.gov_ledger_append(p_event text, p_apr_code text, p_subject text, p_payload jsonb) OWNER TO postgres;

--
-- Name: gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        p_prev_hash, p_seq::text, p_event, coalesce(p_apr_code, ''), coalesce(p_subject, ''),
        p_actor, p_payload::text,
        (extract(epoch FROM p_created_at) * 1000000)::bigint::text), 'UTF8')), 'hex')
$$;


ALTER FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) OWNER TO postgres;

--
-- Name: gov_migration_record(text, text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_migration_record(p_version text, p_name text, p_checksum text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO gov_migrations (version, name, checksum) VALUES (p_version, p_name, p_checksum);
    PERFORM gov_ledger_append('migrate', NULL, p_version,
        jsonb_build_object('name', p_name, 'checksum', p_checksum));
END
$$;


ALTER FUNCTION public.gov_migration_record(p_version text, p_name text, p_checksum text) OWNER TO postgres;

--
-- Name: gov_refuse_change(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'AKF01', MESSAGE = TG_ARGV[0],
        DETAIL = format('%s on %s is refused', TG_OP, TG_TABLE_NAME);
END
$$;


ALTER FUNCTION public.gov_refuse_change() OWNER TO postgres;

--
-- Name: gov_tool_advance(text, text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
    t gov_tools;
    want integer := gov_tool_stage_rank(p_stage);
    have integer;
BEGIN
    IF want IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD20', MESSAGE = 'unknown_stage',
            DETAIL = format('%s is not a stage (birth, admit, register, catalog)', p_stage);
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF21', MESSAGE = 'unknown_apr', DETAIL = format('no APR %s', p_apr_code);
    END IF;
    IF r.action_code <> 'register_tool' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF22', MESSAGE = 'wrong_action',
            DETAIL = format('%s is a %s APR, not register_tool', r.apr_code, r.action_code);
    END IF;
    SELECT * INTO t FROM gov_tools WHERE apr_code = r.apr_code FOR UPDATE;
    have := coalesce(gov_tool_stage_rank(t.stage), 0);
    IF have >= want THEN
        RETURN jsonb_build_object('unchanged', true, 'apr_code', r.apr_code,
            'tool_name', t.tool_name, 'stage', t.stage);
    END IF;
    -- The same refusals as grant-mint's; register_tool acts without a binding.
    PERFORM apr_refuse_if_blocked(r, ARRAY['handler_unbound']);
    IF want <> have + 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF23', MESSAGE = 'stage_out_of_order',
            DETAIL = format('%s is at %s; %s comes later', r.proposed_action ->> 'tool_name',
                            coalesce(t.stage, 'nothing'), p_stage);
    END IF;

    IF p_stage = 'birth' THEN
        INSERT INTO gov_tools (tool_name, apr_code, tool_path, tool_sha256, catalog, stage)
        VALUES (r.proposed_action ->> 'tool_name', r.apr_code, r.proposed_action ->> 'tool_path',
                r.proposed_action ->> 'tool_sha256', r.proposed_action ->> 'catalog', 'birth')
        RETURNING * INTO t;
    ELSIF p_stage = 'admit' THEN
        -- Admission checks the bytes on disk against the approved hash.
        IF t.tool_sha256 IS NOT NULL AND p_observed_sha256 IS DISTINCT FROM t.tool_sha256 THEN
            RAISE EXCEPTION USING ERRCODE = 'AKF24', MESSAGE = 'tool_hash_mismatch',
                DETAIL = format('%s hashes to %s, not the approved %s', t.tool_path,
                                coalesce(p_observed_sha256, 'nothing'), t.tool_sha256);
        END IF;
        UPDATE gov_tools SET stage = 'admit', admitted_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
    ELSIF p_stage = 'register' THEN
        UPDATE gov_tools SET stage = 'register', registered_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
    ELSE
        UPDATE gov_tools SET stage = 'catalog', cataloged_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
        UPDATE apr_requests SET status = 'applied', applied_at = now(),
               result = jsonb_build_object('tool_name', t.tool_name, 'stage', 'catalog')
         WHERE apr_code = r.apr_code;
    END IF;
    PERFORM gov_ledger_append('tool_' || p_stage, r.apr_code, t.tool_name,
        jsonb_build_object('tool_path', t.tool_path, 'tool_sha256', t.tool_sha256, 'catalog', t.catalog));
    RETURN jsonb_build_object('apr_code', r.apr_code, 'tool_name', t.tool_name, 'stage', t.stage,
        'tool_path', t.tool_path, 'catalog', t.catalog);
END
$$;


ALTER FUNCTION public.gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text) OWNER TO postgres;

--
-- Name: gov_tool_stage_rank(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.gov_tool_stage_rank(p_stage text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT array_position(ARRAY['birth', 'admit', 'register', 'catalog'], p_stage) $$;


ALTER FUNCTION public.gov_tool_stage_rank(p_stage text) OWNER TO postgres;

--
-- Name: governance_build_authorization_guard(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.governance_build_authorization_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.governance_build_authorization_guard() OWNER TO postgres;

--
-- Name: governance_build_authorization; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.governance_build_authorization (
    auth_code text NOT NULL,
    request_ref text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    commit_allowed boolean DEFAULT false NOT NULL,
    requires_sovereign_esign boolean DEFAULT false NOT NULL,
    scope jsonb NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_reason text,
    CONSTRAINT governance_build_authorization_check CHECK ((auth_code = ('GBA-C1-'::text || request_ref))),
    CONSTRAINT governance_build_authorization_check1 CHECK ((expires_at > granted_at)),
    CONSTRAINT governance_build_authorization_check2 CHECK (((status = 'revoked'::text) = (revoked_at IS NOT NULL))),
    CONSTRAINT governance_build_authorization_scope_check CHECK ((jsonb_typeof(scope) = 'object'::text)),
    CONSTRAINT governance_build_authorization_status_check CHECK ((status = ANY (ARRAY['active'::text, 'revoked'::text, 'expired'::text])))
);


ALTER TABLE public.governance_build_authorization OWNER TO postgres;

--
-- Name: governance_build_authorization_json(public.governance_build_authorization); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.governance_build_authorization_json(g public.governance_build_authorization) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT jsonb_build_object(
        'auth_code', g.auth_code, 'request_ref', g.request_ref, 'status', g.status,
        'commit_allowed', g.commit_allowed, 'requires_sovereign_esign', g.requires_sovereign_esign,
        'scope', g.scope, 'granted_at', g.granted_at, 'expires_at', g.expires_at,
        'revoked_at', g.revoked_at, 'revoked_reason', g.revoked_reason)
$$;


ALTER FUNCTION public.governance_build_authorization_json(g public.governance_build_authorization) OWNER TO postgres;

--
-- Name: grant_apr(text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.grant_apr(p_apr_code text, p_lock boolean) RETURNS public.apr_requests
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.grant_apr(p_apr_code text, p_lock boolean) OWNER TO postgres;

--
-- Name: grant_expire_due(boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.grant_expire_due(p_dry_run boolean DEFAULT false) RETURNS SETOF jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.grant_expire_due(p_dry_run boolean) OWNER TO postgres;

--
-- Name: grant_mint(text, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.grant_mint(p_apr_code text, p_payload_sha256 text DEFAULT NULL::text, p_dry_run boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.grant_mint(p_apr_code text, p_payload_sha256 text, p_dry_run boolean) OWNER TO postgres;

--
-- Name: grant_revoke(text, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
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


ALTER FUNCTION public.grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean) OWNER TO postgres;

--
-- Name: patch_apr(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_apr(p_apr_code text) RETURNS public.apr_requests
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
BEGIN
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF11', MESSAGE = 'unknown_apr', DETAIL = format('no APR %s', p_apr_code);
    END IF;
    IF r.action_code <> 'patch_ops_code' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF44', MESSAGE = 'wrong_action',
            DETAIL = format('%s is a %s APR, not patch_ops_code', r.apr_code, r.action_code);
    END IF;
    RETURN r;
END
$$;


ALTER FUNCTION public.patch_apr(p_apr_code text) OWNER TO postgres;

--
-- Name: patch_eligible_apr(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_eligible_apr(p_apr_code text) RETURNS public.apr_requests
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_apr(p_apr_code);
    IF r.status = 'applied' THEN
        RETURN r;
    END IF;
    -- The same refusals as grant-mint's; patch-apply acts on an approved
    -- APR without a binding (the runbook patches before it binds).
    PERFORM apr_refuse_if_blocked(r, ARRAY['handler_unbound', 'privileged_session']);
    RETURN r;
END
$$;


ALTER FUNCTION public.patch_eligible_apr(p_apr_code text) OWNER TO postgres;

--
-- Name: vps_deploy_log; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.vps_deploy_log (
    id bigint NOT NULL,
    apr_code text NOT NULL,
    host text NOT NULL,
    file_path text NOT NULL,
    sha256_before text,
    sha256_after text,
    backup_path text,
    status text NOT NULL,
    is_known_good boolean DEFAULT false NOT NULL,
    deployed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT vps_deploy_log_sha256_after_check CHECK ((sha256_after ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT vps_deploy_log_sha256_before_check CHECK ((sha256_before ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT vps_deploy_log_status_check CHECK ((status = ANY (ARRAY['success'::text, 'failed'::text, 'rolled_back'::text])))
);


ALTER TABLE public.vps_deploy_log OWNER TO postgres;

--
-- Name: patch_log(text, text, text, text, text, text, text, text, boolean, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_log(p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) RETURNS public.vps_deploy_log
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    d vps_deploy_log;
BEGIN
    IF p_host IS NULL OR btrim(p_host) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD42', MESSAGE = 'empty_host', DETAIL = 'the deploy log names its host';
    END IF;
    INSERT INTO vps_deploy_log (apr_code, host, file_path, sha256_before, sha256_after, backup_path,
                                status, is_known_good)
    VALUES (p_apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after, p_backup_path,
            p_status, coalesce(p_known_good, false))
    RETURNING * INTO d;
    PERFORM gov_ledger_append(p_event, p_apr_code, p_file_path,
        jsonb_build_object('deploy_id', d.id, 'status', d.status, 'host', d.host,
                           'sha256_before', d.sha256_before, 'sha256_after', d.sha256_after,
                           'backup_path', d.backup_path, 'is_known_good', d.is_known_good)
        || coalesce(p_detail, '{}'::jsonb));
    RETURN d;
END
$$;


ALTER FUNCTION public.patch_log(p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) OWNER TO postgres;

--
-- Name: patch_plan(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_plan(p_apr_code text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_eligible_apr(p_apr_code);
    RETURN patch_plan_json(r, patch_target_for(r.proposed_action ->> 'file_path'));
END
$$;


ALTER FUNCTION public.patch_plan(p_apr_code text) OWNER TO postgres;

--
-- Name: patch_targets; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.patch_targets (
    root text NOT NULL,
    syntax_check text NOT NULL,
    post_check text DEFAULT 'syntax'::text NOT NULL,
    max_bytes integer DEFAULT 1048576 NOT NULL,
    note text,
    CONSTRAINT patch_targets_max_bytes_check CHECK (((max_bytes >= 1) AND (max_bytes <= 1048576))),
    CONSTRAINT patch_targets_post_check_check CHECK ((post_check = ANY (ARRAY['syntax'::text, 'self-check'::text]))),
    CONSTRAINT patch_targets_root_check CHECK (((root ~ '^(/[^/[:cntrl:]]+)+$'::text) AND (root !~ '/\.\.?(/|$)'::text))),
    CONSTRAINT patch_targets_syntax_check_check CHECK ((syntax_check = ANY (ARRAY['bash -n'::text, 'sh -n'::text])))
);


ALTER TABLE public.patch_targets OWNER TO postgres;

--
-- Name: patch_plan_json(public.apr_requests, public.patch_targets); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_plan_json(r public.apr_requests, t public.patch_targets) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT jsonb_build_object(
        'apr_code', r.apr_code, 'status', r.status,
        'file_path', r.proposed_action ->> 'file_path',
        'new_content_base64', r.proposed_action ->> 'new_content_base64',
        'new_content_sha256', r.proposed_action ->> 'new_content_sha256',
        'expected_sha256_before', r.proposed_action ->> 'expected_sha256_before',
        'target', to_jsonb(t),
        'deploys', coalesce((SELECT jsonb_agg(to_jsonb(d) ORDER BY d.id DESC)
                               FROM vps_deploy_log d WHERE d.apr_code = r.apr_code), '[]'::jsonb))
$$;


ALTER FUNCTION public.patch_plan_json(r public.apr_requests, t public.patch_targets) OWNER TO postgres;

--
-- Name: patch_record(text, text, text, text, text, text, text, boolean, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb DEFAULT '{}'::jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
    d vps_deploy_log;
BEGIN
    PERFORM 1 FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    r := patch_eligible_apr(p_apr_code);
    IF r.status = 'applied' THEN
        RETURN patch_recorded(r.apr_code, 'success');  -- recorded already: write nothing
    END IF;
    IF p_file_path IS DISTINCT FROM r.proposed_action ->> 'file_path' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF48', MESSAGE = 'file_path_mismatch',
            DETAIL = format('%s patches %s, not %s', r.apr_code, r.proposed_action ->> 'file_path', p_file_path);
    END IF;
    PERFORM patch_target_for(p_file_path);
    IF p_status IS NULL OR p_status NOT IN ('success', 'failed') THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD40', MESSAGE = 'bad_deploy_status',
            DETAIL = 'an apply records success or failed';
    END IF;
    IF p_status = 'success' AND p_sha256_after IS DISTINCT FROM r.proposed_action ->> 'new_content_sha256' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF03', MESSAGE = 'content_hash_mismatch',
            DETAIL = format('the file now hashes to %s, not to the approved %s',
                            p_sha256_after, r.proposed_action ->> 'new_content_sha256');
    END IF;
    IF p_known_good AND p_status <> 'success' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKD41', MESSAGE = 'bad_known_good',
            DETAIL = 'only a successful deploy is known-good';
    END IF;

    d := patch_log('patch', r.apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after,
                   p_backup_path, p_status, p_known_good, p_detail);
    UPDATE apr_requests
       SET status = CASE p_status WHEN 'success' THEN 'applied' ELSE 'failed' END,
           applied_at = CASE p_status WHEN 'success' THEN now() END,
           result = jsonb_build_object('deploy_id', d.id, 'deploy_status', d.status,
                                       'sha256_after', d.sha256_after) || coalesce(p_detail, '{}'::jsonb)
     WHERE apr_code = r.apr_code;
    RETURN to_jsonb(d);
END
$$;


ALTER FUNCTION public.patch_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) OWNER TO postgres;

--
-- Name: patch_recorded(text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_recorded(p_apr_code text, p_status text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $$
    SELECT to_jsonb(d) || jsonb_build_object('unchanged', true) FROM vps_deploy_log d
     WHERE d.apr_code = p_apr_code AND d.status = p_status ORDER BY d.id DESC LIMIT 1
$$;


ALTER FUNCTION public.patch_recorded(p_apr_code text, p_status text) OWNER TO postgres;

--
-- Name: patch_restore_plan(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_restore_plan(p_apr_code text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_apr(p_apr_code);
    IF r.status NOT IN ('applied', 'revoked', 'failed') THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF47', MESSAGE = 'not_applied',
            DETAIL = format('%s is %s: it was never applied, so there is nothing to restore', r.apr_code, r.status);
    END IF;
    RETURN patch_plan_json(r, patch_target_for(r.proposed_action ->> 'file_path'));
END
$$;


ALTER FUNCTION public.patch_restore_plan(p_apr_code text) OWNER TO postgres;

--
-- Name: patch_restore_record(text, text, text, text, text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_restore_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    r apr_requests;
    s vps_deploy_log;
    d vps_deploy_log;
BEGIN
    PERFORM 1 FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    r := patch_apr(p_apr_code);
    IF r.status = 'revoked' THEN
        RETURN patch_recorded(r.apr_code, 'rolled_back');  -- restored already: write nothing
    END IF;
    IF r.status <> 'applied' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF47', MESSAGE = 'not_applied',
            DETAIL = format('%s is %s: there is no applied patch to restore', r.apr_code, r.status);
    END IF;
    SELECT * INTO s FROM vps_deploy_log
     WHERE apr_code = r.apr_code AND status = 'success' ORDER BY id DESC LIMIT 1;
    IF p_file_path IS DISTINCT FROM s.file_path THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF48', MESSAGE = 'file_path_mismatch',
            DETAIL = format('%s patched %s, not %s', r.apr_code, s.file_path, p_file_path);
    END IF;
    IF p_sha256_before IS DISTINCT FROM s.sha256_after OR p_sha256_after IS DISTINCT FROM s.sha256_before THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF49', MESSAGE = 'restore_hash_mismatch',
            DETAIL = format('a restore of %s turns %s back into %s', r.apr_code, s.sha256_after,
                            coalesce(s.sha256_before, 'no file'));
    END IF;

    d := patch_log('restore', r.apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after,
                   p_backup_path, 'rolled_back', false, '{}');
    UPDATE apr_requests
       SET status = 'revoked',
           result = coalesce(r.result, '{}'::jsonb) || jsonb_build_object('restore_deploy_id', d.id)
     WHERE apr_code = r.apr_code;
    RETURN to_jsonb(d);
END
$$;


ALTER FUNCTION public.patch_restore_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text) OWNER TO postgres;

--
-- Name: patch_target_for(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_target_for(p_path text) RETURNS public.patch_targets
    LANGUAGE plpgsql STABLE
    SET search_path TO 'public', 'pg_temp'
    AS $_$
DECLARE
    t patch_targets;
BEGIN
    IF p_path ~ '/\.\.(/|$)' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF40', MESSAGE = 'path_traversal',
            DETAIL = format('%s climbs with ".."', p_path);
    END IF;
    IF p_path IS NULL OR p_path !~ '^/' OR p_path ~ '//' OR p_path ~ '/$' OR p_path ~ '/\.(/|$)'
       OR p_path ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF41', MESSAGE = 'path_not_canonical',
            DETAIL = format('%s is not a canonical absolute file path', p_path);
    END IF;
    IF p_path ~ '/[^/]*\.aprkit-(lock|tmp|backup)[^/]*$' THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF42', MESSAGE = 'reserved_name',
            DETAIL = format('%s is one of patch-apply''s own lock, temp or backup files', p_path);
    END IF;
    SELECT * INTO t FROM patch_targets WHERE starts_with(p_path, root || '/')
     ORDER BY length(root) DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'AKF43', MESSAGE = 'unregistered_target',
            DETAIL = format('%s is not below a registered patch target root', p_path);
    END IF;
    RETURN t;
END
$_$;


ALTER FUNCTION public.patch_target_for(p_path text) OWNER TO postgres;

--
-- Name: patch_target_set(text, text, text, integer, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.patch_target_set(p_root text, p_syntax_check text, p_post_check text DEFAULT 'syntax'::text, p_max_bytes integer DEFAULT 1048576, p_note text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
    t patch_targets;
BEGIN
    INSERT INTO patch_targets (root, syntax_check, post_check, max_bytes, note)
    VALUES (p_root, p_syntax_check, p_post_check, p_max_bytes, p_note)
    ON CONFLICT (root) DO UPDATE SET syntax_check = EXCLUDED.syntax_check,
        post_check = EXCLUDED.post_check, max_bytes = EXCLUDED.max_bytes, note = EXCLUDED.note
    RETURNING * INTO t;
    PERFORM gov_ledger_append('patch_target', NULL, p_root, to_jsonb(t));
    RETURN to_jsonb(t);
END
$$;


ALTER FUNCTION public.patch_target_set(p_root text, p_syntax_check text, p_post_check text, p_max_bytes integer, p_note text) OWNER TO postgres;

--
-- Name: quorum_passed(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.quorum_passed(apr_code text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$ SELECT coalesce((apr_quorum_state(apr_code) ->> 'quorum_passed')::boolean, false) $$;


ALTER FUNCTION public.quorum_passed(apr_code text) OWNER TO postgres;

--
-- Name: apr_action_fields; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_action_fields (
    action_code text NOT NULL,
    field text NOT NULL,
    json_type text NOT NULL,
    required boolean NOT NULL,
    pattern text,
    max_length integer,
    CONSTRAINT apr_action_fields_json_type_check CHECK ((json_type = ANY (ARRAY['string'::text, 'integer'::text, 'boolean'::text, 'object'::text]))),
    CONSTRAINT apr_action_fields_max_length_check CHECK ((max_length > 0))
);


ALTER TABLE public.apr_action_fields OWNER TO postgres;

--
-- Name: apr_approvers; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_approvers (
    approver text NOT NULL,
    role text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT apr_approvers_role_check CHECK ((role ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);


ALTER TABLE public.apr_approvers OWNER TO postgres;

--
-- Name: apr_code_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE public.apr_code_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.apr_code_seq OWNER TO postgres;

--
-- Name: apr_quorum_policies; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_quorum_policies (
    risk_level text NOT NULL,
    factor text NOT NULL,
    role text,
    min_count integer NOT NULL,
    CONSTRAINT apr_quorum_policies_factor_check CHECK ((factor ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT apr_quorum_policies_min_count_check CHECK ((min_count >= 1)),
    CONSTRAINT apr_quorum_policies_risk_level_check CHECK ((risk_level = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text])))
);


ALTER TABLE public.apr_quorum_policies OWNER TO postgres;

--
-- Name: apr_votes; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.apr_votes (
    apr_code text NOT NULL,
    approver text NOT NULL,
    decision text NOT NULL,
    payload_sha256 text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT apr_votes_decision_check CHECK ((decision = ANY (ARRAY['approve'::text, 'reject'::text]))),
    CONSTRAINT apr_votes_payload_sha256_check CHECK ((payload_sha256 ~ '^[0-9a-f]{64}$'::text))
);


ALTER TABLE public.apr_votes OWNER TO postgres;

--
-- Name: gov_ledger; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.gov_ledger (
    seq bigint NOT NULL,
    event text NOT NULL,
    apr_code text,
    subject text,
    actor text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    CONSTRAINT gov_ledger_event_check CHECK ((event ~ '^[a-z_]{1,32}$'::text)),
    CONSTRAINT gov_ledger_hash_check CHECK ((hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT gov_ledger_prev_hash_check CHECK ((prev_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT gov_ledger_seq_check CHECK ((seq >= 1))
);


ALTER TABLE public.gov_ledger OWNER TO postgres;

--
-- Name: gov_ledger_head; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.gov_ledger_head (
    singleton boolean DEFAULT true NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    CONSTRAINT gov_ledger_head_singleton_check CHECK (singleton)
);


ALTER TABLE public.gov_ledger_head OWNER TO postgres;

--
-- Name: gov_migrations; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.gov_migrations (
    version text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_by text DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT gov_migrations_checksum_check CHECK ((checksum ~ '^[0-9a-f]{64}$'::text))
);


ALTER TABLE public.gov_migrations OWNER TO postgres;

--
-- Name: gov_tools; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.gov_tools (
    tool_name text NOT NULL,
    apr_code text NOT NULL,
    tool_path text NOT NULL,
    tool_sha256 text,
    catalog text,
    stage text NOT NULL,
    born_at timestamp with time zone DEFAULT now() NOT NULL,
    admitted_at timestamp with time zone,
    registered_at timestamp with time zone,
    cataloged_at timestamp with time zone,
    CONSTRAINT gov_tools_stage_check CHECK ((stage = ANY (ARRAY['birth'::text, 'admit'::text, 'register'::text, 'catalog'::text]))),
    CONSTRAINT gov_tools_tool_name_check CHECK ((tool_name ~ '^[a-z][a-z0-9-]{0,63}$'::text)),
    CONSTRAINT gov_tools_tool_path_check CHECK ((tool_path ~ '^/'::text)),
    CONSTRAINT gov_tools_tool_sha256_check CHECK ((tool_sha256 ~ '^[0-9a-f]{64}$'::text))
);


ALTER TABLE public.gov_tools OWNER TO postgres;

--
-- Name: vps_deploy_log_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

ALTER TABLE public.vps_deploy_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.vps_deploy_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Data for Name: apr_action_fields; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_action_fields (action_code, field, json_type, required, pattern, max_length) FROM stdin;
patch_ops_code	dot_code	string	t	^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$	64
patch_ops_code	file_path	string	t	^/	4096
patch_ops_code	patch_mode	string	t	^full_replace$	32
patch_ops_code	new_content_base64	string	t	^[A-Za-z0-9+/]*={0,2}$	1398104
patch_ops_code	new_content_sha256	string	f	^[0-9a-f]{64}$	64
patch_ops_code	expected_sha256_before	string	f	^[0-9a-f]{64}$	64
patch_ops_code	session_code	string	t	^\\S	128
patch_ops_code	test_plan	string	t	^\\S	4096
authorize_build_step	target	string	t	^[A-Z][A-Z0-9_]{0,63}$	64
authorize_build_step	manifest_hash	string	t	^[0-9a-f]{64}$	64
authorize_build_step	ttl_seconds	integer	t	\N	\N
register_tool	tool_name	string	t	^[a-z][a-z0-9-]{0,63}$	64
register_tool	tool_path	string	t	^/	4096
register_tool	tool_sha256	string	f	^[0-9a-f]{64}$	64
register_tool	catalog	string	f	^[A-Z][A-Z0-9-]{0,31}$	32
\.


--
-- Data for Name: apr_action_types; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_action_types (action_code, request_type, risk_level, handler_ref, reason_pattern, apr_ttl_seconds, max_ttl_seconds) FROM stdin;
patch_ops_code	fix_repair_dot	high	\N	\N	604800	\N
authorize_build_step	authorize_build_step	high	apr-execute:authorize_build_step	\N	604800	604800
register_tool	register_tool	medium	\N	\N	604800	\N
\.


--
-- Data for Name: apr_approvers; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_approvers (approver, role, active) FROM stdin;
owner1	owner	t
owner2	owner	t
\.


--
-- Data for Name: apr_dispatches; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_dispatches (apr_code, handler_ref, arm, dispatched_by, dispatched_at, settled_at, outcome, exit_status, result) FROM stdin;
APR-000003	apr-execute:authorize_build_step	authorize_build_step	executor	2026-12-02 09:18:23.866559+00	2026-12-02 09:18:23.88839+00	applied	0	{"auth_code": "GBA-C1-APR-000003"}
APR-000005	apr-execute:authorize_build_step	authorize_build_step	executor	2026-12-02 09:18:26.8989+00	2026-12-02 09:18:26.923555+00	applied	0	{"auth_code": "GBA-C1-APR-000005"}
\.


--
-- Data for Name: apr_quorum_policies; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_quorum_policies (risk_level, factor, role, min_count) FROM stdin;
low	approvers	\N	1
medium	approvers	\N	1
high	approvers	\N	2
high	owners	owner	1
\.


--
-- Data for Name: apr_requests; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_requests (apr_code, request_type, action_code, proposed_action, payload_sha256, session_code, reason, proposed_by, status, created_at, expires_at, applied_at, result) FROM stdin;
APR-000002	register_tool	register_tool	{"catalog": "CAT-006", "tool_name": "grant-mint", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint", "tool_sha256": "6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e"}	3d7b7071793a33827a59d32d6d3b6af12d970d6cbf079757e17e8c81823c9491	S-C1-ABS-001	owner runbook: authorize_build_step: register the grant issuer	proposer	applied	2026-12-02 09:18:23.238928+00	2026-12-09 09:18:23.238928+00	2026-12-02 09:18:23.503015+00	{"stage": "catalog", "tool_name": "grant-mint"}
APR-000003	authorize_build_step	authorize_build_step	{"target": "DOT_C1_VOCAB_BUILD", "ttl_seconds": 3600, "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	S-C1-ABS-001	owner runbook: authorize_build_step	proposer	revoked	2026-12-02 09:18:23.622422+00	2026-12-09 09:18:23.622422+00	2026-12-02 09:18:23.88839+00	{"grant": {"scope": {"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}, "status": "active", "auth_code": "GBA-C1-APR-000003", "expires_at": "2026-12-02T10:18:23.88839+00:00", "granted_at": "2026-12-02T09:18:23.88839+00:00", "revoked_at": null, "request_ref": "APR-000003", "commit_allowed": false, "revoked_reason": null, "requires_sovereign_esign": false}}
APR-000001	fix_repair_dot	patch_ops_code	{"dot_code": "DOT-310", "file_path": "/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step", "test_plan": "bash -n passes; dispatch arm present; self-check passes", "patch_mode": "full_replace", "session_code": "S-C1-ABS-001", "new_content_base64": "IyEvdXNyL2Jpbi9lbnYgYmFzaAojIGF1dGhvcml6ZV9idWlsZF9zdGVwOiB0aGUgYXByLWV4ZWN1dGUgYXJtIHRoYXQgbWludHMgdGhlIHRpbWUtYm91bmQgYnVpbGQKIyBhdXRob3JpemF0aW9uIG9mIHRoZSBhcHByb3ZlZCBBUFIgaXQgaXMgZ2l2ZW4gYXMgSlNPTiBvbiBzdGRpbi4gSXQKIyBjb21wb3NlcyB0aGUgdG9vbHM6IGdyYW50LW1pbnQgY2hlY2tzIHRoZSBBUFIsIHRoZSBxdW9ydW0gKGFnYWluLCBub3cpCiMgYW5kIHRoZSBiaW5kaW5nLCBhbmQgbWludHMgZXhhY3RseSBvbmNlOyBhIHJlLXJ1biByZXBvcnRzICJ1bmNoYW5nZWQiLgojCiMgICBhdXRob3JpemVfYnVpbGRfc3RlcCAtLXNlbGYtY2hlY2sgICBleGl0IDAgd2hlbiB0aGUgYXJtIGNhbiBydW4gaGVyZQpzZXQgLWV1byBwaXBlZmFpbApleHBvcnQgTENfQUxMPUMKCmlmIFtbICR7MTotfSA9PSAtLXNlbGYtY2hlY2sgXV07IHRoZW4KICAgIGNvbW1hbmQgLXYgZ3JhbnQtbWludCA+L2Rldi9udWxsIHx8IHsgZWNobyAiYXV0aG9yaXplX2J1aWxkX3N0ZXA6IGdyYW50LW1pbnQgaXMgbm90IG9uIFBBVEgiID4mMjsgZXhpdCAxOyB9CiAgICBleGl0IDAKZmkKZXhlYyBncmFudC1taW50Cg==", "new_content_sha256": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5"}	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	S-C1-ABS-001	owner runbook: authorize_build_step: install the authorize_build_step handler	proposer	revoked	2026-12-02 09:18:20.411806+00	2026-12-09 09:18:20.411806+00	2026-12-02 09:18:20.574268+00	{"deploy_id": 1, "sha256_after": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5", "deploy_status": "success", "restore_deploy_id": 2}
APR-000004	fix_repair_dot	patch_ops_code	{"dot_code": "DOT-310", "file_path": "/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step", "test_plan": "bash -n passes; dispatch arm present; self-check passes", "patch_mode": "full_replace", "session_code": "S-C1-ABS-001", "new_content_base64": "IyEvdXNyL2Jpbi9lbnYgYmFzaAojIGF1dGhvcml6ZV9idWlsZF9zdGVwOiB0aGUgYXByLWV4ZWN1dGUgYXJtIHRoYXQgbWludHMgdGhlIHRpbWUtYm91bmQgYnVpbGQKIyBhdXRob3JpemF0aW9uIG9mIHRoZSBhcHByb3ZlZCBBUFIgaXQgaXMgZ2l2ZW4gYXMgSlNPTiBvbiBzdGRpbi4gSXQKIyBjb21wb3NlcyB0aGUgdG9vbHM6IGdyYW50LW1pbnQgY2hlY2tzIHRoZSBBUFIsIHRoZSBxdW9ydW0gKGFnYWluLCBub3cpCiMgYW5kIHRoZSBiaW5kaW5nLCBhbmQgbWludHMgZXhhY3RseSBvbmNlOyBhIHJlLXJ1biByZXBvcnRzICJ1bmNoYW5nZWQiLgojCiMgICBhdXRob3JpemVfYnVpbGRfc3RlcCAtLXNlbGYtY2hlY2sgICBleGl0IDAgd2hlbiB0aGUgYXJtIGNhbiBydW4gaGVyZQpzZXQgLWV1byBwaXBlZmFpbApleHBvcnQgTENfQUxMPUMKCmlmIFtbICR7MTotfSA9PSAtLXNlbGYtY2hlY2sgXV07IHRoZW4KICAgIGNvbW1hbmQgLXYgZ3JhbnQtbWludCA+L2Rldi9udWxsIHx8IHsgZWNobyAiYXV0aG9yaXplX2J1aWxkX3N0ZXA6IGdyYW50LW1pbnQgaXMgbm90IG9uIFBBVEgiID4mMjsgZXhpdCAxOyB9CiAgICBleGl0IDAKZmkKZXhlYyBncmFudC1taW50Cg==", "new_content_sha256": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5"}	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	S-C1-ABS-001	owner runbook: authorize_build_step: install the authorize_build_step handler	proposer	applied	2026-12-02 09:18:24.355083+00	2026-12-09 09:18:24.355083+00	2026-12-02 09:18:24.516154+00	{"deploy_id": 3, "sha256_after": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5", "deploy_status": "success"}
APR-000005	authorize_build_step	authorize_build_step	{"target": "DOT_C1_VOCAB_BUILD", "ttl_seconds": 3600, "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	S-C1-ABS-001	owner runbook: authorize_build_step	proposer	applied	2026-12-02 09:18:26.621954+00	2026-12-09 09:18:26.621954+00	2026-12-02 09:18:26.923555+00	{"grant": {"scope": {"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}, "status": "active", "auth_code": "GBA-C1-APR-000005", "expires_at": "2026-12-02T10:18:26.923555+00:00", "granted_at": "2026-12-02T09:18:26.923555+00:00", "revoked_at": null, "request_ref": "APR-000005", "commit_allowed": false, "revoked_reason": null, "requires_sovereign_esign": false}}
APR-000006	authorize_build_step	authorize_build_step	{"target": "DOT_C1_PROPOSED_BUILD", "ttl_seconds": 3600, "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	c331e78fe3a192b92d847a7d6367c350d3052a35176bd32c2ee93333c133e969	S-C1-ABS-001	release-1 fixture: left proposed, no votes	proposer	proposed	2026-12-02 09:18:27.13419+00	2026-12-09 09:18:27.13419+00	\N	\N
APR-000007	authorize_build_step	authorize_build_step	{"target": "DOT_C1_APPROVED_BUILD", "ttl_seconds": 3600, "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282	S-C1-ABS-001	release-1 fixture: approved, never executed	proposer	approved	2026-12-02 09:18:27.17472+00	2026-12-09 09:18:27.17472+00	\N	\N
APR-000008	authorize_build_step	authorize_build_step	{"target": "DOT_C1_REJECTED_BUILD", "ttl_seconds": 3600, "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	6df45f1f341d3693e9ff3881e766aa318ff21e039f0c461c0dd6311dd3929f00	S-C1-ABS-001	release-1 fixture: rejected by owner1	proposer	rejected	2026-12-02 09:18:27.290695+00	2026-12-09 09:18:27.290695+00	\N	\N
APR-000009	fix_repair_dot	patch_ops_code	{"dot_code": "DOT-310", "file_path": "/tmp/aprkit-release-1.0LWcyD/state/handlers/release-1-broken", "test_plan": "bash -n fails: the apply must fail", "patch_mode": "full_replace", "session_code": "S-C1-ABS-001", "new_content_base64": "IyEvdXNyL2Jpbi9lbnYgYmFzaAppZiB0aGVuCg==", "new_content_sha256": "4502c87a8781c088b6669661fa96159c61d59b60a60241e4e16157a67004614d"}	5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c	S-C1-ABS-001	release-1 fixture: a patch that fails its syntax check	proposer	failed	2026-12-02 09:18:27.377874+00	2026-12-09 09:18:27.377874+00	\N	{"reason": "syntax_check_failed", "deploy_id": 4, "check_output": "/tmp/aprkit-release-1.0LWcyD/state/handlers/.release-1-broken.aprkit-tmp.13592.2605224868: line 2: syntax error near unexpected token `then'", "sha256_after": null, "deploy_status": "failed"}
APR-000010	register_tool	register_tool	{"catalog": "CAT-006", "tool_name": "readback", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/readback", "tool_sha256": "cfac28a0e5b6d4a7fdfdf79d6bdcde86b90b346fa2d61f9a0678bc2c74dc37d3"}	6550f9fc86327a33da2aa52b53d4db5e104b885a9de8c3762d9bedc202f0af5e	S-C1-ABS-001	release-1 fixture: left to expire	proposer	proposed	2026-12-02 09:18:27.604674+00	2026-12-02 09:18:28.604674+00	\N	\N
\.


--
-- Data for Name: apr_votes; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.apr_votes (apr_code, approver, decision, payload_sha256, created_at) FROM stdin;
APR-000001	owner1	approve	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	2026-12-02 09:18:20.470882+00
APR-000001	owner2	approve	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	2026-12-02 09:18:20.51571+00
APR-000002	owner1	approve	3d7b7071793a33827a59d32d6d3b6af12d970d6cbf079757e17e8c81823c9491	2026-12-02 09:18:23.299607+00
APR-000003	owner1	approve	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	2026-12-02 09:18:23.757479+00
APR-000003	owner2	approve	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	2026-12-02 09:18:23.803395+00
APR-000004	owner1	approve	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	2026-12-02 09:18:24.404879+00
APR-000004	owner2	approve	6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029	2026-12-02 09:18:24.454815+00
APR-000005	owner1	approve	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	2026-12-02 09:18:26.781764+00
APR-000005	owner2	approve	77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846	2026-12-02 09:18:26.832273+00
APR-000007	owner1	approve	50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282	2026-12-02 09:18:27.205276+00
APR-000007	owner2	approve	50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282	2026-12-02 09:18:27.242608+00
APR-000008	owner1	reject	6df45f1f341d3693e9ff3881e766aa318ff21e039f0c461c0dd6311dd3929f00	2026-12-02 09:18:27.33185+00
APR-000009	owner1	approve	5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c	2026-12-02 09:18:27.404716+00
APR-000009	owner2	approve	5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c	2026-12-02 09:18:27.442726+00
\.


--
-- Data for Name: gov_ledger; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.gov_ledger (seq, event, apr_code, subject, actor, payload, created_at, prev_hash, hash) FROM stdin;
1	migrate	\N	001	postgres	{"name": "core", "checksum": "6e84522656cf6ce2ee176efeb8573d3c2a2ceba0218e468644ab7702eade286b"}	2026-12-02 09:18:20.230649+00	0000000000000000000000000000000000000000000000000000000000000000	4f13e522706bb65db59ef1c43f3e139f8a442bd48e58b061be047b76e08a54af
2	migrate	\N	002	postgres	{"name": "grants", "checksum": "f6b8cd2b0c3bdf0c4ec2058b0cd9ab2e0e206d7d4256a9d3a0cf182f4b1a2515"}	2026-12-02 09:18:20.281044+00	4f13e522706bb65db59ef1c43f3e139f8a442bd48e58b061be047b76e08a54af	50b8b7bad6f7bc9984d3564797a4ac7d9af2060dcce38688470c38f4c70f69e7
3	migrate	\N	003	postgres	{"name": "patch", "checksum": "66671e03aba141459d054113da9a80b785b8722008ab4aef155c2f252e81c672"}	2026-12-02 09:18:20.301698+00	50b8b7bad6f7bc9984d3564797a4ac7d9af2060dcce38688470c38f4c70f69e7	884c1e05ee4d685f0816a2e792dc13da27a14733f0d4c3b9eefee570e0de2af7
4	migrate	\N	004	postgres	{"name": "tools", "checksum": "6e34d47c10bd227802b6b176e9ecb3c0a081b6d1bcf6dbe7ec856f84844f02f6"}	2026-12-02 09:18:20.31553+00	884c1e05ee4d685f0816a2e792dc13da27a14733f0d4c3b9eefee570e0de2af7	06d073023492198d646725b2d3738299d8db8e9aa5aebc1f1510dfc4b2b5431f
5	approver	\N	owner1	postgres	{"role": "owner", "active": true}	2026-12-02 09:18:20.346906+00	06d073023492198d646725b2d3738299d8db8e9aa5aebc1f1510dfc4b2b5431f	6ab98517da7efa14ca71c147e605b4067d2988975b48a213f12828e0e47c76cb
6	approver	\N	owner2	postgres	{"role": "owner", "active": true}	2026-12-02 09:18:20.346906+00	6ab98517da7efa14ca71c147e605b4067d2988975b48a213f12828e0e47c76cb	13b377beced35756460d3b5f0003b7522f541da202670fbb00e1103c6535d371
7	patch_target	\N	/tmp/aprkit-release-1.0LWcyD/state/handlers	postgres	{"note": "apr-execute handlers", "root": "/tmp/aprkit-release-1.0LWcyD/state/handlers", "max_bytes": 1048576, "post_check": "self-check", "syntax_check": "bash -n"}	2026-12-02 09:18:20.35372+00	13b377beced35756460d3b5f0003b7522f541da202670fbb00e1103c6535d371	8f45a741ef5f6369104f1a1d3f03fcd38cae7b1289c22b6ad9a1353a9acb5a58
8	propose	APR-000001	patch_ops_code	proposer	{"proposed_by": "proposer", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:20.411806+00	8f45a741ef5f6369104f1a1d3f03fcd38cae7b1289c22b6ad9a1353a9acb5a58	2c678127db89492b5f41bb80e2cb736de466e303b7b7c47134c164ff33290205
9	vote	APR-000001	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:20.470882+00	2c678127db89492b5f41bb80e2cb736de466e303b7b7c47134c164ff33290205	c3b782276cea7ae1c949d662e27912e8a10e713ec6d351866c046e41d46447f0
10	vote	APR-000001	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:20.51571+00	c3b782276cea7ae1c949d662e27912e8a10e713ec6d351866c046e41d46447f0	30f2551529eb3126a4bc7ec2b3dcca77a21c8069786dc656e17af87c0ea186d1
11	patch	APR-000001	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	executor	{"host": "vm", "status": "success", "deploy_id": 1, "backup_path": null, "sha256_after": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5", "is_known_good": true, "sha256_before": null}	2026-12-02 09:18:20.574268+00	30f2551529eb3126a4bc7ec2b3dcca77a21c8069786dc656e17af87c0ea186d1	4fa0ea402c323b072cc60eb4afa60e18fac24cc12bfe2213a3958ec48ed48c9b
12	bind	\N	authorize_build_step	postgres	{"previous": null, "handler_ref": "apr-execute:authorize_build_step"}	2026-12-02 09:18:23.122378+00	4fa0ea402c323b072cc60eb4afa60e18fac24cc12bfe2213a3958ec48ed48c9b	3cc318665bb49b7d39d195dd7b55f93f5a6a268b1f103efa63b19282639060d2
13	migrate	\N	20261202T091823120254-bind-authorize_build_step	postgres	{"name": "20261202T091823120254-bind-authorize_build_step.staged.sql", "checksum": "e556fd4527f5d016129cfeb2ce4a18cd0e1ba8c88b2bbf1cf5ff5ae132d70426"}	2026-12-02 09:18:23.122378+00	3cc318665bb49b7d39d195dd7b55f93f5a6a268b1f103efa63b19282639060d2	b78e6af98a0afbad6858663b8297486083047f2e1d136fecd25bd280eefcba2f
14	propose	APR-000002	register_tool	proposer	{"proposed_by": "proposer", "payload_sha256": "3d7b7071793a33827a59d32d6d3b6af12d970d6cbf079757e17e8c81823c9491"}	2026-12-02 09:18:23.238928+00	b78e6af98a0afbad6858663b8297486083047f2e1d136fecd25bd280eefcba2f	57c4dcaf9a109d5f6eba6a9afdda266c4c80e1e4b2a7cebeb587759764016f1d
15	vote	APR-000002	owner1	owner1	{"status": "approved", "decision": "approve", "payload_sha256": "3d7b7071793a33827a59d32d6d3b6af12d970d6cbf079757e17e8c81823c9491"}	2026-12-02 09:18:23.299607+00	57c4dcaf9a109d5f6eba6a9afdda266c4c80e1e4b2a7cebeb587759764016f1d	6bf46e4cec7e166a5a878c979074feb7aafa2e2c13adc8ca6c1bbcda04b9f232
16	tool_birth	APR-000002	grant-mint	executor	{"catalog": "CAT-006", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint", "tool_sha256": "6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e"}	2026-12-02 09:18:23.36586+00	6bf46e4cec7e166a5a878c979074feb7aafa2e2c13adc8ca6c1bbcda04b9f232	e916ba5ef0f317e603afa4b6c3f19c163b118daac375fa8834123e6f84109e17
17	tool_admit	APR-000002	grant-mint	executor	{"catalog": "CAT-006", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint", "tool_sha256": "6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e"}	2026-12-02 09:18:23.418403+00	e916ba5ef0f317e603afa4b6c3f19c163b118daac375fa8834123e6f84109e17	5fe756f694a46b969fe4f1de8d7900d4b4323b8ca2f942f5c10b4b2dcc692d73
18	tool_register	APR-000002	grant-mint	executor	{"catalog": "CAT-006", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint", "tool_sha256": "6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e"}	2026-12-02 09:18:23.462401+00	5fe756f694a46b969fe4f1de8d7900d4b4323b8ca2f942f5c10b4b2dcc692d73	765641ad07204df1caa611a72ded69dbcab4c37d3ce7b4ac03c58b996c57f92e
19	tool_catalog	APR-000002	grant-mint	executor	{"catalog": "CAT-006", "tool_path": "/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint", "tool_sha256": "6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e"}	2026-12-02 09:18:23.503015+00	765641ad07204df1caa611a72ded69dbcab4c37d3ce7b4ac03c58b996c57f92e	765bbce529877a442ee2033e2ddee5bdc7274097eed2cbd2fd5aa1e746120f59
20	propose	APR-000003	authorize_build_step	proposer	{"proposed_by": "proposer", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:23.622422+00	765bbce529877a442ee2033e2ddee5bdc7274097eed2cbd2fd5aa1e746120f59	70a5bb74cc297d1f63732f39786088d40c0b02862fc2d18a847a1774634f5863
21	vote	APR-000003	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:23.757479+00	70a5bb74cc297d1f63732f39786088d40c0b02862fc2d18a847a1774634f5863	b5d9df97aa2c757619c90e135bb2496e796e969a713fb24caa0805e6b0b45296
22	vote	APR-000003	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:23.803395+00	b5d9df97aa2c757619c90e135bb2496e796e969a713fb24caa0805e6b0b45296	add319b2b8d765a7c4c2863e5453c2f719f0964bd23b07e9dd6467dcab18d5d0
23	dispatch	APR-000003	apr-execute:authorize_build_step	executor	{"arm": "authorize_build_step"}	2026-12-02 09:18:23.866559+00	add319b2b8d765a7c4c2863e5453c2f719f0964bd23b07e9dd6467dcab18d5d0	8b5a0e6225220aa9717284af7bd238594fcca179ea63781725c2c71c740a781d
24	mint	APR-000003	GBA-C1-APR-000003	executor	{"scope": {"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}, "auth_code": "GBA-C1-APR-000003", "expires_at": "2026-12-02T10:18:23.88839+00:00", "handler_ref": "apr-execute:authorize_build_step"}	2026-12-02 09:18:23.88839+00	8b5a0e6225220aa9717284af7bd238594fcca179ea63781725c2c71c740a781d	2b9949ec130838751bb47dc7ab0b6d19fc071e0df9b081d12ef9508026fb8d24
25	revoke	APR-000003	GBA-C1-APR-000003	executor	{"reason": "rollback of the owner runbook"}	2026-12-02 09:18:24.093317+00	2b9949ec130838751bb47dc7ab0b6d19fc071e0df9b081d12ef9508026fb8d24	b3f0288edde841ab691ac52bf8e13859d56d9a0782f7b02ba84777dfd5966a0e
26	unbind	\N	authorize_build_step	postgres	{"previous": "apr-execute:authorize_build_step", "handler_ref": null}	2026-12-02 09:18:24.155514+00	b3f0288edde841ab691ac52bf8e13859d56d9a0782f7b02ba84777dfd5966a0e	cc5289a874529d4cbc3d36846ba455aa971faa1147cf1ba00ec036ebd8a70862
27	migrate	\N	20261202T091824153348-unbind-authorize_build_step	postgres	{"name": "20261202T091824153348-unbind-authorize_build_step.staged.sql", "checksum": "a00c4372be05d8b8048625cc88964b40a0f2eff55e2efc6e30a712fd789c4942"}	2026-12-02 09:18:24.155514+00	cc5289a874529d4cbc3d36846ba455aa971faa1147cf1ba00ec036ebd8a70862	f7b5a2cb6565137a29ca7e1a82c7b5393adc5d4a498cf51deec6fcbda535ea29
28	restore	APR-000001	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	executor	{"host": "vm", "status": "rolled_back", "deploy_id": 2, "backup_path": null, "sha256_after": null, "is_known_good": false, "sha256_before": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5"}	2026-12-02 09:18:24.204838+00	f7b5a2cb6565137a29ca7e1a82c7b5393adc5d4a498cf51deec6fcbda535ea29	82820f550911d308213fddb36542d82e9a35686690378168a930cac01c67be21
29	propose	APR-000004	patch_ops_code	proposer	{"proposed_by": "proposer", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:24.355083+00	82820f550911d308213fddb36542d82e9a35686690378168a930cac01c67be21	ad460fd1abca9a709043904b8cd846de9ed2a27afd3d214d8e460ab5942c4c30
30	vote	APR-000004	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:24.404879+00	ad460fd1abca9a709043904b8cd846de9ed2a27afd3d214d8e460ab5942c4c30	33d5c04e454c594973e919c162f7ab7d0ca15afb18f28ef83b600d2bc70ddcca
31	vote	APR-000004	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "6247e2cf6a04546060244c2343d79dabd74c1e88a17dc7627f7c689a48caa029"}	2026-12-02 09:18:24.454815+00	33d5c04e454c594973e919c162f7ab7d0ca15afb18f28ef83b600d2bc70ddcca	18684f9f4d7111c12ef55c94ea1bca479a89cfb136ef084b82c356eac538e60d
32	patch	APR-000004	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	executor	{"host": "vm", "status": "success", "deploy_id": 3, "backup_path": null, "sha256_after": "0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5", "is_known_good": true, "sha256_before": null}	2026-12-02 09:18:24.516154+00	18684f9f4d7111c12ef55c94ea1bca479a89cfb136ef084b82c356eac538e60d	e76851f6592ade73661aa67802c6ebba7be5848d8445d5ff1d968e334d9ab76c
33	bind	\N	authorize_build_step	postgres	{"previous": null, "handler_ref": "apr-execute:authorize_build_step"}	2026-12-02 09:18:26.44488+00	e76851f6592ade73661aa67802c6ebba7be5848d8445d5ff1d968e334d9ab76c	8676dbda802e96d0f9aa9b2ae58a01175a9922a217826f3eb51778153ce07b8e
34	migrate	\N	20261202T091826442494-bind-authorize_build_step	postgres	{"name": "20261202T091826442494-bind-authorize_build_step.staged.sql", "checksum": "e556fd4527f5d016129cfeb2ce4a18cd0e1ba8c88b2bbf1cf5ff5ae132d70426"}	2026-12-02 09:18:26.44488+00	8676dbda802e96d0f9aa9b2ae58a01175a9922a217826f3eb51778153ce07b8e	b0f748a6247014710b41b44eca6e48ba1d29a681267ffb42e26e29b44411dbef
35	propose	APR-000005	authorize_build_step	proposer	{"proposed_by": "proposer", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:26.621954+00	b0f748a6247014710b41b44eca6e48ba1d29a681267ffb42e26e29b44411dbef	faacfba4c9a6f6f5a3c622cfcf19b2e0c0545381d62dc3bde3b376673e7844b6
36	vote	APR-000005	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:26.781764+00	faacfba4c9a6f6f5a3c622cfcf19b2e0c0545381d62dc3bde3b376673e7844b6	bf54379170cd0f6a158ea10dc70df6da00ef6a2c84a004715cf3f302c431de92
37	vote	APR-000005	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "77e2950e8b0e0b06d90eafc0b101079994740e029210db14ecc71e34dafdf846"}	2026-12-02 09:18:26.832273+00	bf54379170cd0f6a158ea10dc70df6da00ef6a2c84a004715cf3f302c431de92	7ed6e33bb77a2c40927223932f1d884babf4ac5c18dc78a28a33efe21cefa439
38	dispatch	APR-000005	apr-execute:authorize_build_step	executor	{"arm": "authorize_build_step"}	2026-12-02 09:18:26.8989+00	7ed6e33bb77a2c40927223932f1d884babf4ac5c18dc78a28a33efe21cefa439	902670a90b92ee834aa159ef0940e217580fe78e10be4801ebc9840d83460dc2
39	mint	APR-000005	GBA-C1-APR-000005	executor	{"scope": {"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}, "auth_code": "GBA-C1-APR-000005", "expires_at": "2026-12-02T10:18:26.923555+00:00", "handler_ref": "apr-execute:authorize_build_step"}	2026-12-02 09:18:26.923555+00	902670a90b92ee834aa159ef0940e217580fe78e10be4801ebc9840d83460dc2	bc4e6cf9b870fe98ba7a9e6a66978b18c4c8645b470f1d0477f7940ea72694ed
40	propose	APR-000006	authorize_build_step	proposer	{"proposed_by": "proposer", "payload_sha256": "c331e78fe3a192b92d847a7d6367c350d3052a35176bd32c2ee93333c133e969"}	2026-12-02 09:18:27.13419+00	bc4e6cf9b870fe98ba7a9e6a66978b18c4c8645b470f1d0477f7940ea72694ed	59021d1aaa986c495c46ac67cb1f128d9913d183cff376ffd3c70037698b045e
41	propose	APR-000007	authorize_build_step	proposer	{"proposed_by": "proposer", "payload_sha256": "50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282"}	2026-12-02 09:18:27.17472+00	59021d1aaa986c495c46ac67cb1f128d9913d183cff376ffd3c70037698b045e	4d9653895f63585913abe4030e4fbe4ff6b7c01bca5aa7f2256267c98208d821
42	vote	APR-000007	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282"}	2026-12-02 09:18:27.205276+00	4d9653895f63585913abe4030e4fbe4ff6b7c01bca5aa7f2256267c98208d821	249ac1acc371f306fb955453e3ec52e6c1a6b1afbd021789698122f00e45dddc
43	vote	APR-000007	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "50d904707be3cb37029053a165c32d1093b68e1d4ec8b7d6a06e6ed8bb1a9282"}	2026-12-02 09:18:27.242608+00	249ac1acc371f306fb955453e3ec52e6c1a6b1afbd021789698122f00e45dddc	611cfba9cb7b7b910c58d35d9ed96f8e62a607b2865500f47f216077912c6458
44	propose	APR-000008	authorize_build_step	proposer	{"proposed_by": "proposer", "payload_sha256": "6df45f1f341d3693e9ff3881e766aa318ff21e039f0c461c0dd6311dd3929f00"}	2026-12-02 09:18:27.290695+00	611cfba9cb7b7b910c58d35d9ed96f8e62a607b2865500f47f216077912c6458	c2e2ce6b3b47241c21947a7ebff846db413d9e9c81833694879f85b893d3bddc
45	vote	APR-000008	owner1	owner1	{"status": "rejected", "decision": "reject", "payload_sha256": "6df45f1f341d3693e9ff3881e766aa318ff21e039f0c461c0dd6311dd3929f00"}	2026-12-02 09:18:27.33185+00	c2e2ce6b3b47241c21947a7ebff846db413d9e9c81833694879f85b893d3bddc	dd0b53b2039228e9220f430d4008edd13d5ed660f651677ab4fc26bf62776def
46	propose	APR-000009	patch_ops_code	proposer	{"proposed_by": "proposer", "payload_sha256": "5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c"}	2026-12-02 09:18:27.377874+00	dd0b53b2039228e9220f430d4008edd13d5ed660f651677ab4fc26bf62776def	0d2d61e67a645deea72de1f0221a16e33b3ce04b35aae1eaa34dec433479f2b1
47	vote	APR-000009	owner1	owner1	{"status": "proposed", "decision": "approve", "payload_sha256": "5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c"}	2026-12-02 09:18:27.404716+00	0d2d61e67a645deea72de1f0221a16e33b3ce04b35aae1eaa34dec433479f2b1	4bcf11b770addaa84f9d6067689a4d0d77ef37e51c320a087bf56d70eeee07a7
48	vote	APR-000009	owner2	owner2	{"status": "approved", "decision": "approve", "payload_sha256": "5beb79978fd8d8920f3c64d944d263ca233d79e8d3da4050bd65e7cb0f0c666c"}	2026-12-02 09:18:27.442726+00	4bcf11b770addaa84f9d6067689a4d0d77ef37e51c320a087bf56d70eeee07a7	b90ad480c10eb54b29c15949879b8be6b881e46741ad8fb966eb01ec201df615
49	patch	APR-000009	/tmp/aprkit-release-1.0LWcyD/state/handlers/release-1-broken	executor	{"host": "vm", "reason": "syntax_check_failed", "status": "failed", "deploy_id": 4, "backup_path": null, "check_output": "/tmp/aprkit-release-1.0LWcyD/state/handlers/.release-1-broken.aprkit-tmp.13592.2605224868: line 2: syntax error near unexpected token `then'", "sha256_after": null, "is_known_good": false, "sha256_before": null}	2026-12-02 09:18:27.512567+00	b90ad480c10eb54b29c15949879b8be6b881e46741ad8fb966eb01ec201df615	f68aade9279242f891cfc2e24fc794eaf21f55f9fd7c742f25ebae5b0e3c1d7a
50	propose	APR-000010	register_tool	proposer	{"proposed_by": "proposer", "payload_sha256": "6550f9fc86327a33da2aa52b53d4db5e104b885a9de8c3762d9bedc202f0af5e"}	2026-12-02 09:18:27.604674+00	f68aade9279242f891cfc2e24fc794eaf21f55f9fd7c742f25ebae5b0e3c1d7a	f10684275b6f146995d66a2a10df34cb271fc4d578e69edb3d639bfe7bca111b
\.


--
-- Data for Name: gov_ledger_head; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.gov_ledger_head (singleton, seq, hash) FROM stdin;
t	50	f10684275b6f146995d66a2a10df34cb271fc4d578e69edb3d639bfe7bca111b
\.


--
-- Data for Name: gov_migrations; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.gov_migrations (version, name, checksum, applied_at, applied_by) FROM stdin;
001	core	6e84522656cf6ce2ee176efeb8573d3c2a2ceba0218e468644ab7702eade286b	2026-12-02 09:18:20.230649+00	postgres
002	grants	f6b8cd2b0c3bdf0c4ec2058b0cd9ab2e0e206d7d4256a9d3a0cf182f4b1a2515	2026-12-02 09:18:20.281044+00	postgres
003	patch	66671e03aba141459d054113da9a80b785b8722008ab4aef155c2f252e81c672	2026-12-02 09:18:20.301698+00	postgres
004	tools	6e34d47c10bd227802b6b176e9ecb3c0a081b6d1bcf6dbe7ec856f84844f02f6	2026-12-02 09:18:20.31553+00	postgres
20261202T091823120254-bind-authorize_build_step	20261202T091823120254-bind-authorize_build_step.staged.sql	e556fd4527f5d016129cfeb2ce4a18cd0e1ba8c88b2bbf1cf5ff5ae132d70426	2026-12-02 09:18:23.122378+00	postgres
20261202T091824153348-unbind-authorize_build_step	20261202T091824153348-unbind-authorize_build_step.staged.sql	a00c4372be05d8b8048625cc88964b40a0f2eff55e2efc6e30a712fd789c4942	2026-12-02 09:18:24.155514+00	postgres
20261202T091826442494-bind-authorize_build_step	20261202T091826442494-bind-authorize_build_step.staged.sql	e556fd4527f5d016129cfeb2ce4a18cd0e1ba8c88b2bbf1cf5ff5ae132d70426	2026-12-02 09:18:26.44488+00	postgres
\.


--
-- Data for Name: gov_tools; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.gov_tools (tool_name, apr_code, tool_path, tool_sha256, catalog, stage, born_at, admitted_at, registered_at, cataloged_at) FROM stdin;
grant-mint	APR-000002	/tmp/aprkit-release-1.0LWcyD/src/.build/x86_64-unknown-linux-gnu/debug/grant-mint	6c8b0dc6a0f0c3a4a6f04d7fbd46f122b98afed89ca6d1488aebab50fdec1f0e	CAT-006	catalog	2026-12-02 09:18:23.36586+00	2026-12-02 09:18:23.418403+00	2026-12-02 09:18:23.462401+00	2026-12-02 09:18:23.503015+00
\.


--
-- Data for Name: governance_build_authorization; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.governance_build_authorization (auth_code, request_ref, status, commit_allowed, requires_sovereign_esign, scope, granted_at, expires_at, revoked_at, revoked_reason) FROM stdin;
GBA-C1-APR-000003	APR-000003	revoked	f	f	{"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	2026-12-02 09:18:23.88839+00	2026-12-02 10:18:23.88839+00	2026-12-02 09:18:24.093317+00	rollback of the owner runbook
GBA-C1-APR-000005	APR-000005	active	f	f	{"target": "DOT_C1_VOCAB_BUILD", "manifest_hash": "5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}	2026-12-02 09:18:26.923555+00	2026-12-02 10:18:26.923555+00	\N	\N
\.


--
-- Data for Name: patch_targets; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.patch_targets (root, syntax_check, post_check, max_bytes, note) FROM stdin;
/tmp/aprkit-release-1.0LWcyD/state/handlers	bash -n	self-check	1048576	apr-execute handlers
\.


--
-- Data for Name: vps_deploy_log; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.vps_deploy_log (id, apr_code, host, file_path, sha256_before, sha256_after, backup_path, status, is_known_good, deployed_at) FROM stdin;
1	APR-000001	vm	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	\N	0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5	\N	success	t	2026-12-02 09:18:20.574268+00
2	APR-000001	vm	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5	\N	\N	rolled_back	f	2026-12-02 09:18:24.204838+00
3	APR-000004	vm	/tmp/aprkit-release-1.0LWcyD/state/handlers/authorize_build_step	\N	0303a96f9e6e7c3e48f9ff68e3ef6eea5763f9128cfaebc43a316c0bca2063e5	\N	success	t	2026-12-02 09:18:24.516154+00
4	APR-000009	vm	/tmp/aprkit-release-1.0LWcyD/state/handlers/release-1-broken	\N	\N	\N	failed	f	2026-12-02 09:18:27.512567+00
\.


--
-- Name: apr_code_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.apr_code_seq', 10, true);


--
-- Name: vps_deploy_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.vps_deploy_log_id_seq', 4, true);


--
-- Name: apr_action_fields apr_action_fields_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_action_fields
    ADD CONSTRAINT apr_action_fields_pkey PRIMARY KEY (action_code, field);


--
-- Name: apr_action_types apr_action_types_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_action_types
    ADD CONSTRAINT apr_action_types_pkey PRIMARY KEY (action_code);


--
-- Name: apr_approvers apr_approvers_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_approvers
    ADD CONSTRAINT apr_approvers_pkey PRIMARY KEY (approver);


--
-- Name: apr_dispatches apr_dispatches_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_dispatches
    ADD CONSTRAINT apr_dispatches_pkey PRIMARY KEY (apr_code);


--
-- Name: apr_quorum_policies apr_quorum_policies_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_quorum_policies
    ADD CONSTRAINT apr_quorum_policies_pkey PRIMARY KEY (risk_level, factor);


--
-- Name: apr_requests apr_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_requests
    ADD CONSTRAINT apr_requests_pkey PRIMARY KEY (apr_code);


--
-- Name: apr_votes apr_votes_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_votes
    ADD CONSTRAINT apr_votes_pkey PRIMARY KEY (apr_code, approver);


--
-- Name: gov_ledger gov_ledger_hash_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_ledger
    ADD CONSTRAINT gov_ledger_hash_key UNIQUE (hash);


--
-- Name: gov_ledger_head gov_ledger_head_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_ledger_head
    ADD CONSTRAINT gov_ledger_head_pkey PRIMARY KEY (singleton);


--
-- Name: gov_ledger gov_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_ledger
    ADD CONSTRAINT gov_ledger_pkey PRIMARY KEY (seq);


--
-- Name: gov_migrations gov_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_migrations
    ADD CONSTRAINT gov_migrations_pkey PRIMARY KEY (version);


--
-- Name: gov_tools gov_tools_apr_code_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_tools
    ADD CONSTRAINT gov_tools_apr_code_key UNIQUE (apr_code);


--
-- Name: gov_tools gov_tools_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_tools
    ADD CONSTRAINT gov_tools_pkey PRIMARY KEY (tool_name);


--
-- Name: governance_build_authorization governance_build_authorization_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.governance_build_authorization
    ADD CONSTRAINT governance_build_authorization_pkey PRIMARY KEY (auth_code);


--
-- Name: governance_build_authorization governance_build_authorization_request_ref_key; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.governance_build_authorization
    ADD CONSTRAINT governance_build_authorization_request_ref_key UNIQUE (request_ref);


--
-- Name: patch_targets patch_targets_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.patch_targets
    ADD CONSTRAINT patch_targets_pkey PRIMARY KEY (root);


--
-- Name: vps_deploy_log vps_deploy_log_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.vps_deploy_log
    ADD CONSTRAINT vps_deploy_log_pkey PRIMARY KEY (id);


--
-- Name: apr_dispatches_unsettled; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX apr_dispatches_unsettled ON public.apr_dispatches USING btree (apr_code) WHERE (outcome IS NULL);


--
-- Name: apr_requests_open; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX apr_requests_open ON public.apr_requests USING btree (status) WHERE (status = ANY (ARRAY['proposed'::text, 'approved'::text]));


--
-- Name: gov_ledger_apr_code; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX gov_ledger_apr_code ON public.gov_ledger USING btree (apr_code) WHERE (apr_code IS NOT NULL);


--
-- Name: vps_deploy_log_file; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX vps_deploy_log_file ON public.vps_deploy_log USING btree (file_path, id);


--
-- Name: apr_dispatches apr_dispatches_guard; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER apr_dispatches_guard BEFORE DELETE OR UPDATE ON public.apr_dispatches FOR EACH ROW EXECUTE FUNCTION public.apr_dispatches_guard();


--
-- Name: apr_dispatches apr_dispatches_no_truncate; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER apr_dispatches_no_truncate BEFORE TRUNCATE ON public.apr_dispatches FOR EACH STATEMENT EXECUTE FUNCTION public.gov_refuse_change('dispatch_immutable');


--
-- Name: apr_requests apr_requests_guard; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER apr_requests_guard BEFORE DELETE OR UPDATE ON public.apr_requests FOR EACH ROW EXECUTE FUNCTION public.apr_requests_guard();


--
-- Name: apr_votes apr_votes_append_only; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER apr_votes_append_only BEFORE DELETE OR UPDATE ON public.apr_votes FOR EACH ROW EXECUTE FUNCTION public.gov_refuse_change('vote_immutable');


--
-- Name: gov_ledger gov_ledger_append_only; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER gov_ledger_append_only BEFORE DELETE OR UPDATE ON public.gov_ledger FOR EACH ROW EXECUTE FUNCTION public.gov_refuse_change('ledger_append_only');


--
-- Name: gov_ledger_head gov_ledger_head_no_truncate; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER gov_ledger_head_no_truncate BEFORE DELETE OR TRUNCATE ON public.gov_ledger_head FOR EACH STATEMENT EXECUTE FUNCTION public.gov_refuse_change('ledger_append_only');


--
-- Name: gov_ledger gov_ledger_no_truncate; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER gov_ledger_no_truncate BEFORE TRUNCATE ON public.gov_ledger FOR EACH STATEMENT EXECUTE FUNCTION public.gov_refuse_change('ledger_append_only');


--
-- Name: governance_build_authorization governance_build_authorization_guard; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER governance_build_authorization_guard BEFORE DELETE OR UPDATE ON public.governance_build_authorization FOR EACH ROW EXECUTE FUNCTION public.governance_build_authorization_guard();


--
-- Name: governance_build_authorization governance_build_authorization_no_truncate; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER governance_build_authorization_no_truncate BEFORE TRUNCATE ON public.governance_build_authorization FOR EACH STATEMENT EXECUTE FUNCTION public.gov_refuse_change('grant_immutable');


--
-- Name: apr_action_fields apr_action_fields_action_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_action_fields
    ADD CONSTRAINT apr_action_fields_action_code_fkey FOREIGN KEY (action_code) REFERENCES public.apr_action_types(action_code) ON DELETE CASCADE;


--
-- Name: apr_dispatches apr_dispatches_apr_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_dispatches
    ADD CONSTRAINT apr_dispatches_apr_code_fkey FOREIGN KEY (apr_code) REFERENCES public.apr_requests(apr_code);


--
-- Name: apr_requests apr_requests_action_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_requests
    ADD CONSTRAINT apr_requests_action_code_fkey FOREIGN KEY (action_code) REFERENCES public.apr_action_types(action_code);


--
-- Name: apr_votes apr_votes_approver_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_votes
    ADD CONSTRAINT apr_votes_approver_fkey FOREIGN KEY (approver) REFERENCES public.apr_approvers(approver);


--
-- Name: apr_votes apr_votes_apr_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.apr_votes
    ADD CONSTRAINT apr_votes_apr_code_fkey FOREIGN KEY (apr_code) REFERENCES public.apr_requests(apr_code);


--
-- Name: gov_tools gov_tools_apr_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.gov_tools
    ADD CONSTRAINT gov_tools_apr_code_fkey FOREIGN KEY (apr_code) REFERENCES public.apr_requests(apr_code);


--
-- Name: governance_build_authorization governance_build_authorization_request_ref_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.governance_build_authorization
    ADD CONSTRAINT governance_build_authorization_request_ref_fkey FOREIGN KEY (request_ref) REFERENCES public.apr_requests(apr_code);


--
-- Name: vps_deploy_log vps_deploy_log_apr_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.vps_deploy_log
    ADD CONSTRAINT vps_deploy_log_apr_code_fkey FOREIGN KEY (apr_code) REFERENCES public.apr_requests(apr_code);


--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: pg_database_owner
--

GRANT USAGE ON SCHEMA public TO apr_proposer;
GRANT USAGE ON SCHEMA public TO apr_approver;
GRANT USAGE ON SCHEMA public TO apr_executor;
GRANT USAGE ON SCHEMA public TO apr_reader;


--
-- Name: FUNCTION apr_approver_set(p_approver text, p_role text, p_active boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_approver_set(p_approver text, p_role text, p_active boolean) FROM PUBLIC;


--
-- Name: TABLE apr_action_types; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_action_types TO apr_proposer;
GRANT SELECT ON TABLE public.apr_action_types TO apr_approver;
GRANT SELECT ON TABLE public.apr_action_types TO apr_executor;
GRANT SELECT ON TABLE public.apr_action_types TO apr_reader;


--
-- Name: FUNCTION apr_check_action_rules(p_type public.apr_action_types, p_action jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_check_action_rules(p_type public.apr_action_types, p_action jsonb) FROM PUBLIC;


--
-- Name: TABLE apr_requests; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_requests TO apr_proposer;
GRANT SELECT ON TABLE public.apr_requests TO apr_approver;
GRANT SELECT ON TABLE public.apr_requests TO apr_executor;
GRANT SELECT ON TABLE public.apr_requests TO apr_reader;


--
-- Name: FUNCTION apr_dispatch_blockers(r public.apr_requests); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_blockers(r public.apr_requests) FROM PUBLIC;


--
-- Name: FUNCTION apr_dispatch_claim(p_apr_code text, p_arm text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_claim(p_apr_code text, p_arm text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_claim(p_apr_code text, p_arm text) TO apr_executor;


--
-- Name: TABLE apr_dispatches; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_dispatches TO apr_proposer;
GRANT SELECT ON TABLE public.apr_dispatches TO apr_approver;
GRANT SELECT ON TABLE public.apr_dispatches TO apr_executor;
GRANT SELECT ON TABLE public.apr_dispatches TO apr_reader;


--
-- Name: FUNCTION apr_dispatch_json(d public.apr_dispatches); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_json(d public.apr_dispatches) FROM PUBLIC;


--
-- Name: FUNCTION apr_dispatch_lock(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_lock(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_lock(p_apr_code text) TO apr_executor;


--
-- Name: FUNCTION apr_dispatch_lock_held(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_lock_held(p_apr_code text) FROM PUBLIC;


--
-- Name: FUNCTION apr_dispatch_next(p_exclude text[]); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_next(p_exclude text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_next(p_exclude text[]) TO apr_executor;


--
-- Name: FUNCTION apr_dispatch_plan(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_plan(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_plan(p_apr_code text) TO apr_proposer;
GRANT ALL ON FUNCTION public.apr_dispatch_plan(p_apr_code text) TO apr_approver;
GRANT ALL ON FUNCTION public.apr_dispatch_plan(p_apr_code text) TO apr_executor;
GRANT ALL ON FUNCTION public.apr_dispatch_plan(p_apr_code text) TO apr_reader;


--
-- Name: FUNCTION apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_settle(p_apr_code text, p_outcome text, p_exit_status integer, p_result jsonb) TO apr_executor;


--
-- Name: FUNCTION apr_dispatch_try_lock(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_try_lock(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_try_lock(p_apr_code text) TO apr_executor;


--
-- Name: FUNCTION apr_dispatch_unlock(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatch_unlock(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_dispatch_unlock(p_apr_code text) TO apr_executor;


--
-- Name: FUNCTION apr_dispatches_guard(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_dispatches_guard() FROM PUBLIC;


--
-- Name: FUNCTION apr_payload_sha256(p_action jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_payload_sha256(p_action jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_payload_sha256(p_action jsonb) TO apr_proposer;
GRANT ALL ON FUNCTION public.apr_payload_sha256(p_action jsonb) TO apr_approver;
GRANT ALL ON FUNCTION public.apr_payload_sha256(p_action jsonb) TO apr_executor;
GRANT ALL ON FUNCTION public.apr_payload_sha256(p_action jsonb) TO apr_reader;


--
-- Name: FUNCTION apr_propose(p_request_type text, p_action_code text, p_proposed_action jsonb, p_session_code text, p_reason text, p_dry_run boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_propose(p_request_type text, p_action_code text, p_proposed_action jsonb, p_session_code text, p_reason text, p_dry_run boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_propose(p_request_type text, p_action_code text, p_proposed_action jsonb, p_session_code text, p_reason text, p_dry_run boolean) TO apr_proposer;


--
-- Name: FUNCTION apr_quorum_state(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_quorum_state(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_quorum_state(p_apr_code text) TO apr_proposer;
GRANT ALL ON FUNCTION public.apr_quorum_state(p_apr_code text) TO apr_approver;
GRANT ALL ON FUNCTION public.apr_quorum_state(p_apr_code text) TO apr_executor;
GRANT ALL ON FUNCTION public.apr_quorum_state(p_apr_code text) TO apr_reader;


--
-- Name: FUNCTION apr_refuse(p_reason text, p_apr_code text, p_note text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) TO apr_proposer;
GRANT ALL ON FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) TO apr_approver;
GRANT ALL ON FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) TO apr_executor;
GRANT ALL ON FUNCTION public.apr_refuse(p_reason text, p_apr_code text, p_note text) TO apr_reader;


--
-- Name: FUNCTION apr_refuse_if_blocked(r public.apr_requests, p_ignore text[]); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_refuse_if_blocked(r public.apr_requests, p_ignore text[]) FROM PUBLIC;


--
-- Name: FUNCTION apr_request_json(r public.apr_requests); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_request_json(r public.apr_requests) FROM PUBLIC;


--
-- Name: FUNCTION apr_requests_guard(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_requests_guard() FROM PUBLIC;


--
-- Name: FUNCTION apr_session_is_privileged(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_session_is_privileged() FROM PUBLIC;


--
-- Name: FUNCTION apr_validate_action(p_action_code text, p_action jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_validate_action(p_action_code text, p_action jsonb) FROM PUBLIC;


--
-- Name: FUNCTION apr_vote(p_apr_code text, p_decision text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.apr_vote(p_apr_code text, p_decision text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.apr_vote(p_apr_code text, p_decision text) TO apr_approver;


--
-- Name: FUNCTION gov_ledger_append(p_event text, p_apr_code text, p_subject text, p_payload jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_ledger_append(p_event text, p_apr_code text, p_subject text, p_payload jsonb) FROM PUBLIC;


--
-- Name: FUNCTION gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) TO apr_proposer;
GRANT ALL ON FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) TO apr_approver;
GRANT ALL ON FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) TO apr_executor;
GRANT ALL ON FUNCTION public.gov_ledger_link_hash(p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text, p_actor text, p_payload jsonb, p_created_at timestamp with time zone) TO apr_reader;


--
-- Name: FUNCTION gov_migration_record(p_version text, p_name text, p_checksum text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_migration_record(p_version text, p_name text, p_checksum text) FROM PUBLIC;


--
-- Name: FUNCTION gov_refuse_change(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_refuse_change() FROM PUBLIC;


--
-- Name: FUNCTION gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text) TO apr_executor;


--
-- Name: FUNCTION gov_tool_stage_rank(p_stage text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.gov_tool_stage_rank(p_stage text) FROM PUBLIC;


--
-- Name: FUNCTION governance_build_authorization_guard(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.governance_build_authorization_guard() FROM PUBLIC;


--
-- Name: TABLE governance_build_authorization; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.governance_build_authorization TO apr_proposer;
GRANT SELECT ON TABLE public.governance_build_authorization TO apr_approver;
GRANT SELECT ON TABLE public.governance_build_authorization TO apr_executor;
GRANT SELECT ON TABLE public.governance_build_authorization TO apr_reader;


--
-- Name: FUNCTION governance_build_authorization_json(g public.governance_build_authorization); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.governance_build_authorization_json(g public.governance_build_authorization) FROM PUBLIC;


--
-- Name: FUNCTION grant_apr(p_apr_code text, p_lock boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.grant_apr(p_apr_code text, p_lock boolean) FROM PUBLIC;


--
-- Name: FUNCTION grant_expire_due(p_dry_run boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.grant_expire_due(p_dry_run boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.grant_expire_due(p_dry_run boolean) TO apr_executor;


--
-- Name: FUNCTION grant_mint(p_apr_code text, p_payload_sha256 text, p_dry_run boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.grant_mint(p_apr_code text, p_payload_sha256 text, p_dry_run boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.grant_mint(p_apr_code text, p_payload_sha256 text, p_dry_run boolean) TO apr_executor;


--
-- Name: FUNCTION grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.grant_revoke(p_apr_code text, p_reason text, p_dry_run boolean) TO apr_executor;


--
-- Name: FUNCTION patch_apr(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_apr(p_apr_code text) FROM PUBLIC;


--
-- Name: FUNCTION patch_eligible_apr(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_eligible_apr(p_apr_code text) FROM PUBLIC;


--
-- Name: TABLE vps_deploy_log; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.vps_deploy_log TO apr_proposer;
GRANT SELECT ON TABLE public.vps_deploy_log TO apr_approver;
GRANT SELECT ON TABLE public.vps_deploy_log TO apr_executor;
GRANT SELECT ON TABLE public.vps_deploy_log TO apr_reader;


--
-- Name: FUNCTION patch_log(p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_log(p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) FROM PUBLIC;


--
-- Name: FUNCTION patch_plan(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_plan(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.patch_plan(p_apr_code text) TO apr_executor;


--
-- Name: TABLE patch_targets; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.patch_targets TO apr_proposer;
GRANT SELECT ON TABLE public.patch_targets TO apr_approver;
GRANT SELECT ON TABLE public.patch_targets TO apr_executor;
GRANT SELECT ON TABLE public.patch_targets TO apr_reader;


--
-- Name: FUNCTION patch_plan_json(r public.apr_requests, t public.patch_targets); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_plan_json(r public.apr_requests, t public.patch_targets) FROM PUBLIC;


--
-- Name: FUNCTION patch_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.patch_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb) TO apr_executor;


--
-- Name: FUNCTION patch_recorded(p_apr_code text, p_status text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_recorded(p_apr_code text, p_status text) FROM PUBLIC;


--
-- Name: FUNCTION patch_restore_plan(p_apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_restore_plan(p_apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.patch_restore_plan(p_apr_code text) TO apr_executor;


--
-- Name: FUNCTION patch_restore_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_restore_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.patch_restore_record(p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text, p_backup_path text) TO apr_executor;


--
-- Name: FUNCTION patch_target_for(p_path text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_target_for(p_path text) FROM PUBLIC;


--
-- Name: FUNCTION patch_target_set(p_root text, p_syntax_check text, p_post_check text, p_max_bytes integer, p_note text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.patch_target_set(p_root text, p_syntax_check text, p_post_check text, p_max_bytes integer, p_note text) FROM PUBLIC;


--
-- Name: FUNCTION quorum_passed(apr_code text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.quorum_passed(apr_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.quorum_passed(apr_code text) TO apr_proposer;
GRANT ALL ON FUNCTION public.quorum_passed(apr_code text) TO apr_approver;
GRANT ALL ON FUNCTION public.quorum_passed(apr_code text) TO apr_executor;
GRANT ALL ON FUNCTION public.quorum_passed(apr_code text) TO apr_reader;


--
-- Name: TABLE apr_action_fields; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_action_fields TO apr_proposer;
GRANT SELECT ON TABLE public.apr_action_fields TO apr_approver;
GRANT SELECT ON TABLE public.apr_action_fields TO apr_executor;
GRANT SELECT ON TABLE public.apr_action_fields TO apr_reader;


--
-- Name: TABLE apr_approvers; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_approvers TO apr_proposer;
GRANT SELECT ON TABLE public.apr_approvers TO apr_approver;
GRANT SELECT ON TABLE public.apr_approvers TO apr_executor;
GRANT SELECT ON TABLE public.apr_approvers TO apr_reader;


--
-- Name: TABLE apr_quorum_policies; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_quorum_policies TO apr_proposer;
GRANT SELECT ON TABLE public.apr_quorum_policies TO apr_approver;
GRANT SELECT ON TABLE public.apr_quorum_policies TO apr_executor;
GRANT SELECT ON TABLE public.apr_quorum_policies TO apr_reader;


--
-- Name: TABLE apr_votes; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.apr_votes TO apr_proposer;
GRANT SELECT ON TABLE public.apr_votes TO apr_approver;
GRANT SELECT ON TABLE public.apr_votes TO apr_executor;
GRANT SELECT ON TABLE public.apr_votes TO apr_reader;


--
-- Name: TABLE gov_ledger; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.gov_ledger TO apr_proposer;
GRANT SELECT ON TABLE public.gov_ledger TO apr_approver;
GRANT SELECT ON TABLE public.gov_ledger TO apr_executor;
GRANT SELECT ON TABLE public.gov_ledger TO apr_reader;


--
-- Name: TABLE gov_ledger_head; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.gov_ledger_head TO apr_proposer;
GRANT SELECT ON TABLE public.gov_ledger_head TO apr_approver;
GRANT SELECT ON TABLE public.gov_ledger_head TO apr_executor;
GRANT SELECT ON TABLE public.gov_ledger_head TO apr_reader;


--
-- Name: TABLE gov_migrations; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.gov_migrations TO apr_proposer;
GRANT SELECT ON TABLE public.gov_migrations TO apr_approver;
GRANT SELECT ON TABLE public.gov_migrations TO apr_executor;
GRANT SELECT ON TABLE public.gov_migrations TO apr_reader;


--
-- Name: TABLE gov_tools; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.gov_tools TO apr_proposer;
GRANT SELECT ON TABLE public.gov_tools TO apr_approver;
GRANT SELECT ON TABLE public.gov_tools TO apr_executor;
GRANT SELECT ON TABLE public.gov_tools TO apr_reader;


--
-- PostgreSQL database dump complete
--

\unrestrict aprkitrelease1

