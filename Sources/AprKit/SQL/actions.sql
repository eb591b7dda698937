-- actions.sql: the action types (apr_action_types) and the shape of their
-- payloads (apr_action_fields): how a proposed_action is validated and
-- hashed. Both tables are created and seeded by migration 001.

-- The canonical payload hash: sha256 of jsonb's normalized text.
CREATE OR REPLACE FUNCTION apr_payload_sha256(p_action jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(convert_to(p_action::text, 'UTF8')), 'hex') $$;

-- Validates proposed_action against the action's declared fields. Raises the
-- first problem found; returns nothing when the payload is acceptable.
CREATE OR REPLACE FUNCTION apr_validate_action(p_action_code text, p_action jsonb) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    f apr_action_fields;
    k text;
    v jsonb;
    t text;
    n text;
BEGIN
    IF p_action IS NULL OR jsonb_typeof(p_action) <> 'object' THEN
        PERFORM apr_raise('wrong_type', 'proposed_action must be an object');
    END IF;
    FOR k IN SELECT jsonb_object_keys(p_action) LOOP
        IF NOT EXISTS (SELECT 1 FROM apr_action_fields WHERE action_code = p_action_code AND field = k) THEN
            PERFORM apr_raise('unknown_field', format('proposed_action.%s is not a field of %s', k, p_action_code));
        END IF;
    END LOOP;
    FOR f IN SELECT * FROM apr_action_fields WHERE action_code = p_action_code ORDER BY field LOOP
        v := p_action -> f.field;
        IF v IS NULL THEN
            IF f.required THEN
                PERFORM apr_raise('missing_field', format('proposed_action.%s is required for %s', f.field, p_action_code));
            END IF;
            CONTINUE;
        END IF;
        t := jsonb_typeof(v);
        IF t = 'number' AND f.json_type = 'integer' THEN
            -- An integer is a number whose text is an integer literal within
            -- bigint: jsonb keeps 60.0 as 60.0 (a real, refused) and writes
            -- 1e300 out in digits (out of range). Nothing is cast before its
            -- text is checked, so no cast can fail (exit 70) on bad input.
            n := v #>> '{}';
            IF n !~ '^-?[0-9]+$' THEN
                PERFORM apr_raise('wrong_type', format('proposed_action.%s must be an integer, not %s', f.field,
                    CASE WHEN length(n) > 40 THEN left(n, 37) || '...' ELSE n END));
            END IF;
            IF n::numeric NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
                PERFORM apr_raise('invalid_field', format('proposed_action.%s is out of the 64-bit integer range (a number of %s digits)',
                    f.field, length(ltrim(n, '-'))));
            END IF;
            t := 'integer';
        END IF;
        IF t <> f.json_type THEN
            PERFORM apr_raise('wrong_type', format('proposed_action.%s must be %s, not %s', f.field, f.json_type, t));
        END IF;
        IF t = 'string' THEN
            IF f.max_length IS NOT NULL AND octet_length(v #>> '{}') > f.max_length THEN
                PERFORM apr_raise('field_too_long', format('proposed_action.%s is over %s bytes', f.field, f.max_length));
            END IF;
            IF f.pattern IS NOT NULL AND (v #>> '{}') !~ f.pattern THEN
                PERFORM apr_raise('invalid_field', format('proposed_action.%s does not match %s', f.field, f.pattern));
            END IF;
        END IF;
    END LOOP;
END
$$;

-- Action-specific rules beyond the field table. A patch's content is
-- decoded here, by the database, and only here: its sha256 becomes part of
-- the approved payload, and patch-apply is handed these decoded bytes, so
-- the tools and the database accept exactly the same Base64.
CREATE OR REPLACE FUNCTION apr_check_action_rules(p_type apr_action_types, p_action jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    content bytea;
BEGIN
    IF p_type.action_code = 'patch_ops_code' THEN
        content := apr_decode_base64(p_action ->> 'new_content_base64');
        IF p_action ? 'new_content_sha256'
           AND p_action ->> 'new_content_sha256' <> encode(sha256(content), 'hex') THEN
            PERFORM apr_raise('content_hash_mismatch', 'new_content_sha256 is not the sha256 of the decoded content');
        END IF;
        -- The content's hash is part of the approved payload, so the handler
        -- can prove the bytes it writes are the bytes that were approved.
        RETURN p_action || jsonb_build_object('new_content_sha256', encode(sha256(content), 'hex'));
    END IF;
    IF p_action ? 'ttl_seconds' THEN
        IF (p_action ->> 'ttl_seconds')::bigint < 1 THEN
            PERFORM apr_raise('invalid_field', 'proposed_action.ttl_seconds must be at least 1');
        END IF;
        IF p_type.max_ttl_seconds IS NOT NULL AND (p_action ->> 'ttl_seconds')::bigint > p_type.max_ttl_seconds THEN
            PERFORM apr_raise('ttl_over_maximum', format('ttl_seconds %s is over the maximum of %s for %s',
                p_action ->> 'ttl_seconds', p_type.max_ttl_seconds, p_type.action_code));
        END IF;
    END IF;
    RETURN p_action;
END
$$;

-- The one Base64 decision: PostgreSQL's decode(..., 'base64'), refused as
-- bad_base64 when it cannot decode the text.
CREATE OR REPLACE FUNCTION apr_decode_base64(p_text text) RETURNS bytea
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
BEGIN
    RETURN decode(p_text, 'base64');
EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
    PERFORM apr_raise('bad_base64', 'proposed_action.new_content_base64 is not valid base64');
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION apr_validate_action(text, jsonb), apr_check_action_rules(apr_action_types, jsonb),
    apr_decode_base64(text), apr_payload_sha256(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION apr_payload_sha256(jsonb) TO apr_proposer, apr_approver, apr_executor, apr_reader;
