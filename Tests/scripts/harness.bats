#!/usr/bin/env bats
# Step 3's disposable harness is isolated from the real database: with
# PGSERVICE naming the real database (its dbname wins over PGDATABASE), and
# a server that asks every role but the admin for a scram password, the real
# database (a sorted pg_dump), pg_roles and pg_database are byte-identical
# after the step, whether it passes or is killed with TERM mid-run.

# shellcheck disable=SC2154  # bats sets output, stderr and lines
bats_require_minimum_version 1.5.0

setup() {
    load runbook_helpers
    runbook_setup
    local_cluster
    # The real server: a service names the real database; PGDATABASE, which
    # the service overrides, names another; roles other than the admin log in
    # with a scram password.
    cat >"$APRKIT_STATE_DIR/pg_service.conf" <<CONF
[gov]
host=$PGHOST
port=$PGPORT
dbname=aprkit
user=postgres
CONF
    printf 'local all postgres trust\nlocal all all scram-sha-256\n' >"$APRKIT_STATE_DIR/pg/data/pg_hba.conf"
    sql 'SELECT pg_reload_conf()' >/dev/null
    unset PGHOST PGPORT PGUSER
    export PGSERVICEFILE=$APRKIT_STATE_DIR/pg_service.conf PGSERVICE=gov PGDATABASE=postgres APRKIT_ADMIN=postgres
    [ "$(sql 'SELECT current_database()')" = aprkit ]
}

teardown() { runbook_teardown; }

# real_state: the real database, every object and row, sorted; the cluster's
# roles and databases.
real_state() {
    pg_dump --no-owner | grep -v -e '^.restrict ' -e '^.unrestrict ' | sort
    cluster_roles_and_databases
}

harness_leftovers() {
    sql "SELECT count(*) FROM pg_database WHERE datname LIKE 'aprkit\_harness\_%'"
    sql "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'aprkit\_h\_%'"
}

@test "step 3 under PGSERVICE runs in its own database and leaves the real one and pg_roles as they were" {
    before=$(real_state)
    run -0 --separate-stderr "$ROOT/scripts/03-test-harness"
    [[ $stderr == *"ok positive fixture: exactly 1 row"* ]]
    [[ $stderr == *"all fixtures passed"* ]]
    [ "$(real_state)" = "$before" ]
    [ "$(harness_leftovers)" = $'0\n0' ]
}

@test "step 3 killed with TERM mid-run drops its database and every role it made" {
    before=$(real_state)
    # Each vote takes a while in the harness database, so the kill lands mid-run.
    cat >"$APRKIT_STATE_DIR/slow.sql" <<'SQL'
CREATE FUNCTION harness_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$;
CREATE TRIGGER harness_slow BEFORE INSERT ON apr_votes FOR EACH ROW EXECUTE FUNCTION harness_slow();
SQL
    APRKIT_HARNESS_SQL=$APRKIT_STATE_DIR/slow.sql "$ROOT/scripts/03-test-harness" \
        >/dev/null 2>"$APRKIT_STATE_DIR/step3.err" 3>&- &
    pid=$!
    for _ in $(seq 300); do
        grep -q 'ok handler_unbound' "$APRKIT_STATE_DIR/step3.err" && break
        sleep 0.1
    done
    # Mid-run: its database and its four roles are there.
    [ "$(harness_leftovers)" = $'1\n4' ]
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 143 ]
    run ! grep -q 'all fixtures passed' "$APRKIT_STATE_DIR/step3.err"
    [ "$(real_state)" = "$before" ]
    [ "$(harness_leftovers)" = $'0\n0' ]
}
