-- aprkit 006: the trust boundary (SPEC §3, §5).
--
-- Dispatch attempts: a dispatch claim carries an attempt number, a fencing
-- token; only the current attempt is settled, and an external handler lost
-- mid-run leaves its attempt indeterminate until an operator decides. At
-- most one attempt of an APR is open, and at most one applied.
ALTER TABLE apr_dispatches ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE apr_dispatches DROP CONSTRAINT apr_dispatches_pkey;
ALTER TABLE apr_dispatches ADD PRIMARY KEY (apr_code, attempt);
ALTER TABLE apr_dispatches ALTER COLUMN attempt DROP DEFAULT;
ALTER TABLE apr_dispatches DROP CONSTRAINT apr_dispatches_outcome_check;
ALTER TABLE apr_dispatches ADD CONSTRAINT apr_dispatches_outcome_check
    CHECK (outcome IN ('applied', 'failed', 'interrupted', 'indeterminate'));
-- The sha256 of the handler file an external attempt ran: the bytes of the
-- last governed deploy of its path.
ALTER TABLE apr_dispatches ADD COLUMN handler_sha256 text CHECK (handler_sha256 ~ '^[0-9a-f]{64}$');
CREATE UNIQUE INDEX apr_dispatches_one_open ON apr_dispatches (apr_code) WHERE outcome IS NULL;
CREATE UNIQUE INDEX apr_dispatches_one_applied ON apr_dispatches (apr_code) WHERE outcome = 'applied';

-- An APR that is proposed or approved may be withdrawn: cancelled, never
-- to be voted on, dispatched or applied.
ALTER TABLE apr_requests ADD COLUMN cancelled_at timestamptz;
ALTER TABLE apr_requests ADD COLUMN cancelled_by text;
ALTER TABLE apr_requests ADD COLUMN cancel_reason text;
ALTER TABLE apr_requests DROP CONSTRAINT apr_requests_status_check;
ALTER TABLE apr_requests ADD CONSTRAINT apr_requests_status_check
    CHECK (status IN ('proposed', 'approved', 'rejected', 'expired', 'applied', 'failed', 'revoked', 'cancelled'));
ALTER TABLE apr_requests ADD CONSTRAINT apr_requests_cancelled_check
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL AND cancel_reason IS NOT NULL));

-- The database keeps the tools' limits, so psql cannot write what the
-- tools refuse.
ALTER TABLE apr_requests
    ADD CONSTRAINT apr_requests_request_type_size CHECK (octet_length(request_type) <= 64),
    ADD CONSTRAINT apr_requests_session_code_size CHECK (octet_length(session_code) <= 128),
    ADD CONSTRAINT apr_requests_reason_size CHECK (octet_length(reason) <= 4096),
    ADD CONSTRAINT apr_requests_payload_size CHECK (octet_length(proposed_action::text) <= 2097152),
    ADD CONSTRAINT apr_requests_cancel_reason_size CHECK (octet_length(cancel_reason) BETWEEN 1 AND 4096);
ALTER TABLE governance_build_authorization
    ADD CONSTRAINT governance_build_authorization_revoked_reason_size CHECK (octet_length(revoked_reason) <= 4096);

-- One successful deploy per APR.
CREATE UNIQUE INDEX vps_deploy_log_one_success ON vps_deploy_log (apr_code) WHERE status = 'success';

-- Registering a tool is owner-gated (high risk: two approvers AND an owner),
-- bound to the tool's bytes, and executed by apr-execute's built-in
-- register_tool arm like every other change.
UPDATE apr_action_types SET risk_level = 'high',
       handler_ref = coalesce(handler_ref, 'apr-execute:register_tool')
 WHERE action_code = 'register_tool';
UPDATE apr_action_fields SET required = true WHERE action_code = 'register_tool' AND field = 'tool_sha256';

INSERT INTO apr_reasons (reason, sqlstate, exit_status) VALUES
    ('payload_changed', 'AKF60', 1),
    ('direct_write_refused', 'AKF61', 1),
    ('stale_attempt', 'AKF62', 1),
    ('apr_cancelled', 'AKF63', 1),
    ('handler_not_governed', 'AKT06', 3),
    ('dispatch_indeterminate', 'AKT07', 3),
    ('migration_escaped_transaction', 'AKT08', 3),
    ('invalid_text', 'AKD31', 65);

DO $check$
BEGIN
    IF (SELECT risk_level FROM apr_action_types WHERE action_code = 'register_tool') <> 'high' THEN
        RAISE EXCEPTION 'readback: register_tool is not high risk';
    END IF;
    IF EXISTS (SELECT 1 FROM apr_dispatches GROUP BY apr_code HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'readback: an APR has more than one dispatch attempt before attempts existed';
    END IF;
END
$check$;
