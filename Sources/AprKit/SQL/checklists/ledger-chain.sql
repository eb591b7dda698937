-- The ledger chain, verified by the link formulas written out in this query
-- (a function stored in the database could vouch for a tampered row): link
-- v1 for the rows before the ledger_link_switch event, v2 (every field length-
-- prefixed, NULL distinct from '') for it and every row after. Names the
-- first bad row: a gap, a broken link, a changed row, or a head record out
-- of step with the last row. Built-in checklists include it with
-- "-- @include ledger-chain.sql".
SELECT CASE
           WHEN bad_seq IS NOT NULL THEN problem || ' at seq ' || bad_seq
           WHEN head_seq <> last_seq OR head_hash <> last_hash
               THEN 'head_mismatch at seq ' || (least(head_seq, last_seq) + 1)
           ELSE 'intact'
       END
  FROM (
        WITH switch AS (
            SELECT coalesce(min(seq), 9223372036854775807) AS seq FROM gov_ledger WHERE event = 'ledger_link_switch'
        ), chain AS (
            SELECT l.seq, l.hash, l.prev_hash,
                   row_number() OVER w AS n,
                   lag(l.hash, 1, repeat('0', 64)) OVER w AS expected_prev,
                   CASE WHEN l.seq < s.seq THEN
                       encode(sha256(convert_to(concat_ws('|', l.prev_hash, l.seq::text, l.event,
                           coalesce(l.apr_code, ''), coalesce(l.subject, ''), l.actor, l.payload::text,
                           (extract(epoch FROM l.created_at) * 1000000)::bigint::text), 'UTF8')), 'hex')
                   ELSE
                       encode(sha256(convert_to('aprkit-ledger-v2'
                           || octet_length(l.prev_hash) || ':' || l.prev_hash
                           || octet_length(l.seq::text) || ':' || l.seq::text
                           || octet_length(l.event) || ':' || l.event
                           || CASE WHEN l.apr_code IS NULL THEN '-' ELSE octet_length(l.apr_code) || ':' || l.apr_code END
                           || CASE WHEN l.subject IS NULL THEN '-' ELSE octet_length(l.subject) || ':' || l.subject END
                           || octet_length(l.actor) || ':' || l.actor
                           || octet_length(l.payload::text) || ':' || l.payload::text
                           || octet_length(((extract(epoch FROM l.created_at) * 1000000)::bigint)::text) || ':'
                           || ((extract(epoch FROM l.created_at) * 1000000)::bigint)::text, 'UTF8')), 'hex')
                   END AS expected_hash
              FROM gov_ledger l CROSS JOIN switch s
            WINDOW w AS (ORDER BY l.seq)
        ), bad AS (
            SELECT seq, CASE WHEN seq <> n THEN 'sequence_gap'
                             WHEN prev_hash <> expected_prev THEN 'prev_hash_mismatch'
                             ELSE 'hash_mismatch' END AS problem
              FROM chain
             WHERE seq <> n OR prev_hash <> expected_prev OR hash <> expected_hash
             ORDER BY seq LIMIT 1
        ), last AS (
            SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1
        )
        SELECT coalesce((SELECT seq FROM last), 0),
               coalesce((SELECT hash FROM last), repeat('0', 64)),
               (SELECT seq FROM bad), (SELECT problem FROM bad),
               h.seq, h.hash
          FROM gov_ledger_head h
       ) AS v (last_seq, last_hash, bad_seq, problem, head_seq, head_hash);
