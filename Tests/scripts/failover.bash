#!/usr/bin/env bash
# Helpers of failover.bats: a primary and a synchronous streaming standby,
# the tools run in the background against both through one multi-host
# conninfo, the primary killed mid-work and the standby promoted, and every
# tool that did not exit 0 run again until it does. Load after own_cluster.
# Every run leaves its stdout, stderr and exit status in $RUNS:
# NAME.TRY.out, NAME.TRY.err, NAME.TRY.rc (NAME has no dot).

# node_socket N: the socket directory of node N (0: the pg-local cluster,
# N: the standby start_standby made as nN).
node_socket() {
    if (($1 == 0)); then echo "$APRKIT_PG_DIR/socket"; else echo "$APRKIT_PG_DIR/n$1/socket"; fi
}

node_data() {
    if (($1 == 0)); then echo "$APRKIT_PG_DIR/data"; else echo "$APRKIT_PG_DIR/n$1/data"; fi
}

# multi_host P S: the conninfo every tool uses: both servers, the one that
# takes writes chosen by libpq.
multi_host() {
    echo "host=$(node_socket "$1"),$(node_socket "$2") port=$PGPORT,$PGPORT dbname=$PGDATABASE target_session_attrs=read-write"
}

# pair_up P S: node S becomes a streaming standby of node P, and P commits
# only once S has the commit on disk (synchronous_standby_names and
# synchronous_commit = on): what a tool reports done survives a failover.
# The clone is taken first, so S, once promoted, does not wait on a standby
# of its own.
pair_up() {
    local primary
    primary=$(node_socket "$1")
    start_standby "n$2" "$primary"
    psql -X -q -h "$primary" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "ALTER SYSTEM SET synchronous_standby_names = '*'" \
        -c "ALTER SYSTEM SET synchronous_commit = 'on'" -c "SELECT pg_reload_conf()" >/dev/null
    local i
    for ((i = 0; i < 300; i++)); do
        [[ $(psql -X -At -h "$primary" -U postgres -d postgres \
            -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == 1 ]] && return 0
        sleep 0.1
    done
    echo "node $2 did not become a synchronous standby of node $1" >&2
    return 1
}

# stop_nodes: every standby start_standby made (the pg-local cluster is
# stop_own_cluster's).
stop_nodes() {
    local data
    for data in "$APRKIT_PG_DIR"/n*/data; do
        [[ -f $data/postmaster.pid ]] || continue
        as_pg pg_ctl -D "$data" -m immediate -w -t 30 stop >/dev/null || true
    done
}

# A tool that hangs is cut at 120 s (exit 124, which no check accepts), so a
# hang fails the test instead of stalling the suite.

# launch NAME ROLE STDIN TOOL ARG...: runs TOOL as ROLE in the background,
# its standard input from the file STDIN (or /dev/null), as try 1 of NAME;
# the pid is appended to LAUNCHED.
launch() {
    local name=$1 role=$2 input=$3
    shift 3
    (
        rc=0
        PGUSER=$role timeout -k 5 120 "$BIN/$1" "${@:2}" <"$input" >"$RUNS/$name.1.out" 2>"$RUNS/$name.1.err" || rc=$?
        echo "$rc" >"$RUNS/$name.1.rc"
    ) 3>&- &
    LAUNCHED+=("$!")
}

# rerun NAME ROLE STDIN TOOL ARG...: runs TOOL again, as try 2, 3, ... of
# NAME, until it exits 0 (at most 30 times, a short pause between).
rerun() {
    local name=$1 role=$2 input=$3 try rc
    shift 3
    for ((try = 2; try <= 31; try++)); do
        rc=0
        PGUSER=$role timeout -k 5 120 "$BIN/$1" "${@:2}" <"$input" >"$RUNS/$name.$try.out" 2>"$RUNS/$name.$try.err" || rc=$?
        echo "$rc" >"$RUNS/$name.$try.rc"
        ((rc == 0)) && return 0
        sleep 0.2
    done
    echo "$name did not complete in 30 re-runs (last exit $rc)" >&2
    return 1
}

# wait_until_grants NODE N: waits (bounded) until node NODE holds N grants
# or more.
wait_until_grants() {
    local i
    for ((i = 0; i < 1000; i++)); do
        (($(psql -X -At -h "$(node_socket "$1")" -U postgres \
            -c "SELECT count(*) FROM governance_build_authorization") >= $2)) && return 0
        sleep 0.01
    done
    echo "node $1 never held $2 grants" >&2
    return 1
}
