-- writes.sql: every governed table accepts a write only from the schema's
-- own functions. A guard trigger on each table refuses INSERT, UPDATE,
-- DELETE and TRUNCATE unless the statement runs as the table's owner (the
-- owner of the SECURITY DEFINER functions that write) with the
-- transaction-local mark that those functions and gov-migrate set. So a
-- role holding pg_write_all_data, or INSERT granted by mistake, writes
-- nothing behind the functions; what a superuser does with the triggers off
-- is what readback's ledger cross-check catches.

-- Marks the rest of the transaction as the governed mechanism writing.
CREATE OR REPLACE FUNCTION apr_begin_write() RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT set_config('aprkit.writer', 'on', true) $$;

CREATE OR REPLACE FUNCTION apr_writes_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF coalesce(current_setting('aprkit.writer', true), '') <> 'on'
       OR NOT EXISTS (SELECT 1 FROM pg_roles r
                       WHERE r.rolname = current_user
                         AND (r.rolsuper OR r.oid = (SELECT relowner FROM pg_class WHERE oid = TG_RELID))) THEN
        PERFORM apr_raise('direct_write_refused',
            format('%s on %s by %s: the aprkit tables are written only through the schema''s functions',
                   TG_OP, TG_TABLE_NAME, current_user));
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- Every table of the schema gets the guard; the name sorts before the
-- tables' own guards, so a direct write is refused as such first.
DO $guards$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1 LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER _aprkit_writes_only BEFORE INSERT OR UPDATE OR DELETE ON %I
                            FOR EACH ROW EXECUTE FUNCTION apr_writes_only()', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER _aprkit_writes_only_truncate BEFORE TRUNCATE ON %I
                            FOR EACH STATEMENT EXECUTE FUNCTION apr_writes_only()', t);
    END LOOP;
END
$guards$;

REVOKE ALL ON FUNCTION apr_begin_write(), apr_writes_only() FROM PUBLIC;

DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'public'
                AND NOT EXISTS (SELECT 1 FROM pg_trigger g
                                 WHERE g.tgrelid = format('public.%I', t.tablename)::regclass
                                   AND g.tgname = '_aprkit_writes_only' AND g.tgenabled = 'O')) THEN
        RAISE EXCEPTION 'readback: a table of the schema has no write guard';
    END IF;
END
$check$;
