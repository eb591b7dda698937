#!/usr/bin/env bats
# The examples of readback(1), run as written (only /var/lib moved into a
# temporary directory): the crontab line publishes a node_exporter textfile
# and moves the saved ledger head on, and stops moving it once the ledger's
# tail is cut; an adapted copy of a built-in checklist runs dry.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools readback gov-migrate
    export PATH="$BIN:$PATH"
    start_own_cluster aprkit_examples
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE owner_a LOGIN" -c "CREATE ROLE owner_b LOGIN" \
        -c "SELECT apr_approver_set('owner_a', 'owner')" -c "SELECT apr_approver_set('owner_b', 'owner')" >/dev/null
}

teardown_file() {
    load own_cluster
    stop_own_cluster
}

# example PATTERN: the line of man/readback.1 that matches PATTERN, with
# /var/lib moved to $BATS_TEST_TMPDIR.
example() {
    local line
    line=$(grep -E -- "$1" "$ROOT/man/readback.1")
    [[ -n $line ]] || { echo "no example matches $1" >&2; return 1; }
    printf '%s\n' "${line//\/var\/lib/$BATS_TEST_TMPDIR}"
}

@test "the crontab line publishes the textfile and moves the saved head on while the ledger is whole" {
    mkdir -p "$BATS_TEST_TMPDIR/aprkit" "$BATS_TEST_TMPDIR/node_exporter/textfile"
    head=$BATS_TEST_TMPDIR/aprkit/ledger.head
    prom=$BATS_TEST_TMPDIR/node_exporter/textfile/aprkit-ledger.prom
    # The example that starts a saved head, then the crontab line's command
    # (the five schedule fields dropped) under sh, as cron runs it.
    sh -c "$(example '^: > /var/lib/aprkit/ledger.head$')"
    entry=$(example '^\*/5 \* \* \* \* readback')
    command=${entry#\*/5 \* \* \* \* }
    run -0 sh -c "$command"
    [ -z "$output" ]
    [ ! -e "$prom.tmp" ]
    grep -qx 'aprkit_readback_exit_status{checklist="ledger"} 0' "$prom"
    grep -qx 'aprkit_readback_item_ok{checklist="ledger",item="ledger_head_matches_saved"} 1' "$prom"
    run -0 psql -X -At -c "SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq DESC LIMIT 1"
    [ "$(cat "$head")" = "$output" ]
    saved=$output

    # Cut the last event and rewind the head record: the chain left is
    # intact, and only the saved head can tell: its row is gone, so the
    # chain, verified from it, fails too. The head is not moved on.
    psql -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
        -c "DELETE FROM gov_ledger WHERE seq = (SELECT max(seq) FROM gov_ledger)" \
        -c "UPDATE gov_ledger_head SET (seq, hash) = (SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1)"
    run -0 sh -c "$command"
    [[ $output == *"ledger_head_matches_saved: expected = ok, found seq ${saved%% *} is gone"* ]]
    grep -qx 'aprkit_readback_exit_status{checklist="ledger"} 1' "$prom"
    grep -qx 'aprkit_readback_item_ok{checklist="ledger",item="ledger_chain_intact"} 0' "$prom"
    grep -qx 'aprkit_readback_item_ok{checklist="ledger",item="ledger_head_matches_saved"} 0' "$prom"
    [ "$(cat "$head")" = "$saved" ]
}

@test "an adapted copy of a built-in checklist runs dry without a database" {
    cd "$BATS_TEST_TMPDIR"
    sh -c "$(example '^readback --print-checklist post-grant > nightly.checklist$')"
    grep -q '^-- name: grant_commit_allowed$' nightly.checklist
    run -0 --separate-stderr env PGHOST=/nonexistent readback --checklist ./nightly.checklist --dry-run \
        --param apr=APR-000042 --param target=DOT_C1_VOCAB_BUILD \
        --param handler_ref=apr-execute:authorize_build_step --param handler_file=/opt/handler \
        --param grants_before=0
    [ "${#lines[@]}" -eq 16 ]
    [[ ${lines[15]} == '{"ok":true,"dry_run":true,"checklist":"nightly","items":15,"ledger_verification":"full verification: no saved head"}' ]]
}
