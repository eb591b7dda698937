-- migrations.sql: the records of the governed migration mechanism. gov-migrate
-- calls these in the transaction of each migration or repeatable file, so a
-- schema change and its record (and ledger event) commit together.

-- An applied versioned or staged migration (gov_migrations, migration 001).
CREATE OR REPLACE FUNCTION gov_migration_record(p_version text, p_name text, p_checksum text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO gov_migrations (version, name, checksum) VALUES (p_version, p_name, p_checksum);
    PERFORM gov_ledger_append('migrate', NULL, p_version,
        jsonb_build_object('name', p_name, 'checksum', p_checksum));
END
$$;

-- A repeatable file applied (again) by aprkit p_version: its checksum now,
-- and a ledger event for every application, so the ledger holds the file's
-- history.
CREATE OR REPLACE FUNCTION gov_repeatable_record(p_name text, p_checksum text, p_version text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    previous text;
BEGIN
    SELECT checksum INTO previous FROM gov_repeatables WHERE name = p_name FOR UPDATE;
    INSERT INTO gov_repeatables (name, checksum, aprkit_version) VALUES (p_name, p_checksum, p_version)
    ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, aprkit_version = EXCLUDED.aprkit_version,
        applied_at = now(), applied_by = session_user;
    PERFORM gov_ledger_append('migrate_repeatable', NULL, p_name,
        jsonb_build_object('checksum', p_checksum, 'previous', previous, 'aprkit_version', p_version));
END
$$;

-- The first release recorded each checksum as the sha256 of the text's
-- sha256 digest. gov-migrate recognises such a record (it recomputes it
-- from the file) and records the sha256 of the file's bytes instead, with
-- a ledger event that keeps both.
CREATE OR REPLACE FUNCTION gov_migration_rechecksum(p_version text, p_old text, p_new text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE gov_migrations SET checksum = p_new WHERE version = p_version AND checksum = p_old;
    IF NOT FOUND THEN
        PERFORM apr_raise('checksum_mismatch',
            format('migration %s is not recorded with checksum %s', p_version, p_old));
    END IF;
    PERFORM gov_ledger_append('migrate_checksum', NULL, p_version,
        jsonb_build_object('from', p_old, 'to', p_new));
END
$$;

-- A recorded migration is never deleted, and only its checksum is ever
-- rewritten (by gov_migration_rechecksum).
CREATE OR REPLACE FUNCTION gov_migrations_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.version IS DISTINCT FROM OLD.version OR NEW.name IS DISTINCT FROM OLD.name
       OR NEW.applied_at IS DISTINCT FROM OLD.applied_at OR NEW.applied_by IS DISTINCT FROM OLD.applied_by THEN
        PERFORM apr_raise('migration_immutable', format('%s on gov_migrations is refused', TG_OP));
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER gov_migrations_guard BEFORE UPDATE OR DELETE ON gov_migrations
    FOR EACH ROW EXECUTE FUNCTION gov_migrations_guard();
CREATE OR REPLACE TRIGGER gov_migrations_no_truncate BEFORE TRUNCATE ON gov_migrations
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('migration_immutable');
CREATE OR REPLACE TRIGGER gov_repeatables_no_delete BEFORE DELETE ON gov_repeatables
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('migration_immutable');
CREATE OR REPLACE TRIGGER gov_repeatables_no_truncate BEFORE TRUNCATE ON gov_repeatables
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('migration_immutable');

REVOKE ALL ON FUNCTION gov_migration_record(text, text, text), gov_repeatable_record(text, text, text),
    gov_migration_rechecksum(text, text, text), gov_migrations_guard() FROM PUBLIC;

DO $check$
BEGIN
    IF (SELECT bool_and(prosecdef) FROM pg_proc
         WHERE oid IN ('gov_migration_record(text, text, text)'::regprocedure,
                       'gov_repeatable_record(text, text, text)'::regprocedure)) IS NOT TRUE THEN
        RAISE EXCEPTION 'readback: the migration records must be SECURITY DEFINER';
    END IF;
    IF has_function_privilege('apr_executor', 'gov_repeatable_record(text, text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: the executor can record a repeatable file';
    END IF;
END
$check$;
