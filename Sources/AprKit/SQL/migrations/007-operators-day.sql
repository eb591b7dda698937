-- aprkit 007: the operator's day (apr-list, apr-show, apr-cancel, apr-log,
-- apr-quorum --wait) and one active grant per target.

-- One active grant per target. A database that already holds two active
-- grants for one target stops here and names them: revoke all but one
-- (grant-mint --revoke) and run gov-migrate again.
DO $check$
DECLARE
    dup text;
BEGIN
    SELECT string_agg(format('%s (%s)', t, codes), ', ') INTO dup
      FROM (SELECT scope ->> 'target' AS t, string_agg(auth_code, ' ' ORDER BY auth_code) AS codes
              FROM governance_build_authorization
             WHERE status = 'active' AND scope ->> 'target' IS NOT NULL
             GROUP BY 1 HAVING count(*) > 1) d;
    IF dup IS NOT NULL THEN
        RAISE EXCEPTION 'aprkit 007: more than one active grant for one target: %', dup
            USING HINT = 'revoke all but one with grant-mint --revoke, then run gov-migrate again';
    END IF;
END
$check$;
CREATE UNIQUE INDEX governance_build_authorization_one_active_target
    ON governance_build_authorization ((scope ->> 'target')) WHERE status = 'active';
-- grant-mint --expire-due: the active grants by expiry.
CREATE INDEX governance_build_authorization_active_expiry
    ON governance_build_authorization (expires_at) WHERE status = 'active';

-- apr-list: newest first, alone or under one filter.
CREATE INDEX apr_requests_newest ON apr_requests (created_at DESC, apr_code DESC);
CREATE INDEX apr_requests_status_newest ON apr_requests (status, created_at DESC, apr_code DESC);
CREATE INDEX apr_requests_action_newest ON apr_requests (action_code, created_at DESC, apr_code DESC);
CREATE INDEX apr_requests_target_newest
    ON apr_requests ((proposed_action ->> 'target'), created_at DESC, apr_code DESC);
CREATE INDEX apr_requests_proposer_newest ON apr_requests (proposed_by, created_at DESC, apr_code DESC);
-- Expiry of the open APRs (the expiry sweep, apr-list --awaiting).
CREATE INDEX apr_requests_open_expiry ON apr_requests (expires_at) WHERE status IN ('proposed', 'approved');
-- apr-list --awaiting: the votes an approver has cast.
CREATE INDEX apr_votes_approver ON apr_votes (approver, apr_code);
-- apr-show: an APR's deploy rows.
CREATE INDEX vps_deploy_log_apr ON vps_deploy_log (apr_code, id);
-- apr-log --event: the events of one kind in order.
CREATE INDEX gov_ledger_event_seq ON gov_ledger (event, seq);

INSERT INTO apr_reasons (reason, sqlstate, exit_status) VALUES
    ('target_has_active_grant', 'AKF64', 1),
    ('not_a_proposer', 'AKF65', 1),
    ('not_an_executor', 'AKF66', 1),
    ('not_a_reader', 'AKF67', 1),
    ('nothing_to_revoke', 'AKF68', 1),
    ('apr_not_cancellable', 'AKF69', 1),
    ('cancel_not_allowed', 'AKF70', 1),
    ('schema_missing', 'AKN03', 69),
    ('wait_timed_out', 'AKB05', 75);
