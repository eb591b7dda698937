-- aprkit 008: an approver is a database role by its identity, not its name.
--
-- A role with CREATEROLE could rename an approver's role and create a new
-- role under the old name, which then voted as the approver. Each approver
-- now carries the oid of the role it was registered as; a vote from a
-- session whose role has that name but another oid is refused
-- (approver_role_replaced). Existing approvers take the oid their name has
-- now, recorded in the ledger so readback holds the row to it.
--
-- The proposer likewise: an APR records the oid of the role that proposed
-- it, so a role renamed while it proposes cannot vote on its own APR under
-- its usual name (own_apr compares oids). Existing APRs take the oid their
-- proposer's name has now.
ALTER TABLE apr_approvers ADD COLUMN role_oid oid;
ALTER TABLE apr_requests ADD COLUMN proposed_by_oid oid;
UPDATE apr_requests a SET proposed_by_oid = r.oid FROM pg_roles r WHERE r.rolname = a.proposed_by;
UPDATE apr_approvers a SET role_oid = r.oid FROM pg_roles r WHERE r.rolname = a.approver;

DO $record$
DECLARE
    a apr_approvers;
BEGIN
    FOR a IN SELECT * FROM apr_approvers ORDER BY approver LOOP
        PERFORM gov_ledger_append('approver', NULL, a.approver,
            jsonb_build_object('role', a.role, 'active', a.active, 'role_oid', a.role_oid));
    END LOOP;
END
$record$;

INSERT INTO apr_reasons (reason, sqlstate, exit_status) VALUES
    ('approver_role_replaced', 'AKF71', 1);
