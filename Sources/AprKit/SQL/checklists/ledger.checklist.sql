-- readback checklist ledger: the hash chain, and its head against a copy
-- kept outside the database, which catches a truncated tail.
--
-- Parameters (built in, from --ledger-head FILE):
--   ledger_head_seq   the seq of the saved head (0 for an empty ledger)
--   ledger_head_hash  the hash of the saved head

-- name: ledger_chain_intact
-- expect: = intact
-- @include ledger-chain.sql

-- name: ledger_head_matches_saved
-- expect: = ok
-- The saved head's row is still there, with the same hash.
SELECT CASE
           WHEN :ledger_head_seq::bigint = 0 THEN 'ok'
           WHEN l.seq IS NULL
               THEN format('seq %s is gone: the ledger ends at seq %s', :ledger_head_seq,
                           (SELECT coalesce(max(seq), 0) FROM gov_ledger))
           WHEN l.hash <> :ledger_head_hash THEN format('seq %s has another hash than the saved head', l.seq)
           ELSE 'ok'
       END
  FROM (SELECT 1) AS one LEFT JOIN gov_ledger l ON l.seq = :ledger_head_seq::bigint;
