-- grants-and-roles.sql: the group roles and what each may touch. Nobody but
-- the schema owner writes a table directly; the group roles read, and act
-- only through the functions granted to them in the file of each area.
-- Applied after every other repeatable file.

-- Group roles: created once per cluster, shared by every aprkit database.
DO $roles$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['apr_proposer', 'apr_approver', 'apr_executor', 'apr_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- another database's migrator created it first
            END;
        END IF;
    END LOOP;
END
$roles$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO apr_proposer, apr_approver, apr_executor, apr_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO apr_proposer, apr_approver, apr_executor, apr_reader;
-- The registry of reasons is public knowledge (reasons.sql): the triggers
-- that refuse a change read it as whoever attempted the change.
GRANT SELECT ON apr_reasons TO PUBLIC;

-- Readback assertions: RAISE, never ASSERT.
DO $check$
DECLARE
    t text;
    g text;
BEGIN
    FOREACH g IN ARRAY ARRAY['apr_proposer', 'apr_approver', 'apr_executor', 'apr_reader'] LOOP
        FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
            IF has_table_privilege(g, format('public.%I', t), 'INSERT')
               OR has_table_privilege(g, format('public.%I', t), 'UPDATE')
               OR has_table_privilege(g, format('public.%I', t), 'DELETE')
               OR has_table_privilege(g, format('public.%I', t), 'TRUNCATE') THEN
                RAISE EXCEPTION 'readback: % can write % directly', g, t;
            END IF;
        END LOOP;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                WHERE p.pronamespace = 'public'::regnamespace AND a.grantee = 0
                  AND p.oid <> 'apr_raise(text, text)'::regprocedure) THEN
        RAISE EXCEPTION 'readback: a function other than apr_raise is executable by PUBLIC: %',
            (SELECT string_agg(DISTINCT p.proname, ', ') FROM pg_proc p
               CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
              WHERE p.pronamespace = 'public'::regnamespace AND a.grantee = 0
                AND p.oid <> 'apr_raise(text, text)'::regprocedure);
    END IF;
END
$check$;
