-- ledger.sql: the hash-chained ledger (gov_ledger, created by migration 001).
-- Every governed event is appended here in the transaction that makes it;
-- rows are never changed, deleted or truncated, and the row lock on the head
-- serializes appends, so the chain never forks. readback verifies the chain
-- with its own copy of the link formulas (checklists/ledger-chain.sql), so a
-- replaced function cannot vouch for a tampered row.
--
-- Link v1 (the first release) joined the fields with '|' and read NULL as
-- '': moving a '|' between two fields, or NULL <-> '', kept the hash. Link
-- v2 encodes every field unambiguously: NULL as '-', any other value as its
-- length in bytes, ':', and the value. The switch is itself an event,
-- ledger_link_switch, the first v2 row: every row before it verifies under v1, it and
-- every row after under v2.

-- What one v1 link hashes (rows before the ledger_link_switch event).
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

-- One field of a v2 link: '-' for NULL, else its byte length, ':', itself.
CREATE OR REPLACE FUNCTION gov_ledger_field(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN p_value IS NULL THEN '-' ELSE octet_length(p_value)::text || ':' || p_value END $$;

-- What one v2 link hashes.
CREATE OR REPLACE FUNCTION gov_ledger_link_hash_v2(
    p_prev_hash text, p_seq bigint, p_event text, p_apr_code text, p_subject text,
    p_actor text, p_payload jsonb, p_created_at timestamptz
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = public, pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to('aprkit-ledger-v2'
        || gov_ledger_field(p_prev_hash) || gov_ledger_field(p_seq::text) || gov_ledger_field(p_event)
        || gov_ledger_field(p_apr_code) || gov_ledger_field(p_subject) || gov_ledger_field(p_actor)
        || gov_ledger_field(p_payload::text)
        || gov_ledger_field(((extract(epoch FROM p_created_at) * 1000000)::bigint)::text), 'UTF8')), 'hex')
$$;

-- Appends one event, as the session user, and returns its seq. At commit,
-- a notification on channel aprkit_ledger: {"seq": N, "event": E, "apr_code": C}.
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
    PERFORM apr_begin_write();
    -- The row lock on the head serializes every append: the chain cannot fork.
    SELECT * INTO head FROM gov_ledger_head WHERE singleton FOR UPDATE;
    new_hash := gov_ledger_link_hash_v2(head.hash, head.seq + 1, p_event, p_apr_code, p_subject,
                                        session_user, coalesce(p_payload, '{}'::jsonb), ts);
    INSERT INTO gov_ledger (seq, event, apr_code, subject, actor, payload, created_at, prev_hash, hash)
    VALUES (head.seq + 1, p_event, p_apr_code, p_subject, session_user,
            coalesce(p_payload, '{}'::jsonb), ts, head.hash, new_hash);
    UPDATE gov_ledger_head SET seq = head.seq + 1, hash = new_hash WHERE singleton;
    -- Listeners (apr-log --follow, apr-quorum --wait) hear of the event when
    -- it commits, never before, and not at all when it rolls back; the
    -- payload says which event, the ledger row says the rest.
    PERFORM pg_notify('aprkit_ledger', jsonb_build_object(
        'seq', head.seq + 1, 'event', p_event, 'apr_code', p_apr_code)::text);
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

-- The governed rows as they are, for the switch event: readback holds every
-- later row of these tables against this baseline and the events after it.
CREATE OR REPLACE FUNCTION gov_governance_snapshot() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT jsonb_build_object(
        'approvers', (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.approver), '[]') FROM apr_approvers a),
        'policies', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.risk_level, p.factor), '[]') FROM apr_quorum_policies p),
        'action_types', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.action_code), '[]') FROM apr_action_types t),
        'action_fields', (SELECT coalesce(jsonb_agg(to_jsonb(f) ORDER BY f.action_code, f.field), '[]') FROM apr_action_fields f),
        'patch_targets', (SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.root), '[]') FROM patch_targets t))
$$;

-- The switch to link v2, once: the first v2 row, carrying the baseline.
DO $switch$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM gov_ledger WHERE event = 'ledger_link_switch') THEN
        PERFORM gov_ledger_append('ledger_link_switch', NULL, NULL,
            jsonb_build_object('link', 2, 'baseline', gov_governance_snapshot()));
    END IF;
END
$switch$;

REVOKE ALL ON FUNCTION gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamptz),
    gov_ledger_field(text), gov_ledger_link_hash_v2(text, bigint, text, text, text, text, jsonb, timestamptz),
    gov_ledger_append(text, text, text, jsonb), gov_refuse_change(), gov_governance_snapshot() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gov_ledger_link_hash(text, bigint, text, text, text, text, jsonb, timestamptz),
    gov_ledger_field(text), gov_ledger_link_hash_v2(text, bigint, text, text, text, text, jsonb, timestamptz)
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
