-- aprkit 009: indexes for a database of a million APRs. Each serves one
-- line of scripts/bench --scale, named in its comment, whose query read
-- every row of a table (or every row of a status) on the full database.

-- bench "pending drain of 100": apr-execute --pending takes the approved
-- APRs not yet past their expiry (apr_dispatch_next); by expiry, only the
-- live ones are read, not every approved APR that expired unexecuted.
CREATE INDEX apr_requests_approved_expiry ON apr_requests (expires_at) WHERE status = 'approved';
