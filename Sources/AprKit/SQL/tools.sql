-- tools.sql: the tool registry of the owner runbook's step 5 (gov_tools,
-- migration 004). A tool is registered only through its own approved,
-- owner-gated register_tool APR, executed by apr-execute's register_tool
-- arm: every stage (birth -> admit -> register -> catalog) with its ledger
-- event, in one transaction.

-- The order of the stages; a stage is reached only from the one before it.
CREATE OR REPLACE FUNCTION gov_tool_stage_rank(p_stage text) RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT array_position(ARRAY['birth', 'admit', 'register', 'catalog'], p_stage) $$;

-- The register_tool arm: registers the tool of an approved register_tool
-- APR through every stage (birth -> admit -> register -> catalog), each
-- with its ledger event, records the dispatch attempt applied and moves the
-- APR to applied — one transaction. p_observed_sha256 is the sha256 of the
-- tool's bytes on disk, taken by the arm itself at admission; it must be
-- the approved tool_sha256 (readback checks the bytes again where they live).
-- A tool registered already is returned unchanged.
DROP FUNCTION IF EXISTS gov_tool_advance(text, text, text);
CREATE OR REPLACE FUNCTION gov_tool_register(p_apr_code text, p_observed_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    arm_ref constant text := 'apr-execute:register_tool';
    r apr_requests;
    t gov_tools;
    a apr_dispatches;
    stage text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_apr', format('no APR %s', p_apr_code));
    END IF;
    IF r.action_code <> 'register_tool' THEN
        PERFORM apr_raise('wrong_action', format('%s is a %s APR, not register_tool', r.apr_code, r.action_code));
    END IF;
    SELECT * INTO t FROM gov_tools WHERE apr_code = r.apr_code;
    IF t.stage = 'catalog' THEN
        RETURN jsonb_build_object('unchanged', true, 'apr_code', r.apr_code, 'tool_name', t.tool_name,
            'stage', t.stage, 'tool_path', t.tool_path, 'tool_sha256', t.tool_sha256, 'catalog', t.catalog);
    END IF;
    PERFORM apr_refuse_if_blocked(r);
    IF p_observed_sha256 IS DISTINCT FROM r.proposed_action ->> 'tool_sha256' THEN
        PERFORM apr_raise('tool_hash_mismatch', format('%s hashes to %s, not the approved %s',
            r.proposed_action ->> 'tool_path', coalesce(p_observed_sha256, 'nothing (no such file)'),
            r.proposed_action ->> 'tool_sha256'));
    END IF;

    PERFORM apr_begin_write();
    FOREACH stage IN ARRAY ARRAY['birth', 'admit', 'register', 'catalog'] LOOP
        IF coalesce(gov_tool_stage_rank(t.stage), 0) >= gov_tool_stage_rank(stage) THEN
            CONTINUE;  -- reached by the first release's stage-by-stage registration
        END IF;
        IF stage = 'birth' THEN
            INSERT INTO gov_tools (tool_name, apr_code, tool_path, tool_sha256, catalog, stage)
            VALUES (r.proposed_action ->> 'tool_name', r.apr_code, r.proposed_action ->> 'tool_path',
                    r.proposed_action ->> 'tool_sha256', r.proposed_action ->> 'catalog', 'birth')
            RETURNING * INTO t;
        ELSIF stage = 'admit' THEN
            UPDATE gov_tools SET stage = 'admit', admitted_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
        ELSIF stage = 'register' THEN
            UPDATE gov_tools SET stage = 'register', registered_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
        ELSE
            UPDATE gov_tools SET stage = 'catalog', cataloged_at = now() WHERE apr_code = r.apr_code RETURNING * INTO t;
        END IF;
        PERFORM gov_ledger_append('tool_' || stage, r.apr_code, t.tool_name,
            jsonb_build_object('tool_path', t.tool_path, 'tool_sha256', t.tool_sha256, 'catalog', t.catalog)
            || CASE WHEN stage = 'admit' THEN jsonb_build_object('observed_sha256', p_observed_sha256) ELSE '{}' END
            || CASE WHEN stage = 'catalog' THEN jsonb_build_object('apr_status', 'applied') ELSE '{}' END);
    END LOOP;
    a := apr_dispatch_settled(r, arm_ref, 'register_tool', 'applied', jsonb_build_object('tool_name', t.tool_name));
    UPDATE apr_requests SET status = 'applied', applied_at = now(),
           result = jsonb_build_object('tool_name', t.tool_name, 'stage', 'catalog', 'attempt', a.attempt)
     WHERE apr_code = r.apr_code;
    RETURN jsonb_build_object('apr_code', r.apr_code, 'tool_name', t.tool_name, 'stage', t.stage,
        'tool_path', t.tool_path, 'tool_sha256', t.tool_sha256, 'catalog', t.catalog);
END
$$;

REVOKE ALL ON FUNCTION gov_tool_stage_rank(text), gov_tool_register(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gov_tool_register(text, text) TO apr_executor;

DO $check$
BEGIN
    IF has_table_privilege('apr_executor', 'gov_tools', 'INSERT') THEN
        RAISE EXCEPTION 'readback: the executor can write gov_tools directly';
    END IF;
    IF (SELECT prosecdef FROM pg_proc WHERE oid = 'gov_tool_register(text, text)'::regprocedure) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: gov_tool_register must be SECURITY DEFINER';
    END IF;
END
$check$;
