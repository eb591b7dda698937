#!/usr/bin/env bash
# Helpers for the owner runbook's bats tests: each test gets a state
# directory of its own, so its own local cluster (scripts/local-cluster).

# runbook_setup: ROOT, the built tools first on PATH, a fresh state directory.
runbook_setup() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
    [[ -x $BIN/apr-execute ]] || { echo "the tools are not built in $BIN (swift build)" >&3; return 1; }
    PGBIN=$(dirname "$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_dump' | sort -V | tail -n 1)")
    PATH="$BIN:$PGBIN:$PATH"
    # Short: the cluster's socket lives under it (a socket path is at most 107 bytes).
    APRKIT_STATE_DIR=$(mktemp -d /tmp/aprkit-rb.XXXXXX)
    export ROOT BIN PGBIN PATH APRKIT_STATE_DIR
    unset PGHOST PGPORT PGDATABASE PGUSER PGSERVICE PGSERVICEFILE \
        APRKIT_LOCAL_APPROVERS APRKIT_CANDIDATE APRKIT_HARNESS_SQL
}

runbook_teardown() {
    [[ -z ${APRKIT_STATE_DIR:-} ]] || "$ROOT/scripts/local-cluster" stop >/dev/null 2>&1 || true
    rm -rf "${APRKIT_STATE_DIR:-/nonexistent}"
}

# local_cluster: start the test's local cluster and export its settings.
local_cluster() {
    "$ROOT/scripts/local-cluster" start 2>/dev/null
    # shellcheck source=/dev/null
    . "$APRKIT_STATE_DIR/local.env"
    export PGHOST PGPORT PGDATABASE PGUSER=postgres
}

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# governed_state: what the runbook changes and the rollback restores, as
# sorted text: the configuration tables' data (pg_dump), the active grants,
# and every handler file's hash. Not compared: the history, kept by design
# (ledger, APRs, votes, deploy log, migrations, revoked grants), and the tool
# registry of step 5, a change of its own that the rollback leaves standing.
governed_state() {
    pg_dump --data-only --no-owner -t apr_action_types -t apr_action_fields -t apr_quorum_policies \
        -t apr_approvers -t patch_targets | grep -v -e '^--' -e '^$' -e '^SET ' -e '^SELECT pg_catalog' -e '^.restrict ' -e '^.unrestrict ' | sort
    echo "active grants: $(sql "SELECT coalesce(string_agg(auth_code, ',' ORDER BY auth_code), 'none')
                                  FROM governance_build_authorization WHERE status = 'active'")"
    (cd "$APRKIT_STATE_DIR/handlers" && find . -type f ! -name '.*' -exec sha256sum {} + | sort)
}

# all_data: every row of every table, sorted: "changes nothing" at all.
all_data() {
    pg_dump --data-only --no-owner | grep -v -e '^--' -e '^$' -e '^SET ' -e '^SELECT pg_catalog' -e '^.restrict ' -e '^.unrestrict ' | sort
}

# cluster_roles_and_databases: the cluster's roles and databases, sorted:
# what the runbook may not leave behind.
cluster_roles_and_databases() {
    sql "SELECT rolname FROM pg_roles ORDER BY 1"
    sql "SELECT datname FROM pg_database ORDER BY 1"
}

# handler_files: every file in the local handlers directory, with its hash.
handler_files() {
    (cd "$APRKIT_STATE_DIR/handlers" && find . -type f -exec sha256sum {} + | sort)
}
