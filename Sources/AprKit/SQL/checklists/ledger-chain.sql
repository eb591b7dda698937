-- The ledger chain, verified by the link formulas written out in this query
-- (a function stored in the database could vouch for a tampered row): link
-- v1 for the rows before the ledger_link_switch event, v2 (every field length-
-- prefixed, NULL distinct from '') for it and every row after. Names the
-- first bad row: a gap, a broken link, a changed row, or a head record out
-- of step with the last row. Built-in checklists include it with
-- "-- @include ledger-chain.sql".
--
-- It verifies from a trusted checkpoint on (readback binds them, from
-- --ledger-head; 0 and 64 zeros verify every row, as with --full):
--   ledger_verify_from_seq   the checkpoint's seq
--   ledger_verify_from_hash  the hash saved for it
-- The checkpoint row must still be there, hold that hash, and re-hash to it
-- from its predecessor's hash; the rows below it are not read again.
-- Each row's hash is recomputed in one parallel scan; each link (seq, and
-- prev_hash against the row before) is checked by a window over the hash
-- columns alone.
SELECT CASE
           WHEN from_seq > 0 AND from_row IS NULL
               THEN 'checkpoint_missing at seq ' || from_seq || ' (the ledger ends at seq ' || last_seq || ')'
           WHEN from_seq > 0 AND from_row <> from_hash THEN 'checkpoint_changed at seq ' || from_seq
           WHEN bad_seq IS NOT NULL THEN problem || ' at seq ' || bad_seq
           WHEN head_seq <> last_seq OR head_hash <> last_hash
               THEN 'head_mismatch at seq ' || (least(head_seq, last_seq) + 1)
           ELSE 'intact'
       END
  FROM (
        WITH links AS (
            -- From the checkpoint's predecessor on: its hash is the first
            -- expected prev_hash; the rows below it are not read.
            SELECT l.seq, l.prev_hash,
                   lag(l.hash, 1, repeat('0', 64)) OVER w AS expected_prev,
                   greatest(:ledger_verify_from_seq::bigint - 1, 1) - 1 + row_number() OVER w AS n
              FROM gov_ledger l
             WHERE l.seq >= greatest(:ledger_verify_from_seq::bigint - 1, 1)
            WINDOW w AS (ORDER BY l.seq)
        ), broken_link AS (
            SELECT seq, CASE WHEN seq <> n THEN 'sequence_gap' ELSE 'prev_hash_mismatch' END AS problem
              FROM links
             WHERE seq >= :ledger_verify_from_seq::bigint AND (seq <> n OR prev_hash <> expected_prev)
             ORDER BY seq LIMIT 1
        ), changed_row AS (
            -- Each row's hash recomputed; min() with a FILTER makes it one
            -- parallel scan, not a walk down the index.
            SELECT min(l.seq) FILTER (WHERE true) AS seq
              FROM gov_ledger l
             WHERE l.seq >= :ledger_verify_from_seq::bigint
               AND l.hash <> CASE WHEN l.seq < (SELECT coalesce(min(seq), 9223372036854775807) FROM gov_ledger
                                                WHERE event = 'ledger_link_switch') THEN
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
                   END
        ), bad AS (
            -- The first bad row; at one seq, a broken link before a changed row.
            SELECT seq, problem, 1 AS rank FROM broken_link
            UNION ALL
            SELECT seq, 'hash_mismatch', 2 FROM changed_row WHERE seq IS NOT NULL
             ORDER BY seq, rank LIMIT 1
        ), last AS (
            SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1
        )
        SELECT coalesce((SELECT seq FROM last), 0),
               coalesce((SELECT hash FROM last), repeat('0', 64)),
               (SELECT seq FROM bad), (SELECT problem FROM bad),
               h.seq, h.hash, :ledger_verify_from_seq::bigint, :ledger_verify_from_hash::text,
               (SELECT l.hash FROM gov_ledger l WHERE l.seq = :ledger_verify_from_seq::bigint)
          FROM gov_ledger_head h
       ) AS v (last_seq, last_hash, bad_seq, problem, head_seq, head_hash, from_seq, from_hash, from_row);
