-- The ledger chain, verified by the formula in this query itself (a
-- function stored in the database could vouch for a tampered row). Names
-- the first bad row: a gap, a broken link, a changed row, or a head record
-- out of step with the last row. Built-in checklists include it with
-- "-- @include ledger-chain.sql".
SELECT CASE
           WHEN bad_seq IS NOT NULL THEN problem || ' at seq ' || bad_seq
           WHEN head_seq <> last_seq OR head_hash <> last_hash
               THEN 'head_mismatch at seq ' || (least(head_seq, last_seq) + 1)
           ELSE 'intact'
       END
  FROM (
        WITH chain AS (
            SELECT seq, hash, prev_hash,
                   row_number() OVER w AS n,
                   lag(hash, 1, repeat('0', 64)) OVER w AS expected_prev,
                   encode(sha256(convert_to(concat_ws('|', prev_hash, seq::text, event,
                       coalesce(apr_code, ''), coalesce(subject, ''), actor, payload::text,
                       (extract(epoch FROM created_at) * 1000000)::bigint::text), 'UTF8')), 'hex') AS expected_hash
              FROM gov_ledger
            WINDOW w AS (ORDER BY seq)
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
