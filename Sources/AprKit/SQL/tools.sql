-- tools.sql: the tool registry of the owner runbook's step 5 (gov_tools,
-- migration 004). A tool is registered only through its own approved
-- register_tool APR, stage by stage (birth -> admit -> register -> catalog),
-- each stage recorded with its ledger event.

-- The order of the stages; a stage is reached only from the one before it.
CREATE OR REPLACE FUNCTION gov_tool_stage_rank(p_stage text) RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT array_position(ARRAY['birth', 'admit', 'register', 'catalog'], p_stage) $$;

-- Advances the tool of an approved register_tool APR to p_stage. Re-running
-- a stage already reached changes nothing; the last stage applies the APR.
-- p_observed_sha256 is the hash the caller read from the file at admission.
CREATE OR REPLACE FUNCTION gov_tool_advance(p_apr_code text, p_stage text, p_observed_sha256 text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    t gov_tools;
    want integer := gov_tool_stage_rank(p_stage);
    have integer;
BEGIN
    IF want IS NULL THEN
        PERFORM apr_raise('unknown_stage', format('%s is not a stage (birth, admit, register, catalog)', p_stage));
    END IF;
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_apr', format('no APR %s', p_apr_code));
    END IF;
    IF r.action_code <> 'register_tool' THEN
        PERFORM apr_raise('wrong_action', format('%s is a %s APR, not register_tool', r.apr_code, r.action_code));
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
        PERFORM apr_raise('stage_out_of_order', format('%s is at %s; %s comes later',
            r.proposed_action ->> 'tool_name', coalesce(t.stage, 'nothing'), p_stage));
    END IF;

    IF p_stage = 'birth' THEN
        INSERT INTO gov_tools (tool_name, apr_code, tool_path, tool_sha256, catalog, stage)
        VALUES (r.proposed_action ->> 'tool_name', r.apr_code, r.proposed_action ->> 'tool_path',
                r.proposed_action ->> 'tool_sha256', r.proposed_action ->> 'catalog', 'birth')
        RETURNING * INTO t;
    ELSIF p_stage = 'admit' THEN
        -- Admission checks the bytes on disk against the approved hash.
        IF t.tool_sha256 IS NOT NULL AND p_observed_sha256 IS DISTINCT FROM t.tool_sha256 THEN
            PERFORM apr_raise('tool_hash_mismatch', format('%s hashes to %s, not the approved %s', t.tool_path,
                coalesce(p_observed_sha256, 'nothing'), t.tool_sha256));
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

REVOKE ALL ON FUNCTION gov_tool_stage_rank(text), gov_tool_advance(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gov_tool_advance(text, text, text) TO apr_executor;

DO $check$
BEGIN
    IF has_table_privilege('apr_executor', 'gov_tools', 'INSERT') THEN
        RAISE EXCEPTION 'readback: the executor can write gov_tools directly';
    END IF;
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'gov_tool_advance(text, text, text)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: gov_tool_advance must be SECURITY DEFINER';
    END IF;
END
$check$;
