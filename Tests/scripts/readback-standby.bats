#!/usr/bin/env bats
# readback against a real hot standby: a primary from scripts/pg-local, a
# standby cloned from it with pg_basebackup -R, and readback pointed at the
# standby's socket. It reads in a read-only transaction, so the standby serves
# every checklist, and what the primary changes the standby's readback sees.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0


setup_file() {
    load own_cluster
    use_built_tools readback gov-migrate
    # The primary: a cluster of our own (replication is trusted).
    start_own_cluster aprkit_standby
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE owner_a LOGIN" \
        -c "SELECT apr_approver_set('owner_a', 'owner')" >/dev/null

    start_standby
    export STANDBY_DB="host=$STANDBY_SOCKET port=$PGPORT dbname=$PGDATABASE"
}

setup() {
    load own_cluster
}

teardown_file() {
    load own_cluster
    stop_standby
    stop_own_cluster
}

@test "the standby is a hot standby that refuses writes" {
    run -0 --separate-stderr psql -X -At -d "$STANDBY_DB" -c 'SELECT pg_is_in_recovery()'
    [ "$output" = t ]
    run -1 --separate-stderr psql -X -At -d "$STANDBY_DB" -c "CREATE TABLE t (i int)"
    [[ $stderr == *"read-only transaction"* ]]
}

@test "the ledger checklist passes on the standby and saves the head it read" {
    wait_for_replay
    head=$BATS_TEST_TMPDIR/ledger.head
    : >"$head"
    run -0 --separate-stderr "$BIN/readback" -d "$STANDBY_DB" --checklist ledger \
        --ledger-head "$head" --write-ledger-head "$head"
    # One line per item, then the summary.
    items=$(grep -c '^-- name:' "$ROOT/Sources/AprKit/SQL/checklists/ledger.checklist.sql")
    [ "${#lines[@]}" -eq $((items + 1)) ]
    [[ ${lines[-1]} == '{"ok":true,"checklist":"ledger",'* ]]
    [ -z "$stderr" ]
    run -0 psql -X -At -c "SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq DESC LIMIT 1"
    [ "$(cat "$head")" = "$output" ]
    # The saved head now vouches for the next run.
    run -0 --separate-stderr "$BIN/readback" -d "$STANDBY_DB" --checklist ledger --ledger-head "$head"
}

@test "a checklist that calls the quorum function reads on the standby" {
    run -0 --separate-stderr "$BIN/readback" -d "$STANDBY_DB" --checklist - --param apr=APR-000001 <<'EOF'
-- name: in_recovery
-- expect: = true
SELECT pg_is_in_recovery();
-- name: schema_applied
-- expect: > 0
SELECT count(*) FROM gov_migrations;
-- name: no_quorum_for_an_unknown_apr
-- expect: = false
SELECT quorum_passed(:apr);
EOF
    [[ ${lines[3]} == '{"ok":true,"checklist":"stdin","items":3,"passed":3,"failed":0}' ]]
}

@test "prove reads the standby's TAP" {
    # prove splits --exec on spaces: the standby is named by libpq's environment.
    PGHOST=$STANDBY/socket \
        run -0 prove --exec "$BIN/readback --format tap --ledger-head /dev/null --checklist" ledger
    [[ $output == *"Result: PASS"* ]]
}

@test "prometheus output from the standby" {
    run -0 --separate-stderr "$BIN/readback" -d "$STANDBY_DB" --checklist ledger --ledger-head /dev/null --format prom
    [[ $output == *'aprkit_readback_item_ok{checklist="ledger",item="ledger_chain_intact"} 1'* ]]
    [[ $output == *'aprkit_readback_exit_status{checklist="ledger"} 0'* ]]
}

# Last: it leaves the primary's ledger tampered.
@test "a ledger row tampered with on the primary is named by readback on the standby" {
    psql -X -q -v ON_ERROR_STOP=1 \
        -c "SET session_replication_role = replica" \
        -c "UPDATE gov_ledger SET subject = 'mallory' WHERE seq = 2"
    wait_for_replay
    run -1 --separate-stderr "$BIN/readback" -d "$STANDBY_DB" --checklist ledger --ledger-head /dev/null
    [[ ${lines[0]} == *'"found":"hash_mismatch at seq 2"'* ]]
    [[ $stderr == *"ledger_chain_intact: expected = intact, found hash_mismatch at seq 2"* ]]
}
