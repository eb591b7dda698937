-- approvers.sql: who may approve (apr_approvers, migration 001), and which
-- sessions may not act at all because their votes or writes would prove
-- nothing.

-- True when the session's role may not act as an approver, proposer or
-- executor: a superuser or a BYPASSRLS role could bypass every invariant,
-- so what it does proves nothing.
CREATE OR REPLACE FUNCTION apr_session_is_privileged() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user), true) $$;

-- Registers or updates an approver (run by the schema owner). The role must
-- exist; it is granted apr_approver.
CREATE OR REPLACE FUNCTION apr_approver_set(p_approver text, p_role text, p_active boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_approver) THEN
        PERFORM apr_raise('unknown_role', format('no database role %s', p_approver));
    END IF;
    INSERT INTO apr_approvers (approver, role, active) VALUES (p_approver, p_role, p_active)
    ON CONFLICT (approver) DO UPDATE SET role = EXCLUDED.role, active = EXCLUDED.active;
    EXECUTE format('GRANT apr_approver TO %I', p_approver);
    PERFORM gov_ledger_append('approver', NULL, p_approver,
        jsonb_build_object('role', p_role, 'active', p_active));
    RETURN jsonb_build_object('approver', p_approver, 'role', p_role, 'active', p_active);
END
$$;

REVOKE ALL ON FUNCTION apr_session_is_privileged(), apr_approver_set(text, text, boolean) FROM PUBLIC;
