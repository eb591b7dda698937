-- patch.sql: the patch_ops_code handler's side of the database: the
-- registry of patch targets (patch_targets, migration 003), the checks
-- before a file is touched, and the records of each outcome (vps_deploy_log
-- row, ledger event, APR status) in one transaction.

-- Registers or changes a root (run by the schema owner). Recorded in the
-- ledger like every governed change.
CREATE OR REPLACE FUNCTION patch_target_set(
    p_root text, p_syntax_check text, p_post_check text DEFAULT 'syntax',
    p_max_bytes integer DEFAULT 1048576, p_note text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    t patch_targets;
BEGIN
    PERFORM apr_begin_write();
    INSERT INTO patch_targets (root, syntax_check, post_check, max_bytes, note)
    VALUES (p_root, p_syntax_check, p_post_check, p_max_bytes, p_note)
    ON CONFLICT (root) DO UPDATE SET syntax_check = EXCLUDED.syntax_check,
        post_check = EXCLUDED.post_check, max_bytes = EXCLUDED.max_bytes, note = EXCLUDED.note
    RETURNING * INTO t;
    PERFORM gov_ledger_append('patch_target', NULL, p_root, to_jsonb(t));
    RETURN to_jsonb(t);
END
$$;

-- The registered root a file path falls under (the deepest one). The path
-- must be canonical and absolute; '..' is refused before any lookup, so a
-- path cannot climb out of the root it names. aprkit's own working files
-- beside a target (lock, temp, backup) are never targets themselves.
CREATE OR REPLACE FUNCTION patch_target_for(p_path text) RETURNS patch_targets
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    t patch_targets;
BEGIN
    IF p_path ~ '/\.\.(/|$)' THEN
        PERFORM apr_raise('path_traversal', format('%s climbs with ".."', p_path));
    END IF;
    IF p_path IS NULL OR p_path !~ '^/' OR p_path ~ '//' OR p_path ~ '/$' OR p_path ~ '/\.(/|$)'
       OR p_path ~ '[[:cntrl:]]' THEN
        PERFORM apr_raise('path_not_canonical', format('%s is not a canonical absolute file path', p_path));
    END IF;
    IF p_path ~ '/[^/]*\.aprkit-(lock|tmp|backup)[^/]*$' THEN
        PERFORM apr_raise('reserved_name', format('%s is one of patch-apply''s own lock, temp or backup files', p_path));
    END IF;
    SELECT * INTO t FROM patch_targets WHERE starts_with(p_path, root || '/')
     ORDER BY length(root) DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM apr_raise('unregistered_target', format('%s is not below a registered patch target root', p_path));
    END IF;
    RETURN t;
END
$$;

-- The patch_ops_code APR with this code, or the refusal that there is none.
CREATE OR REPLACE FUNCTION patch_apr(p_apr_code text) RETURNS apr_requests
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
BEGIN
    SELECT * INTO r FROM apr_requests WHERE apr_code = p_apr_code;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_apr', format('no APR %s', p_apr_code));
    END IF;
    IF r.action_code <> 'patch_ops_code' THEN
        PERFORM apr_raise('wrong_action', format('%s is a %s APR, not patch_ops_code', r.apr_code, r.action_code));
    END IF;
    RETURN r;
END
$$;

-- The APR a patch acts on, when it may act now: a patch_ops_code APR that is
-- approved and whose quorum still passes (checked again now: an approver
-- deactivated since voting no longer counts). An applied APR is returned as
-- it is: the caller reports it as already done.
CREATE OR REPLACE FUNCTION patch_eligible_apr(p_apr_code text) RETURNS apr_requests
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
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
    PERFORM apr_refuse_if_blocked(r, ARRAY['handler_unbound']);
    RETURN r;
END
$$;

-- What patch-apply reads before it touches a file: the approved payload, the
-- target's registry row and the APR's deploy-log rows, newest first. The
-- content comes decoded by the database (hex of its bytes), only when asked.
DROP FUNCTION IF EXISTS patch_plan_json(apr_requests, patch_targets);
CREATE OR REPLACE FUNCTION patch_plan_json(r apr_requests, t patch_targets, p_with_content boolean) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'apr_code', r.apr_code, 'status', r.status,
        'file_path', r.proposed_action ->> 'file_path',
        'new_content_hex', CASE WHEN p_with_content
                                THEN encode(apr_decode_base64(r.proposed_action ->> 'new_content_base64'), 'hex') END,
        'new_content_sha256', r.proposed_action ->> 'new_content_sha256',
        'expected_sha256_before', r.proposed_action ->> 'expected_sha256_before',
        'target', to_jsonb(t),
        'deploys', coalesce((SELECT jsonb_agg(to_jsonb(d) ORDER BY d.id DESC)
                               FROM vps_deploy_log d WHERE d.apr_code = r.apr_code), '[]'::jsonb))
$$;

-- The plan of an apply: refuses an APR that may not be applied now.
DROP FUNCTION IF EXISTS patch_plan(text);
CREATE OR REPLACE FUNCTION patch_plan(p_apr_code text, p_with_content boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_eligible_apr(p_apr_code);
    RETURN patch_plan_json(r, patch_target_for(r.proposed_action ->> 'file_path'), p_with_content);
END
$$;

-- The plan of a restore: an applied APR (or a revoked or failed one, which
-- the caller reports as nothing left to do). A restore never needs the content.
CREATE OR REPLACE FUNCTION patch_restore_plan(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_apr(p_apr_code);
    IF r.status NOT IN ('applied', 'revoked', 'failed') THEN
        PERFORM apr_raise('not_applied',
            format('%s is %s: it was never applied, so there is nothing to restore', r.apr_code, r.status));
    END IF;
    RETURN patch_plan_json(r, patch_target_for(r.proposed_action ->> 'file_path'), false);
END
$$;

-- The last deploy-log row of an APR with this status, marked unchanged: what
-- a second record of the same outcome reports instead of writing.
CREATE OR REPLACE FUNCTION patch_recorded(p_apr_code text, p_status text) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT to_jsonb(d) || jsonb_build_object('unchanged', true) FROM vps_deploy_log d
     WHERE d.apr_code = p_apr_code AND d.status = p_status ORDER BY d.id DESC LIMIT 1
$$;

-- Appends one deploy-log row and its ledger event (patch or restore).
DROP FUNCTION IF EXISTS patch_log(text, text, text, text, text, text, text, text, boolean, jsonb);
CREATE OR REPLACE FUNCTION patch_log(
    p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text,
    p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_apr_status text, p_detail jsonb
) RETURNS vps_deploy_log
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    d vps_deploy_log;
BEGIN
    IF p_host IS NULL OR btrim(p_host) = '' THEN
        PERFORM apr_raise('empty_host', 'the deploy log names its host');
    END IF;
    PERFORM apr_check_text('host', p_host, 255);
    PERFORM apr_check_text('backup_path', p_backup_path, 4096);
    PERFORM apr_begin_write();
    INSERT INTO vps_deploy_log (apr_code, host, file_path, sha256_before, sha256_after, backup_path,
                                status, is_known_good)
    VALUES (p_apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after, p_backup_path,
            p_status, coalesce(p_known_good, false))
    RETURNING * INTO d;
    PERFORM gov_ledger_append(p_event, p_apr_code, p_file_path,
        jsonb_build_object('deploy_id', d.id, 'status', d.status, 'host', d.host,
                           'sha256_before', d.sha256_before, 'sha256_after', d.sha256_after,
                           'backup_path', d.backup_path, 'is_known_good', d.is_known_good,
                           'apr_status', p_apr_status)
        || coalesce(p_detail, '{}'::jsonb));
    RETURN d;
END
$$;

-- Records the outcome of one apply: the deploy-log row, the APR's dispatch
-- attempt, its new status (applied on success, failed otherwise) and the
-- ledger event, together. Every check of the plan is made again here, under
-- the APR's row lock, and a success is accepted only as evidence: the bytes
-- now in the file hash to the approved new_content_sha256, and the database
-- itself decides that the deploy is known-good. One success per APR.
DROP FUNCTION IF EXISTS patch_record(text, text, text, text, text, text, text, boolean, jsonb);
CREATE OR REPLACE FUNCTION patch_record(
    p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text,
    p_backup_path text, p_status text, p_detail jsonb DEFAULT '{}'
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    arm_ref constant text := 'apr-execute:patch_ops_code';
    r apr_requests;
    d vps_deploy_log;
    a apr_dispatches;
    known_good boolean;
    new_status text;
BEGIN
    PERFORM apr_refuse_privileged_session();
    PERFORM 1 FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    r := patch_eligible_apr(p_apr_code);
    IF r.status = 'applied' THEN
        RETURN patch_recorded(r.apr_code, 'success');  -- recorded already: write nothing
    END IF;
    IF p_file_path IS DISTINCT FROM r.proposed_action ->> 'file_path' THEN
        PERFORM apr_raise('file_path_mismatch',
            format('%s patches %s, not %s', r.apr_code, r.proposed_action ->> 'file_path', p_file_path));
    END IF;
    PERFORM patch_target_for(p_file_path);
    IF p_status IS NULL OR p_status NOT IN ('success', 'failed') THEN
        PERFORM apr_raise('bad_deploy_status', 'an apply records success or failed');
    END IF;
    IF p_status = 'success' AND p_sha256_after IS DISTINCT FROM r.proposed_action ->> 'new_content_sha256' THEN
        PERFORM apr_raise('content_hash_mismatch', format('the file now hashes to %s, not to the approved %s',
            p_sha256_after, r.proposed_action ->> 'new_content_sha256'));
    END IF;
    known_good := p_status = 'success' AND p_sha256_after = r.proposed_action ->> 'new_content_sha256';
    new_status := CASE p_status WHEN 'success' THEN 'applied' ELSE 'failed' END;

    d := patch_log('patch', r.apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after,
                   p_backup_path, p_status, known_good, new_status, p_detail);
    a := apr_dispatch_settled(r, arm_ref, 'patch_ops_code', CASE p_status WHEN 'success' THEN 'applied' ELSE 'failed' END,
                              jsonb_build_object('deploy_id', d.id));
    UPDATE apr_requests
       SET status = new_status,
           applied_at = CASE p_status WHEN 'success' THEN now() END,
           result = jsonb_build_object('deploy_id', d.id, 'deploy_status', d.status, 'attempt', a.attempt,
                                       'sha256_after', d.sha256_after) || coalesce(p_detail, '{}'::jsonb)
     WHERE apr_code = r.apr_code;
    RETURN to_jsonb(d);
END
$$;

-- Records a restore: the rolled_back deploy-log row, the ledger event, and
-- the APR revoked. The restored bytes must be the bytes the patch replaced.
CREATE OR REPLACE FUNCTION patch_restore_record(
    p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text,
    p_backup_path text
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
    s vps_deploy_log;
    d vps_deploy_log;
BEGIN
    PERFORM apr_refuse_privileged_session();
    PERFORM 1 FROM apr_requests WHERE apr_code = p_apr_code FOR UPDATE;
    r := patch_apr(p_apr_code);
    IF r.status = 'revoked' THEN
        RETURN patch_recorded(r.apr_code, 'rolled_back');  -- restored already: write nothing
    END IF;
    IF r.status <> 'applied' THEN
        PERFORM apr_raise('not_applied', format('%s is %s: there is no applied patch to restore', r.apr_code, r.status));
    END IF;
    SELECT * INTO s FROM vps_deploy_log
     WHERE apr_code = r.apr_code AND status = 'success' ORDER BY id DESC LIMIT 1;
    IF p_file_path IS DISTINCT FROM s.file_path THEN
        PERFORM apr_raise('file_path_mismatch', format('%s patched %s, not %s', r.apr_code, s.file_path, p_file_path));
    END IF;
    IF p_sha256_before IS DISTINCT FROM s.sha256_after OR p_sha256_after IS DISTINCT FROM s.sha256_before THEN
        PERFORM apr_raise('restore_hash_mismatch', format('a restore of %s turns %s back into %s',
            r.apr_code, s.sha256_after, coalesce(s.sha256_before, 'no file')));
    END IF;

    d := patch_log('restore', r.apr_code, p_host, p_file_path, p_sha256_before, p_sha256_after,
                   p_backup_path, 'rolled_back', false, 'revoked', '{}');
    UPDATE apr_requests
       SET status = 'revoked',
           result = coalesce(r.result, '{}'::jsonb) || jsonb_build_object('restore_deploy_id', d.id)
     WHERE apr_code = r.apr_code;
    RETURN to_jsonb(d);
END
$$;

REVOKE ALL ON FUNCTION patch_target_set(text, text, text, integer, text), patch_target_for(text),
    patch_apr(text), patch_eligible_apr(text), patch_recorded(text, text),
    patch_log(text, text, text, text, text, text, text, text, boolean, text, jsonb),
    patch_plan_json(apr_requests, patch_targets, boolean), patch_plan(text, boolean), patch_restore_plan(text),
    patch_record(text, text, text, text, text, text, text, jsonb),
    patch_restore_record(text, text, text, text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION patch_plan(text, boolean), patch_restore_plan(text),
    patch_record(text, text, text, text, text, text, text, jsonb),
    patch_restore_record(text, text, text, text, text, text)
    TO apr_executor;

-- Readback assertions: RAISE, never ASSERT.
DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'patch\_%' AND a.grantee = 0) THEN
        RAISE EXCEPTION 'readback: a patch function is executable by PUBLIC';
    END IF;
    IF has_table_privilege('apr_executor', 'vps_deploy_log', 'INSERT')
       OR has_table_privilege('apr_executor', 'patch_targets', 'INSERT')
       OR has_table_privilege('apr_executor', 'apr_requests', 'UPDATE')
       OR has_function_privilege('apr_executor', 'patch_target_set(text, text, text, integer, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: the executor can write around the patch functions';
    END IF;
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE pronamespace = 'public'::regnamespace
           AND proname IN ('patch_plan', 'patch_restore_plan', 'patch_record', 'patch_restore_record')) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: the patch functions must be SECURITY DEFINER';
    END IF;
END
$check$;
