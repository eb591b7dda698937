-- readback checklist post-grant: step 7 of the owner runbook, read back
-- after a real governed run of an authorize_build_step APR.
--
-- Parameters:
--   apr           the authorize_build_step APR that was run (APR-NNNNNN)
--   target        the build target of its grant, e.g. DOT_C1_VOCAB_BUILD
--   handler_ref   the handler the action must be bound to,
--                 e.g. apr-execute:authorize_build_step
--   handler_file  the handler file the code patch deployed
--   grants_before the number of build authorizations before the run

-- name: grant_count
-- expect: = 1
-- Exactly one build authorization more than before the run (none
-- before a first run: grants_before=0).
SELECT count(*) - :grants_before::bigint FROM governance_build_authorization;

-- name: grant_active_for_target
-- expect: = 1
-- One active grant for the target: the APR's own.
SELECT count(*) FROM governance_build_authorization
 WHERE status = 'active' AND scope ->> 'target' = :target;

-- name: grant_auth_code
-- expect: = :apr
-- The grant is GBA-C1-<apr>, and it refers back to the APR.
SELECT request_ref FROM governance_build_authorization WHERE auth_code = 'GBA-C1-' || :apr;

-- name: grant_status
-- expect: = active
SELECT status FROM governance_build_authorization WHERE request_ref = :apr;

-- name: grant_commit_allowed
-- expect: = false
SELECT commit_allowed FROM governance_build_authorization WHERE request_ref = :apr;

-- name: grant_requires_sovereign_esign
-- expect: = false
SELECT requires_sovereign_esign FROM governance_build_authorization WHERE request_ref = :apr;

-- name: grant_scope_target
-- expect: = :target
SELECT scope ->> 'target' FROM governance_build_authorization WHERE request_ref = :apr;

-- name: grant_expires_after_granted
-- expect: = true
SELECT expires_at > granted_at FROM governance_build_authorization WHERE request_ref = :apr;

-- name: handler_ref
-- expect: = :handler_ref
-- The APR's action type is bound to the expected handler.
SELECT a.handler_ref
  FROM apr_action_types a JOIN apr_requests r USING (action_code)
 WHERE r.apr_code = :apr;

-- name: apr_status
-- expect: = applied
SELECT status FROM apr_requests WHERE apr_code = :apr;

-- name: apr_applied_at
-- expect: is not null
SELECT applied_at FROM apr_requests WHERE apr_code = :apr;

-- name: apr_quorum_passed
-- expect: = true
-- Evaluated now: an approver deactivated since the vote no longer counts.
SELECT quorum_passed(:apr);

-- name: deploy_status
-- expect: = success
-- The last deploy of the handler file.
SELECT status FROM vps_deploy_log WHERE file_path = :handler_file ORDER BY id DESC LIMIT 1;

-- name: deploy_known_good
-- expect: = true
SELECT is_known_good FROM vps_deploy_log WHERE file_path = :handler_file ORDER BY id DESC LIMIT 1;

-- name: ledger_chain_intact
-- expect: = intact
-- @include ledger-chain.sql
