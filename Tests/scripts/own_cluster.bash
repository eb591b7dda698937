#!/usr/bin/env bash
# Helpers for bats files that run the built tools against a PostgreSQL
# cluster of their own (not the one scripts/test started, which others use).
# Load with `load own_cluster` in setup_file.

# use_built_tools TOOL...: ROOT and BIN (APRKIT_BIN_DIR, else .build/debug),
# which must hold every TOOL; the server's own client programs first on PATH.
use_built_tools() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
    local tool
    for tool; do
        [[ -x $BIN/$tool ]] || { echo "$tool is not built in $BIN (swift build)" >&3; return 1; }
    done
    if command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/psql ]]; then
        PATH="$(pg_config --bindir):$PATH"
    fi
    export ROOT BIN PATH
}

# start_own_cluster DATABASE: a scripts/pg-local cluster whose environment
# is exported, with DATABASE created, migrated and made the default.
start_own_cluster() {
    eval "$("$ROOT/scripts/pg-local" start)"
    export PGHOST PGPORT PGUSER APRKIT_PG_DIR
    export PGDATABASE=$1
    createdb "$PGDATABASE"
    "$BIN/gov-migrate" >/dev/null
}

stop_own_cluster() {
    [[ -z ${APRKIT_PG_DIR:-} ]] || "$ROOT/scripts/pg-local" stop "$APRKIT_PG_DIR" || true
}
