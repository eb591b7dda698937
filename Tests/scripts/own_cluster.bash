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

# start_own_cluster DATABASE [PG-LOCAL-START-OPTION...]: a scripts/pg-local
# cluster whose environment is exported, with DATABASE created, migrated and
# made the default.
start_own_cluster() {
    eval "$("$ROOT/scripts/pg-local" start "${@:2}")"
    export PGHOST PGPORT PGUSER APRKIT_PG_DIR
    export PGDATABASE=$1
    createdb "$PGDATABASE"
    "$BIN/gov-migrate" >/dev/null
}

stop_own_cluster() {
    [[ -z ${APRKIT_PG_DIR:-} ]] || "$ROOT/scripts/pg-local" stop "$APRKIT_PG_DIR" || true
}

# free_tcp_port: a TCP port on 127.0.0.1 that nothing listens on now (a
# connection to it is refused), from a random start so that concurrent runs
# rarely pick the same one.
free_tcp_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + (RANDOM + i) % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free TCP port found on 127.0.0.1" >&2
    return 1
}

# as_pg CMD...: run CMD as the postgres system user when root (the servers
# and their files belong to it), as this user otherwise.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# start_standby [NAME [SOURCE-SOCKET]]: a hot standby of the own cluster
# (or of the server at SOURCE-SOCKET, on the same port), cloned with
# pg_basebackup -R into $APRKIT_PG_DIR/NAME (default: standby; the postgres
# user can reach it), on a socket directory of its own and no TCP address,
# so nothing clashes with the primary. Exports STANDBY (its directory) and
# STANDBY_SOCKET.
start_standby() {
    local source=${2:-$PGHOST}
    export STANDBY=$APRKIT_PG_DIR/${1:-standby} STANDBY_SOCKET=$APRKIT_PG_DIR/${1:-standby}/socket
    mkdir -p "$STANDBY/data" "$STANDBY_SOCKET" "$STANDBY/log"
    chmod 700 "$STANDBY/data"
    if ((EUID == 0)); then chown postgres: "$STANDBY" "$STANDBY/data" "$STANDBY_SOCKET" "$STANDBY/log"; fi
    as_pg pg_basebackup -h "$source" -p "$PGPORT" -U postgres -D "$STANDBY/data" -R -X stream -c fast
    as_pg tee -a "$STANDBY/data/postgresql.conf" >/dev/null <<CONF

# the standby
listen_addresses = ''
unix_socket_directories = '$STANDBY_SOCKET'
hot_standby = on
CONF
    as_pg pg_ctl -D "$STANDBY/data" -l "$STANDBY/log/postgresql.log" -w -t 60 start >/dev/null
}

# wait_for_replay [STANDBY-CONNINFO]: waits (bounded) until the standby
# (default: $STANDBY_DB) has replayed everything the primary of the
# environment wrote.
wait_for_replay() {
    local standby=${1:-$STANDBY_DB} lsn i
    lsn=$(psql -X -At -c 'SELECT pg_current_wal_lsn()')
    for ((i = 0; i < 600; i++)); do
        [[ $(psql -X -At -d "$standby" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'") == t ]] && return 0
        sleep 0.1
    done
    echo "the standby did not replay up to $lsn" >&2
    return 1
}

# stop_standby: stops the standby start_standby started, if it runs.
stop_standby() {
    if [[ -f ${STANDBY:-}/data/postmaster.pid ]]; then
        as_pg pg_ctl -D "$STANDBY/data" -m fast -w -t 30 stop >/dev/null || true
    fi
}
