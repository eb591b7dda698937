-- aprkit 001 core: tables, roles, the ledger, proposals, votes and quorum.
-- Invariants live here so that psql with any aprkit role cannot do what the
-- tools refuse. Refusals are RAISEd with SQLSTATE class AK (AKF = FAIL,
-- AKS = SKIP, AKT = STOP, AKD = bad input data) and the reason code as message.

-- Group roles: created once per cluster, shared by every aprkit database.
DO $roles$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['apr_proposer', 'apr_approver', 'apr_executor', 'apr_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- another database's migrator created it first
            END;
        END IF;
    END LOOP;
END
$roles$;

CREATE TABLE gov_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT session_user
);

-- The ledger: append-only and hash-chained. Each row's hash covers the
-- previous row's hash and this row's content; the head row serializes appends.
CREATE TABLE gov_ledger (
    seq        bigint PRIMARY KEY CHECK (seq >= 1),
    event      text NOT NULL CHECK (event ~ '^[a-z_]{1,32}$'),
    apr_code   text,
    subject    text,
    actor      text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    prev_hash  text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash       text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX gov_ledger_apr_code ON gov_ledger (apr_code) WHERE apr_code IS NOT NULL;

CREATE TABLE gov_ledger_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL,
    hash      text NOT NULL
);
-- The genesis hash: 64 zeros, so the first row's prev_hash is well defined.
INSERT INTO gov_ledger_head (seq, hash) VALUES (0, repeat('0', 64));

-- What one link hashes. readback verifies with its own copy of this formula,
-- so a replaced function cannot vouch for a tampered row.
CREATE FUNCTION gov_ledger_link_hash(
    p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text,
    p_actor text, p_payload jsonb, p_created_at timestamptz
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        p_prev_hash, p_seq::text, p_event, coalesce(p_apr_code, ''), coalesce(p_subject, ''),
        p_actor, p_payload::text,
        (extract(epoch FROM p_created_at) * 1000000)::bigint::text), 'UTF8')), 'hex')
$$;

CREATE FUNCTION gov_ledger_append(
    p_event text, p_apr_code text, p_subject text, p_payload jsonb
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
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

CREATE FUNCTION gov_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'AKF01', MESSAGE = TG_ARGV[0],
        DETAIL = format('%s on %s is refused', TG_OP, TG_TABLE_NAME);
END
$$;

CREATE TRIGGER gov_ledger_append_only BEFORE UPDATE OR DELETE ON gov_ledger
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('ledger_append_only');
CREATE TRIGGER gov_ledger_no_truncate BEFORE TRUNCATE ON gov_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('ledger_append_only');
CREATE TRIGGER gov_ledger_head_no_truncate BEFORE TRUNCATE OR DELETE ON gov_ledger_head
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('ledger_append_only');

-- Records an applied migration and its ledger event (called by gov-migrate in
-- the migration's own transaction).
CREATE FUNCTION gov_migration_record(p_version text, p_name text, p_checksum text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO gov_migrations (version, name, checksum) VALUES (p_version, p_name, p_checksum);
    PERFORM gov_ledger_append('migrate', NULL, p_version,
        jsonb_build_object('name', p_name, 'checksum', p_checksum));
END
$$;

CREATE TABLE apr_action_types (
    action_code     text PRIMARY KEY CHECK (action_code ~ '^[a-z][a-z0-9_]{0,62}$'),
    request_type    text NOT NULL CHECK (request_type ~ '^[a-z][a-z0-9_]{0,62}$'),
    risk_level      text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
    handler_ref     text CHECK (handler_ref ~ '^[a-z][a-z0-9-]*:[a-z][a-z0-9_]*$'),
    reason_pattern  text,
    apr_ttl_seconds integer NOT NULL DEFAULT 604800 CHECK (apr_ttl_seconds > 0),
    max_ttl_seconds integer CHECK (max_ttl_seconds > 0)
);

-- The shape of each action's proposed_action: every field, its JSON type,
-- whether it is required, and the pattern and length it must keep.
CREATE TABLE apr_action_fields (
    action_code text NOT NULL REFERENCES apr_action_types ON DELETE CASCADE,
    field       text NOT NULL,
    json_type   text NOT NULL CHECK (json_type IN ('string', 'integer', 'boolean', 'object')),
    required    boolean NOT NULL,
    pattern     text,
    max_length  integer CHECK (max_length > 0),
    PRIMARY KEY (action_code, field)
);

CREATE TABLE apr_quorum_policies (
    risk_level text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
    factor     text NOT NULL CHECK (factor ~ '^[a-z][a-z0-9_]{0,62}$'),
    role       text,
    min_count  integer NOT NULL CHECK (min_count >= 1),
    PRIMARY KEY (risk_level, factor)
);

CREATE TABLE apr_approvers (
    approver text PRIMARY KEY,
    role     text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_]{0,62}$'),
    active   boolean NOT NULL DEFAULT true
);

CREATE SEQUENCE apr_code_seq;

CREATE TABLE apr_requests (
    apr_code        text PRIMARY KEY CHECK (apr_code ~ '^APR-[0-9]{6,}$'),
    request_type    text NOT NULL,
    action_code     text NOT NULL REFERENCES apr_action_types,
    proposed_action jsonb NOT NULL CHECK (jsonb_typeof(proposed_action) = 'object'),
    payload_sha256  text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
    session_code    text NOT NULL CHECK (session_code <> ''),
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    proposed_by     text NOT NULL,
    status          text NOT NULL DEFAULT 'proposed'
                    CHECK (status IN ('proposed', 'approved', 'rejected', 'expired', 'applied', 'failed', 'revoked')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    applied_at      timestamptz,
    result          jsonb,
    CHECK (expires_at > created_at),
    CHECK ((applied_at IS NOT NULL) = (status IN ('applied', 'revoked')))
);
CREATE INDEX apr_requests_open ON apr_requests (status) WHERE status IN ('proposed', 'approved');

CREATE TABLE apr_votes (
    apr_code       text NOT NULL REFERENCES apr_requests,
    approver       text NOT NULL REFERENCES apr_approvers,
    decision       text NOT NULL CHECK (decision IN ('approve', 'reject')),
    payload_sha256 text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (apr_code, approver)
);

CREATE TABLE governance_build_authorization (
    auth_code                text PRIMARY KEY,
    request_ref              text NOT NULL UNIQUE REFERENCES apr_requests,
    status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    commit_allowed           boolean NOT NULL DEFAULT false,
    requires_sovereign_esign boolean NOT NULL DEFAULT false,
    scope                    jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'object'),
    granted_at               timestamptz NOT NULL DEFAULT now(),
    expires_at               timestamptz NOT NULL,
    revoked_at               timestamptz,
    revoked_reason           text,
    CHECK (auth_code = 'GBA-C1-' || request_ref),
    CHECK (expires_at > granted_at),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);

CREATE TABLE vps_deploy_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    apr_code      text NOT NULL REFERENCES apr_requests,
    host          text NOT NULL,
    file_path     text NOT NULL,
    sha256_before text CHECK (sha256_before ~ '^[0-9a-f]{64}$'),
    sha256_after  text CHECK (sha256_after ~ '^[0-9a-f]{64}$'),
    backup_path   text,
    status        text NOT NULL CHECK (status IN ('success', 'failed', 'rolled_back')),
    is_known_good boolean NOT NULL DEFAULT false,
    deployed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vps_deploy_log_file ON vps_deploy_log (file_path, id);

-- An APR's identity and payload never change; its status moves only forward.
CREATE FUNCTION apr_requests_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
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
CREATE TRIGGER apr_requests_guard BEFORE UPDATE OR DELETE ON apr_requests
    FOR EACH ROW EXECUTE FUNCTION apr_requests_guard();

CREATE TRIGGER apr_votes_append_only BEFORE UPDATE OR DELETE ON apr_votes
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('vote_immutable');

-- The canonical payload hash: sha256 of jsonb's normalized text.
CREATE FUNCTION apr_payload_sha256(p_action jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(convert_to(p_action::text, 'UTF8')), 'hex') $$;

-- True when the session's role may not act as an approver: a superuser or a
-- BYPASSRLS role could bypass every invariant, so its vote proves nothing.
CREATE FUNCTION apr_session_is_privileged() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user), true) $$;

-- Validates proposed_action against the action's declared fields. Raises the
-- first problem found; returns nothing when the payload is acceptable.
CREATE FUNCTION apr_validate_action(p_action_code text, p_action jsonb) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
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

-- Action-specific rules beyond the field table.
CREATE FUNCTION apr_check_action_rules(p_type apr_action_types, p_action jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
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

CREATE FUNCTION apr_request_json(r apr_requests) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'apr_code', r.apr_code, 'request_type', r.request_type, 'action_code', r.action_code,
        'proposed_action', r.proposed_action, 'payload_sha256', r.payload_sha256,
        'session_code', r.session_code, 'reason', r.reason, 'proposed_by', r.proposed_by,
        'status', r.status, 'created_at', r.created_at, 'expires_at', r.expires_at,
        'applied_at', r.applied_at, 'result', r.result)
$$;

-- Creates an APR (or, with p_dry_run, validates it and returns what it would
-- create, writing nothing, not even a sequence value).
CREATE FUNCTION apr_propose(
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

-- The quorum of one APR as one JSON document: who approved, whether each of
-- the risk level's factors holds (they must all hold), any rejection, expiry.
-- Only active approvers other than the proposer, voting on the current
-- payload hash, count; every time decision uses the database clock.
CREATE FUNCTION apr_quorum_state(p_apr_code text) RETURNS jsonb
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
              AND r.status NOT IN ('rejected', 'expired');
    RETURN jsonb_build_object(
        'apr_code', r.apr_code, 'action_code', r.action_code, 'risk_level', risk,
        'status', r.status, 'quorum_passed', passed, 'payload_sha256', r.payload_sha256,
        'proposed_by', r.proposed_by, 'approvals', approvals, 'factors', factors,
        'rejections', rejections, 'expires_at', r.expires_at, 'expired', expired);
END
$$;

CREATE FUNCTION quorum_passed(apr_code text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$ SELECT coalesce((apr_quorum_state(apr_code) ->> 'quorum_passed')::boolean, false) $$;

-- Records the session user's vote on an APR, bound to the payload hash it
-- currently has, then settles the APR's status: approved when the quorum
-- passes, rejected on any reject.
CREATE FUNCTION apr_vote(p_apr_code text, p_decision text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
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

-- Registers or updates an approver (run by the schema owner). The role must
-- exist; it is granted apr_approver.
CREATE FUNCTION apr_approver_set(p_approver text, p_role text, p_active boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
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

-- Seed: the action types of the owner runbook, all unbound, and the quorum policies.
INSERT INTO apr_action_types (action_code, request_type, risk_level, max_ttl_seconds) VALUES
    ('patch_ops_code', 'fix_repair_dot', 'high', NULL),
    ('authorize_build_step', 'authorize_build_step', 'high', 604800),
    ('register_tool', 'register_tool', 'medium', NULL);

INSERT INTO apr_action_fields (action_code, field, json_type, required, pattern, max_length) VALUES
    ('patch_ops_code', 'dot_code', 'string', true, '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', 64),
    ('patch_ops_code', 'file_path', 'string', true, '^/', 4096),
    ('patch_ops_code', 'patch_mode', 'string', true, '^full_replace$', 32),
    ('patch_ops_code', 'new_content_base64', 'string', true, '^[A-Za-z0-9+/]*={0,2}$', 1398104),
    ('patch_ops_code', 'new_content_sha256', 'string', false, '^[0-9a-f]{64}$', 64),
    ('patch_ops_code', 'expected_sha256_before', 'string', false, '^[0-9a-f]{64}$', 64),
    ('patch_ops_code', 'session_code', 'string', true, '^\S', 128),
    ('patch_ops_code', 'test_plan', 'string', true, '^\S', 4096),
    ('authorize_build_step', 'target', 'string', true, '^[A-Z][A-Z0-9_]{0,63}$', 64),
    ('authorize_build_step', 'manifest_hash', 'string', true, '^[0-9a-f]{64}$', 64),
    ('authorize_build_step', 'ttl_seconds', 'integer', true, NULL, NULL),
    ('register_tool', 'tool_name', 'string', true, '^[a-z][a-z0-9-]{0,63}$', 64),
    ('register_tool', 'tool_path', 'string', true, '^/', 4096),
    ('register_tool', 'tool_sha256', 'string', false, '^[0-9a-f]{64}$', 64),
    ('register_tool', 'catalog', 'string', false, '^[A-Z][A-Z0-9-]{0,31}$', 32);

INSERT INTO apr_quorum_policies (risk_level, factor, role, min_count) VALUES
    ('low', 'approvers', NULL, 1),
    ('medium', 'approvers', NULL, 1),
    ('high', 'approvers', NULL, 2),
    ('high', 'owners', 'owner', 1);

-- Least privilege: nobody but the schema owner writes a table directly; the
-- group roles read, and act only through the functions granted to them.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO apr_proposer, apr_approver, apr_executor, apr_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO apr_proposer, apr_approver, apr_executor, apr_reader;
GRANT EXECUTE ON FUNCTION apr_propose(text, text, jsonb, text, text, boolean) TO apr_proposer;
GRANT EXECUTE ON FUNCTION apr_vote(text, text) TO apr_approver;
GRANT EXECUTE ON FUNCTION apr_quorum_state(text), quorum_passed(text), apr_payload_sha256(jsonb),
    gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamptz)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

-- Readback assertions: RAISE, never ASSERT, so no session setting skips them.
DO $check$
BEGIN
    IF (SELECT count(*) FROM apr_action_types WHERE handler_ref IS NULL) <> 3 THEN
        RAISE EXCEPTION 'readback: expected 3 unbound action types';
    END IF;
    IF (SELECT count(*) FROM apr_quorum_policies WHERE risk_level = 'high') <> 2 THEN
        RAISE EXCEPTION 'readback: expected 2 high-risk quorum factors';
    END IF;
    IF has_table_privilege('apr_approver', 'apr_votes', 'INSERT')
       OR has_table_privilege('apr_proposer', 'apr_requests', 'UPDATE')
       OR has_table_privilege('apr_executor', 'gov_ledger', 'INSERT')
       OR has_function_privilege('apr_executor', 'gov_ledger_append(text, text, text, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: a group role can write directly';
    END IF;
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'apr_vote(text, text)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: apr_vote must be SECURITY DEFINER';
    END IF;
END
$check$;