-- aprkit 003 patch: patch targets, and recording patch_ops_code deploys.
-- Refusals use SQLSTATE AKF4x/AKS4x (reason code as the message), as in 001.

-- Where patch-apply may write: every file below a registered root directory,
-- checked with the root's syntax check. There is no "none": a file type with
-- no syntax check cannot be registered, so it cannot be patched.
CREATE TABLE patch_targets (
    root         text PRIMARY KEY
                 CHECK (root ~ '^(/[^/[:cntrl:]]+)+$' AND root !~ '/\.\.?(/|$)'),
    syntax_check text NOT NULL CHECK (syntax_check IN ('bash -n', 'sh -n')),
    -- After the swap: 'syntax' runs the syntax check again on the installed
    -- file; 'self-check' runs the installed file as `FILE --self-check` (an
    -- apr-execute handler checks itself).
    post_check   text NOT NULL DEFAULT 'syntax' CHECK (post_check IN ('syntax', 'self-check')),
    max_bytes    integer NOT NULL DEFAULT 1048576 CHECK (max_bytes BETWEEN 1 AND 1048576),
    note         text
);

-- Registers or changes a root (run by the schema owner, e.g. in a staged
-- migration). Recorded in the ledger like every governed change.
CREATE FUNCTION patch_target_set(
    p_root text, p_syntax_check text, p_post_check text DEFAULT 'syntax',
    p_max_bytes integer DEFAULT 1048576, p_note text DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
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

-- The registered root a file path falls under (the deepest one). The path
-- must be canonical and absolute; '..' is refused before any lookup, so a
-- path cannot climb out of the root it names. aprkit's own working files
-- beside a target (lock, temp, backup) are never targets themselves.
CREATE FUNCTION patch_target_for(p_path text) RETURNS patch_targets
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
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
$$;

-- The patch_ops_code APR with this code, or the refusal that there is none.
CREATE FUNCTION patch_apr(p_apr_code text) RETURNS apr_requests
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
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

-- The APR a patch acts on, when it may act now: a patch_ops_code APR that is
-- approved and whose quorum still passes (checked again now: an approver
-- deactivated since voting no longer counts). An applied APR is returned as
-- it is: the caller reports it as already done.
CREATE FUNCTION patch_eligible_apr(p_apr_code text) RETURNS apr_requests
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
    PERFORM apr_refuse_if_blocked(r, ARRAY['handler_unbound', 'privileged_session']);
    RETURN r;
END
$$;

-- What patch-apply reads before it touches a file: the approved payload, the
-- target's registry row and the APR's deploy-log rows, newest first.
CREATE FUNCTION patch_plan_json(r apr_requests, t patch_targets) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
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

-- The plan of an apply: refuses an APR that may not be applied now.
CREATE FUNCTION patch_plan(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    r apr_requests;
BEGIN
    r := patch_eligible_apr(p_apr_code);
    RETURN patch_plan_json(r, patch_target_for(r.proposed_action ->> 'file_path'));
END
$$;

-- The plan of a restore: an applied APR (or a revoked or failed one, which
-- the caller reports as nothing left to do).
CREATE FUNCTION patch_restore_plan(p_apr_code text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
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

-- The last deploy-log row of an APR with this status, marked unchanged: what
-- a second record of the same outcome reports instead of writing.
CREATE FUNCTION patch_recorded(p_apr_code text, p_status text) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT to_jsonb(d) || jsonb_build_object('unchanged', true) FROM vps_deploy_log d
     WHERE d.apr_code = p_apr_code AND d.status = p_status ORDER BY d.id DESC LIMIT 1
$$;

-- Appends one deploy-log row and its ledger event (patch or restore).
CREATE FUNCTION patch_log(
    p_event text, p_apr_code text, p_host text, p_file_path text, p_sha256_before text,
    p_sha256_after text, p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb
) RETURNS vps_deploy_log
LANGUAGE plpgsql
SET search_path = public, pg_temp
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

-- Records the outcome of one apply: the deploy-log row, the ledger event and
-- the APR's new status (applied on success, failed otherwise), together.
-- Every check of the plan is made again here, under the APR's row lock, so a
-- psql session with the executor role cannot record what the tool would refuse.
CREATE FUNCTION patch_record(
    p_apr_code text, p_host text, p_file_path text, p_sha256_before text, p_sha256_after text,
    p_backup_path text, p_status text, p_known_good boolean, p_detail jsonb DEFAULT '{}'
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
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

-- Records a restore: the rolled_back deploy-log row, the ledger event, and
-- the APR revoked. The restored bytes must be the bytes the patch replaced.
CREATE FUNCTION patch_restore_record(
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

REVOKE ALL ON TABLE patch_targets FROM PUBLIC;
GRANT SELECT ON TABLE patch_targets TO apr_proposer, apr_approver, apr_executor, apr_reader;
REVOKE ALL ON FUNCTION patch_target_set(text, text, text, integer, text), patch_target_for(text),
    patch_apr(text), patch_eligible_apr(text), patch_recorded(text, text),
    patch_log(text, text, text, text, text, text, text, text, boolean, jsonb),
    patch_plan_json(apr_requests, patch_targets), patch_plan(text), patch_restore_plan(text),
    patch_record(text, text, text, text, text, text, text, boolean, jsonb),
    patch_restore_record(text, text, text, text, text, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION patch_plan(text), patch_restore_plan(text),
    patch_record(text, text, text, text, text, text, text, boolean, jsonb),
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
    IF NOT has_function_privilege('apr_executor', 'patch_record(text, text, text, text, text, text, text, boolean, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: the executor cannot record a patch';
    END IF;
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE pronamespace = 'public'::regnamespace
           AND proname IN ('patch_plan', 'patch_restore_plan', 'patch_record', 'patch_restore_record')) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: the patch functions must be SECURITY DEFINER';
    END IF;
END
$check$;