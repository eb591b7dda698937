-- approvers.sql: who may approve (apr_approvers, migration 001), and which
-- sessions may not act at all because their votes or writes would prove
-- nothing.

-- True when the session's role may not propose, vote or execute, because
-- what it does would prove nothing: it can bypass the invariants itself. A
-- session is privileged when its role is superuser, BYPASSRLS or CREATEROLE
-- (a CREATEROLE role can grant itself pg_write_all_data), or is a member,
-- directly or not, of a superuser, CREATEROLE or BYPASSRLS role (SET ROLE
-- reaches its attributes), of pg_write_all_data, of the roles
-- that run programs or write and read files as the server
-- (pg_execute_server_program, pg_write_server_files, pg_read_server_files:
-- each reaches the data directory), of the schema owner (who owns the
-- tables and can switch their guards off), or of the database owner (who
-- can rename the schema aprkit lives in and put another in its place).
CREATE OR REPLACE FUNCTION apr_session_is_privileged() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT s.rolsuper OR s.rolbypassrls OR s.rolcreaterole
            OR pg_has_role(s.oid, 'pg_write_all_data', 'MEMBER')
            OR pg_has_role(s.oid, 'pg_execute_server_program', 'MEMBER')
            OR pg_has_role(s.oid, 'pg_write_server_files', 'MEMBER')
            OR pg_has_role(s.oid, 'pg_read_server_files', 'MEMBER')
            OR pg_has_role(s.oid, (SELECT relowner FROM pg_class WHERE oid = 'public.apr_requests'::regclass), 'MEMBER')
            OR pg_has_role(s.oid, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER')
            OR EXISTS (SELECT 1 FROM pg_roles su WHERE (su.rolsuper OR su.rolcreaterole OR su.rolbypassrls)
                                                   AND pg_has_role(s.oid, su.oid, 'MEMBER'))
          FROM pg_roles s WHERE s.rolname = session_user), true)
$$;

-- The refusal of a privileged session, naming what makes it privileged.
CREATE OR REPLACE FUNCTION apr_refuse_privileged_session() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    why text;
BEGIN
    IF NOT apr_session_is_privileged() THEN
        RETURN;
    END IF;
    SELECT CASE
               WHEN s.rolsuper THEN 'a superuser'
               WHEN s.rolbypassrls THEN 'a BYPASSRLS role'
               WHEN s.rolcreaterole THEN 'a CREATEROLE role'
               WHEN pg_has_role(s.oid, 'pg_write_all_data', 'MEMBER') THEN 'a member of pg_write_all_data'
               WHEN pg_has_role(s.oid, 'pg_execute_server_program', 'MEMBER') THEN 'a member of pg_execute_server_program'
               WHEN pg_has_role(s.oid, 'pg_write_server_files', 'MEMBER') THEN 'a member of pg_write_server_files'
               WHEN pg_has_role(s.oid, 'pg_read_server_files', 'MEMBER') THEN 'a member of pg_read_server_files'
               WHEN pg_has_role(s.oid, (SELECT relowner FROM pg_class WHERE oid = 'public.apr_requests'::regclass), 'MEMBER')
                   THEN 'the schema owner or a member of it'
               WHEN pg_has_role(s.oid, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER')
                   THEN 'the database owner or a member of it'
               ELSE 'a member of a superuser, CREATEROLE or BYPASSRLS role'
           END INTO why
      FROM pg_roles s WHERE s.rolname = session_user;
    PERFORM apr_raise('privileged_session',
        format('%s is %s: what it proposes, votes or executes would prove nothing; act as an ordinary role',
               session_user, coalesce(why, 'not a known role')));
END
$$;

-- Registers or updates an approver (run by the schema owner). The role must
-- exist; it is granted apr_approver. The approver is that role by its oid:
-- a role created later under the same name is not the approver (setting
-- the approver again takes the role the name has then).
CREATE OR REPLACE FUNCTION apr_approver_set(p_approver text, p_role text, p_active boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    identity oid;
BEGIN
    PERFORM apr_begin_write();
    SELECT oid INTO identity FROM pg_roles WHERE rolname = p_approver;
    IF NOT FOUND THEN
        PERFORM apr_raise('unknown_role', format('no database role %s', p_approver));
    END IF;
    INSERT INTO apr_approvers (approver, role, active, role_oid) VALUES (p_approver, p_role, p_active, identity)
    ON CONFLICT (approver) DO UPDATE SET role = EXCLUDED.role, active = EXCLUDED.active, role_oid = EXCLUDED.role_oid;
    EXECUTE format('GRANT apr_approver TO %I', p_approver);
    PERFORM gov_ledger_append('approver', NULL, p_approver,
        jsonb_build_object('role', p_role, 'active', p_active, 'role_oid', identity));
    RETURN jsonb_build_object('approver', p_approver, 'role', p_role, 'active', p_active);
END
$$;

REVOKE ALL ON FUNCTION apr_session_is_privileged(), apr_refuse_privileged_session(),
    apr_approver_set(text, text, boolean) FROM PUBLIC;
