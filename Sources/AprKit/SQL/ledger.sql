-- ledger.sql: the hash-chained ledger (gov_ledger, created by migration 001).
-- Every governed event is appended here in the transaction that makes it;
-- rows are never changed, deleted or truncated, and the row lock on the head
-- serializes appends, so the chain never forks. readback verifies the chain
-- with its own copy of the link formula, so a replaced function cannot vouch
-- for a tampered row.

-- What one link hashes.
CREATE OR REPLACE FUNCTION gov_ledger_link_hash(
    p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text,
    p_actor text, p_payload jsonb, p_created_at timestamptz
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        p_prev_hash, p_seq::text, p_event, coalesce(p_apr_code, ''), coalesce(p_subject, ''),
        p_actor, p_payload::text,
        (extract(epoch FROM p_created_at) * 1000000)::bigint::text), 'UTF8')), 'hex')
$$;

-- Appends one event, as the session user, and returns its seq.
CREATE OR REPLACE FUNCTION gov_ledger_append(
    p_event text, p_apr_code text, p_subject text, p_payload jsonb
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    head gov_ledger_head;
    ts timestamptz := now();
    new_hash text;
BEGIN
    -- The row lock on the head serializes every append: the chain cannot fork.
    SELECT * INTO head FROM gov_ledger_head WHERE singleton FOR UPDATE;
    new_hash := gov_ledger_link_hash(head.hash, head.seq + 1, p_event, p_apr_code, p_subject,
                                     session_user, coalesce(p_payload, '{}'::jsonb), ts);
    INSERT INTO gov_ledger (seq, event, apr_code, subject, actor, payload, created_at, prev_hash, hash)
    VALUES (head.seq + 1, p_event, p_apr_code, p_subject, session_user,
            coalesce(p_payload, '{}'::jsonb), ts, head.hash, new_hash);
    UPDATE gov_ledger_head SET seq = head.seq + 1, hash = new_hash WHERE singleton;
    RETURN head.seq + 1;
END
$$;

-- A trigger that refuses the change it fires on, with the reason it is given.
CREATE OR REPLACE FUNCTION gov_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM apr_raise(TG_ARGV[0], format('%s on %s is refused', TG_OP, TG_TABLE_NAME));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER gov_ledger_append_only BEFORE UPDATE OR DELETE ON gov_ledger
    FOR EACH ROW EXECUTE FUNCTION gov_refuse_change('ledger_append_only');
CREATE OR REPLACE TRIGGER gov_ledger_no_truncate BEFORE TRUNCATE ON gov_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('ledger_append_only');
CREATE OR REPLACE TRIGGER gov_ledger_head_no_truncate BEFORE TRUNCATE OR DELETE ON gov_ledger_head
    FOR EACH STATEMENT EXECUTE FUNCTION gov_refuse_change('ledger_append_only');

REVOKE ALL ON FUNCTION gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamptz),
    gov_ledger_append(text, text, text, jsonb), gov_refuse_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamptz)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;

-- Readback assertions: RAISE, never ASSERT.
DO $check$
BEGIN
    IF has_function_privilege('apr_executor', 'gov_ledger_append(text, text, text, jsonb)', 'EXECUTE')
       OR has_function_privilege('apr_approver', 'gov_ledger_append(text, text, text, jsonb)', 'EXECUTE')
       OR has_function_privilege('apr_proposer', 'gov_ledger_append(text, text, text, jsonb)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readback: a group role can append to the ledger directly';
    END IF;
    IF (SELECT count(*) FROM pg_trigger
         WHERE tgrelid IN ('gov_ledger'::regclass, 'gov_ledger_head'::regclass) AND NOT tgisinternal
           AND tgenabled = 'O') < 3 THEN
        RAISE EXCEPTION 'readback: the ledger''s append-only triggers are missing or disabled';
    END IF;
END
$check$;
