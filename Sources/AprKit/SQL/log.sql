-- log.sql: the ledger as apr-log reads it, one line of JSON an event.
-- gov_ledger_append (ledger.sql) notifies channel aprkit_ledger as each event
-- commits; a follower reads the events after the last seq it printed
-- whenever it is woken.

-- The events after p_after_seq, oldest first: of one APR (p_apr_code), of
-- some kinds (p_events), at most p_limit of them (NULL: every one). Each is
-- its seq and its line: the fields in the order apr-log documents, the
-- payload exactly as the link hash reads it (payload::text), the time in
-- UTC whatever the session's TimeZone. Appends are serialized on the ledger
-- head and commit in seq order, so a reader that has seen seq N has seen
-- every event before it.
CREATE OR REPLACE FUNCTION gov_ledger_events(
    p_after_seq bigint, p_apr_code text, p_events text[], p_limit integer
) RETURNS TABLE (seq bigint, line text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
    -- Only the filters given are in the query, planned for the values at
    -- hand: a walk of the primary key (or of gov_ledger_event_seq, or of
    -- gov_ledger_apr_code) from the seq on, never a scan of the whole ledger
    -- for each batch.
    RETURN QUERY EXECUTE
        $q$SELECT l.seq,
               '{"seq":' || l.seq
               || ',"event":' || to_json(l.event)::text
               || ',"apr_code":' || coalesce(to_json(l.apr_code)::text, 'null')
               || ',"subject":' || coalesce(to_json(l.subject)::text, 'null')
               || ',"actor":' || to_json(l.actor)::text
               || ',"payload":' || l.payload::text
               || ',"created_at":' || to_json(l.created_at)::text
               || ',"hash":' || to_json(l.hash)::text
               || ',"prev_hash":' || to_json(l.prev_hash)::text || '}'
          FROM gov_ledger l
         WHERE l.seq > $1$q$
        || CASE WHEN p_apr_code IS NULL THEN '' ELSE ' AND l.apr_code = $2' END
        || CASE WHEN p_events IS NULL THEN '' ELSE ' AND l.event = ANY ($3)' END
        || ' ORDER BY l.seq'
        || CASE WHEN p_limit IS NULL THEN '' ELSE ' LIMIT $4' END
        USING coalesce(p_after_seq, 0), p_apr_code, p_events, p_limit;
END
$$;

REVOKE ALL ON FUNCTION gov_ledger_events(bigint, text, text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gov_ledger_events(bigint, text, text[], integer)
    TO apr_proposer, apr_approver, apr_executor, apr_reader;
