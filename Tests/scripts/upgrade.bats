#!/usr/bin/env bats
# Upgrades from every release: a database made by the first release
# (Tests/Fixtures/upgrade, made from commit 83c538d by make-release-1) is
# restored into a fresh cluster of this file's own and upgraded by today's
# gov-migrate, which must lose or change no row and leave it fully usable.
# Each @test runs in its own subshell, and bats' run sets $output/$stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools gov-migrate readback apr-execute apr-quorum
    export FIXTURE=$ROOT/Tests/Fixtures/upgrade
    eval "$("$ROOT/scripts/pg-local" start)"
    export PGHOST PGPORT PGUSER APRKIT_PG_DIR
    export PGDATABASE=aprkit
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$FIXTURE/release-1-roles.sql" >/dev/null
    createdb aprkit
    psql -X -q -v ON_ERROR_STOP=1 -f "$FIXTURE/release-1.sql" >/dev/null
}

teardown_file() {
    load own_cluster
    stop_own_cluster
}

# The first release's summary lines of one kind ("APR-", "migration ").
expected() { grep "^$1" "$FIXTURE/release-1.expected"; }

@test "gov-migrate upgrades a first-release database, then has nothing left to do" {
    run -0 --separate-stderr "$BIN/gov-migrate"
    [[ -z $stderr ]]
    [[ $(jq -r '.ok' <<<"$output") == true ]]
    # The new migration and every repeatable file applied; the first
    # release's four checksums recorded again as the sha256 of the bytes.
    local newer=() file version
    for file in "$ROOT"/Sources/AprKit/SQL/migrations/[0-9]*.sql; do
        version=${file##*/}
        version=${version:0:3}
        if ((10#$version > 4)); then newer+=("$version"); fi
    done
    [[ $(jq -r '[.applied[] | select(.kind == "versioned") | .version] | join(" ")' <<<"$output") == "${newer[*]}" ]]
    [[ $(jq -r '[.applied[] | select(.kind == "repeatable")] | length' <<<"$output") -ge 10 ]]
    [[ $(jq -r '[.rechecksummed[].version] | join(" ")' <<<"$output") == "001 002 003 004" ]]

    run -0 --separate-stderr "$BIN/gov-migrate"
    [[ $(jq -r '.unchanged' <<<"$output") == true ]]
    [[ $(jq -r '.applied | length' <<<"$output") == 0 ]]
}

@test "every APR keeps its status and every vote, grant and deploy row stays" {
    diff <(expected APR-) <(psql -X -At -F ' ' -c 'SELECT apr_code, status, action_code FROM apr_requests ORDER BY 1')
    for table in apr_votes governance_build_authorization vps_deploy_log apr_dispatches apr_approvers; do
        [[ $(psql -X -At -c "SELECT count(*) FROM $table") == "$(expected "count $table " | cut -d' ' -f3)" ]]
    done
}

@test "the ledger verifies across the upgrade from the head the first release saved" {
    head=$BATS_TEST_TMPDIR/ledger.head
    printf '%s %s\n' "$(expected 'ledger last_seq' | cut -d' ' -f3)" "$(expected 'ledger last_hash' | cut -d' ' -f3)" >"$head"
    run -0 --separate-stderr "$BIN/readback" --checklist ledger --ledger-head "$head"
    [[ $(tail -n 1 <<<"$output" | jq -r '.failed') == 0 ]]
    # The upgrade itself is in the ledger, after the first release's events.
    [[ $(psql -X -At -c "SELECT count(*) FROM gov_ledger WHERE event = 'migrate_checksum'") == 4 ]]
}

@test "each recorded checksum is now what sha256sum prints for the file" {
    for file in "$ROOT"/Sources/AprKit/SQL/migrations/*.sql; do
        version=$(basename "$file" | cut -d- -f1)
        [[ $(psql -X -At -c "SELECT checksum FROM gov_migrations WHERE version = '$version'") \
            == "$(sha256sum "$file" | cut -d' ' -f1)" ]]
    done
    [[ $(psql -X -At -c "SELECT checksum FROM gov_repeatables WHERE name = 'votes.sql'") \
        == "$(sha256sum "$ROOT/Sources/AprKit/SQL/votes.sql" | cut -d' ' -f1)" ]]
}

@test "W1 of the prewrite gate passes on the upgraded database" {
    run -1 --separate-stderr "$BIN/readback" --checklist prewrite --param apr=none --param action=authorize_build_step \
        --param target=DOT_C1_UPGRADE --param handler_ref=apr-execute:authorize_build_step \
        --param handler_file=/nonexistent --file-sha256 handler_file_sha256=/nonexistent
    [[ $(jq -r 'select(.item == "W1_schema_current") | "\(.ok) \(.found)"' <<<"$output") == "true ok" ]]
}

@test "the approved APR executes once after the upgrade" {
    run -0 --separate-stderr env PGUSER=executor "$BIN/apr-execute" --apr APR-000007
    [[ $(jq -r '.grant.auth_code' <<<"$output") == GBA-C1-APR-000007 ]]
    run -0 --separate-stderr env PGUSER=executor "$BIN/apr-execute" --apr APR-000007
    [[ $(jq -r '.unchanged' <<<"$output") == true ]]
    [[ $(psql -X -At -c "SELECT status FROM apr_requests WHERE apr_code = 'APR-000007'") == applied ]]
    [[ $(psql -X -At -c "SELECT count(*) FROM governance_build_authorization WHERE request_ref = 'APR-000007'") == 1 ]]
}

@test "voting on the proposed APR works after the upgrade" {
    run -0 --separate-stderr env PGUSER=owner1 "$BIN/apr-quorum" --apr APR-000006 --vote approve
    [[ $(jq -r '.vote.approver' <<<"$output") == owner1 ]]
    run -0 --separate-stderr env PGUSER=owner2 "$BIN/apr-quorum" --apr APR-000006 --vote approve
    [[ $(jq -r '.status' <<<"$output") == approved ]]
    run -0 --separate-stderr "$BIN/readback" --checklist ledger --ledger-head /dev/null
}
