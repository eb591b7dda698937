-- aprkit 005: the reason registry, and the record of the repeatable files.
--
-- apr_reasons is the one registry of refusal reasons: the SQL raises a
-- refusal by its reason (apr_raise), the tools map the SQLSTATE back to the
-- reason and its exit status, the man pages list them. One reason, one
-- SQLSTATE, one exit status. The third letter of the SQLSTATE names the exit
-- status: F 1 (FAIL), S 2 (SKIP), T 3 (STOP), U 64 (usage), D 65 (bad input
-- data), N 69 (unavailable), X 70 (internal), B 75 (temporary). Rows are
-- added by later migrations, never changed.
--
-- gov_repeatables records the repeatable files (the functions, views,
-- triggers and privileges of one area): gov-migrate applies a file again
-- whenever the sha256 of its bytes differs from the one recorded here, and
-- never when the aprkit that recorded it is newer than itself.

CREATE TABLE apr_reasons (
    reason      text PRIMARY KEY CHECK (reason ~ '^[a-z][a-z0-9_]{0,62}$'),
    sqlstate    text NOT NULL UNIQUE CHECK (sqlstate ~ '^AK[FSTUDNXB][0-9A-Z]{2}$'),
    exit_status integer NOT NULL CHECK (exit_status IN (1, 2, 3, 64, 65, 69, 70, 75)),
    CHECK (exit_status = CASE substr(sqlstate, 3, 1)
                             WHEN 'F' THEN 1 WHEN 'S' THEN 2 WHEN 'T' THEN 3 WHEN 'U' THEN 64
                             WHEN 'D' THEN 65 WHEN 'N' THEN 69 WHEN 'X' THEN 70 WHEN 'B' THEN 75 END)
);

CREATE TABLE gov_repeatables (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]*\.sql$'),
    checksum       text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    aprkit_version text NOT NULL CHECK (aprkit_version ~ '^[0-9]+(\.[0-9]+)*$'),
    applied_at     timestamptz NOT NULL DEFAULT now(),
    applied_by     text NOT NULL DEFAULT session_user
);

INSERT INTO apr_reasons (reason, sqlstate, exit_status) VALUES
    -- FAIL (1): refused; nothing written.
    ('ledger_append_only', 'AKF01', 1),
    ('apr_immutable', 'AKF02', 1),
    ('bad_status_transition', 'AKF03', 1),
    ('content_hash_mismatch', 'AKF04', 1),
    ('ttl_over_maximum', 'AKF05', 1),
    ('unknown_action', 'AKF06', 1),
    ('request_type_mismatch', 'AKF07', 1),
    ('reason_pattern_mismatch', 'AKF08', 1),
    ('privileged_session', 'AKF09', 1),
    ('unknown_apr', 'AKF10', 1),
    ('not_an_approver', 'AKF11', 1),
    ('own_apr', 'AKF12', 1),
    ('already_voted', 'AKF13', 1),
    ('apr_not_open', 'AKF14', 1),
    ('apr_expired', 'AKF15', 1),
    ('unknown_role', 'AKF16', 1),
    ('vote_immutable', 'AKF17', 1),
    ('dispatch_immutable', 'AKF18', 1),
    ('grant_immutable', 'AKF19', 1),
    ('wrong_action', 'AKF20', 1),
    ('apr_rejected', 'AKF21', 1),
    ('apr_revoked', 'AKF22', 1),
    ('apr_failed', 'AKF23', 1),
    ('already_dispatched', 'AKF24', 1),
    ('handler_unbound', 'AKF25', 1),
    ('payload_hash_mismatch', 'AKF26', 1),
    ('dispatch_lock_not_held', 'AKF27', 1),
    ('dispatch_not_open', 'AKF28', 1),
    ('handler_update_count', 'AKF29', 1),
    ('path_traversal', 'AKF30', 1),
    ('path_not_canonical', 'AKF31', 1),
    ('reserved_name', 'AKF32', 1),
    ('unregistered_target', 'AKF33', 1),
    ('not_applied', 'AKF34', 1),
    ('file_path_mismatch', 'AKF35', 1),
    ('restore_hash_mismatch', 'AKF36', 1),
    ('stage_out_of_order', 'AKF37', 1),
    ('tool_hash_mismatch', 'AKF38', 1),
    ('upstream_refused', 'AKF39', 1),
    ('arm_not_implemented', 'AKF40', 1),
    ('arm_action_mismatch', 'AKF41', 1),
    ('handler_syntax_failed', 'AKF42', 1),
    ('handler_failed', 'AKF43', 1),
    ('checksum_mismatch', 'AKF44', 1),
    ('migration_failed', 'AKF45', 1),
    ('schema_not_current', 'AKF46', 1),
    ('staged_file_unwritable', 'AKF47', 1),
    ('readback_failed', 'AKF48', 1),
    ('sha256_before_mismatch', 'AKF49', 1),
    ('target_not_regular', 'AKF50', 1),
    ('target_is_symlink', 'AKF51', 1),
    ('target_changed', 'AKF52', 1),
    ('symlink_escape', 'AKF53', 1),
    ('missing_parent', 'AKF54', 1),
    ('backup_missing', 'AKF55', 1),
    ('backup_corrupt', 'AKF56', 1),
    ('migration_immutable', 'AKF57', 1),
    ('reason_immutable', 'AKF58', 1),
    ('schema_newer', 'AKF59', 1),
    -- SKIP (2): not eligible yet; nothing written.
    ('not_approved', 'AKS01', 2),
    ('quorum_not_met', 'AKS02', 2),
    ('no_grant', 'AKS03', 2),
    -- STOP (3): a stop condition fired.
    ('handler_ref_not_persisted', 'AKT01', 3),
    ('syntax_check_failed', 'AKT02', 3),
    ('post_check_failed', 'AKT03', 3),
    ('undo_failed', 'AKT04', 3),
    ('dispatch_interrupted', 'AKT05', 3),
    -- usage (64)
    ('usage', 'AKU01', 64),
    ('unknown_checklist', 'AKU02', 64),
    ('bad_parameter', 'AKU03', 64),
    ('missing_parameter', 'AKU04', 64),
    ('unknown_parameter', 'AKU05', 64),
    ('reserved_parameter', 'AKU06', 64),
    -- bad input data (65): refused; nothing written.
    ('wrong_type', 'AKD01', 65),
    ('unknown_field', 'AKD02', 65),
    ('missing_field', 'AKD03', 65),
    ('field_too_long', 'AKD04', 65),
    ('invalid_field', 'AKD05', 65),
    ('bad_base64', 'AKD06', 65),
    ('bad_decision', 'AKD07', 65),
    ('empty_reason', 'AKD08', 65),
    ('empty_session_code', 'AKD09', 65),
    ('bad_outcome', 'AKD10', 65),
    ('unknown_stage', 'AKD11', 65),
    ('bad_deploy_status', 'AKD12', 65),
    ('bad_known_good', 'AKD13', 65),
    ('empty_host', 'AKD14', 65),
    ('malformed_json', 'AKD15', 65),
    ('empty_input', 'AKD16', 65),
    ('input_too_large', 'AKD17', 65),
    ('invalid_apr_code', 'AKD18', 65),
    ('invalid_handler_ref', 'AKD19', 65),
    ('not_utf8', 'AKD20', 65),
    ('unreadable_file', 'AKD21', 65),
    ('bad_migration_name', 'AKD22', 65),
    ('transaction_control_in_migration', 'AKD23', 65),
    ('bad_checklist', 'AKD24', 65),
    ('bad_expectation', 'AKD25', 65),
    ('duplicate_item', 'AKD26', 65),
    ('empty_checklist', 'AKD27', 65),
    ('not_a_query', 'AKD28', 65),
    ('bad_ledger_head', 'AKD29', 65),
    ('content_too_large', 'AKD30', 65),
    -- unavailable (69): nothing written; re-run when the database answers.
    ('database_unavailable', 'AKN01', 69),
    ('authentication_failed', 'AKN02', 69),
    -- internal (70)
    ('internal_error', 'AKX01', 70),
    ('database_error', 'AKX02', 70),
    ('unregistered_reason', 'AKX03', 70),
    ('io_error', 'AKX04', 70),
    ('spawn_failed', 'AKX05', 70),
    ('checker_missing', 'AKX06', 70),
    ('unknown_check', 'AKX07', 70),
    ('temp_verify_failed', 'AKX08', 70),
    ('ledger_head_not_saved', 'AKX09', 70),
    -- temporary (75): safe to re-run.
    ('database_busy', 'AKB01', 75),
    ('serialization_retries_exhausted', 'AKB02', 75),
    ('dispatch_in_progress', 'AKB03', 75),
    ('lock_busy', 'AKB04', 75),
    ('migration_escaped_transaction', 'AKT08', 3);

-- Readback assertions: RAISE, never ASSERT.
DO $check$
BEGIN
    IF (SELECT count(*) FROM apr_reasons) <> (SELECT count(DISTINCT sqlstate) FROM apr_reasons) THEN
        RAISE EXCEPTION 'readback: two reasons share an SQLSTATE';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM apr_reasons WHERE reason = 'unregistered_reason') THEN
        RAISE EXCEPTION 'readback: the registry has no unregistered_reason';
    END IF;
END
$check$;
