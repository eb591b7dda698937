-- reasons.sql: raising a refusal by its reason. The reason's SQLSTATE comes
-- from the one registry, apr_reasons (migration 005); the message is the
-- reason itself, the detail the line a person reads. A reason missing from
-- the registry is an internal error, never a made-up code.

CREATE OR REPLACE FUNCTION apr_raise(p_reason text, p_detail text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    code text;
BEGIN
    SELECT sqlstate INTO code FROM apr_reasons WHERE reason = p_reason;
    IF code IS NULL THEN
        SELECT sqlstate INTO code FROM apr_reasons WHERE reason = 'unregistered_reason';
        RAISE EXCEPTION USING ERRCODE = coalesce(code, 'XX000'), MESSAGE = 'unregistered_reason',
            DETAIL = format('%s is not a reason in apr_reasons (detail: %s)', p_reason, coalesce(p_detail, ''));
    END IF;
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = p_reason, DETAIL = coalesce(p_detail, p_reason);
END
$$;

-- The registry only grows, by migrations.
CREATE OR REPLACE TRIGGER apr_reasons_append_only BEFORE UPDATE OR DELETE ON apr_reasons
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('reason_immutable');
CREATE OR REPLACE TRIGGER apr_reasons_no_truncate BEFORE TRUNCATE ON apr_reasons
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('reason_immutable');

-- Anyone may raise a registered refusal and read the registry: a trigger
-- that refuses a change runs as whoever attempted it.
GRANT SELECT ON apr_reasons TO PUBLIC;
GRANT EXECUTE ON FUNCTION apr_raise(text, text) TO PUBLIC;

DO $check$
DECLARE
    state text;
BEGIN
    BEGIN
        PERFORM apr_raise('unknown_apr', 'readback');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
    END;
    IF state IS DISTINCT FROM (SELECT sqlstate FROM apr_reasons WHERE reason = 'unknown_apr') THEN
        RAISE EXCEPTION 'readback: apr_raise(unknown_apr) raised %, not the registered SQLSTATE', state;
    END IF;
END
$check$;
