#!/usr/bin/env bats
# scripts/pg-local: start prints only export lines, the cluster answers,
# stop removes the directory and may be repeated.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    root=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    export PG_LOCAL="$root/scripts/pg-local"
    # The server's own psql, not a wrapper that picks a version.
    if command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/psql ]]; then
        PATH="$(pg_config --bindir):$PATH"
    fi
    export PATH
}

setup() {
    cluster=''
}

# Stop only the cluster this test started (scripts/test's own cluster is in
# the inherited environment and must be left alone).
teardown() {
    if [[ -n $cluster ]]; then "$PG_LOCAL" stop "$cluster" || true; fi
}

# start [DIR]: start a cluster and take its environment.
start() {
    run -0 --separate-stderr "$PG_LOCAL" start "$@"
    eval "$output"
    cluster=$APRKIT_PG_DIR
}

@test "start prints only the five export lines" {
    run -0 --separate-stderr "$PG_LOCAL" start
    eval "$output"
    cluster=$APRKIT_PG_DIR
    [ "${#lines[@]}" -eq 5 ]
    for line in "${lines[@]}"; do
        [[ $line =~ ^export\ (PGHOST|PGPORT|PGUSER|PGDATABASE|APRKIT_PG_DIR)=[^[:space:]]+$ ]]
    done
    [ "$PGHOST" = "$APRKIT_PG_DIR/socket" ]
    [ "$PGUSER" = postgres ]
    [ "$PGDATABASE" = postgres ]
    [ -d "$APRKIT_PG_DIR" ]
}

@test "the cluster answers psql as superuser postgres" {
    start
    run -0 --separate-stderr psql -X -Atc 'select 1'
    [ "$output" = 1 ]
    run -0 --separate-stderr psql -X -Atc 'select rolsuper from pg_roles where rolname = current_user'
    [ "$output" = t ]
}

@test "the cluster has the settings the tests rely on" {
    start
    run -0 --separate-stderr psql -X -At -c "select name || '=' || setting from pg_settings
        where name in ('fsync', 'wal_level', 'max_connections', 'listen_addresses') order by name"
    [ "$output" = "fsync=on
listen_addresses=
max_connections=200
wal_level=replica" ]
    run -0 --separate-stderr psql -X -Atc 'show shared_buffers'
    [ "$output" = 128MB ]
}

@test "a replication connection is trusted" {
    start
    run -0 --separate-stderr psql -X -At "dbname=postgres replication=database" -c 'IDENTIFY_SYSTEM'
    [[ $output =~ ^[0-9]+\|1\| ]]
}

@test "start DIR uses DIR, and env prints the same lines" {
    dir=$BATS_TEST_TMPDIR/c1
    start "$dir"
    first=$output
    [ "$APRKIT_PG_DIR" = "$(readlink -f "$dir")" ]
    run -0 --separate-stderr "$PG_LOCAL" env "$dir"
    [ "$output" = "$first" ]
    run -0 --separate-stderr psql -X -Atc 'select 1'
}

@test "stop removes the directory, and a second stop is fine" {
    start
    run -0 --separate-stderr "$PG_LOCAL" stop "$cluster"
    [ ! -e "$cluster" ]
    run -0 --separate-stderr "$PG_LOCAL" stop "$cluster"
    cluster=''
}

@test "env of a stopped cluster fails" {
    start
    "$PG_LOCAL" stop "$cluster"
    run -1 --separate-stderr "$PG_LOCAL" env "$cluster"
    [ -z "$output" ]
    [[ $stderr == pg-local:* ]]
    cluster=''
}

@test "stop refuses a directory that is not a pg-local cluster" {
    mkdir "$BATS_TEST_TMPDIR/not-a-cluster"
    touch "$BATS_TEST_TMPDIR/not-a-cluster/keep"
    run -1 --separate-stderr "$PG_LOCAL" stop "$BATS_TEST_TMPDIR/not-a-cluster"
    [[ $stderr == *"not a pg-local cluster"* ]]
    [ -f "$BATS_TEST_TMPDIR/not-a-cluster/keep" ]
}

@test "start refuses a directory that is not empty" {
    mkdir "$BATS_TEST_TMPDIR/full"
    touch "$BATS_TEST_TMPDIR/full/keep"
    run -1 --separate-stderr "$PG_LOCAL" start "$BATS_TEST_TMPDIR/full"
    [ -z "$output" ]
    [[ $stderr == *"not empty"* ]]
    [ -f "$BATS_TEST_TMPDIR/full/keep" ]
}

@test "start refuses a socket path over the limit" {
    long=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..100})
    run -1 --separate-stderr "$PG_LOCAL" start "$long"
    [ -z "$output" ]
    [[ $stderr == *"socket path too long"* ]]
    [ ! -e "$long" ]
}

@test "start --tcp PORT also listens on 127.0.0.1:PORT, where logins need a scram password" {
    load own_cluster
    port=$(free_tcp_port)
    start --tcp "$port"
    [ "${#lines[@]}" -eq 5 ]
    [ "$PGPORT" = "$port" ]
    [ "$PGHOST" = "$APRKIT_PG_DIR/socket" ]
    # The socket stays trusted.
    run -0 --separate-stderr psql -X -At -c "show listen_addresses" -c "show password_encryption"
    [ "$output" = "127.0.0.1
scram-sha-256" ]
    psql -X -q -c "CREATE ROLE tcp_user LOGIN PASSWORD 'right'"
    run -0 --separate-stderr psql -X -At -c "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'tcp_user'"
    [ "$output" = t ]
    tcp="host=127.0.0.1 port=$port dbname=postgres user=tcp_user"
    PGPASSWORD=right run -0 --separate-stderr psql -X -At -d "$tcp" -c 'SELECT inet_server_port()'
    [ "$output" = "$port" ]
    PGPASSWORD=wrong run -2 --separate-stderr psql -X -At -d "$tcp" -c 'SELECT 1'
    [[ $stderr == *'password authentication failed for user "tcp_user"'* ]]
    run -2 --separate-stderr psql -X -w -At -d "$tcp" -c 'SELECT 1'
    [[ $stderr == *"no password supplied"* ]]
}

@test "bad usage exits 64" {
    run -64 --separate-stderr "$PG_LOCAL"
    run -64 --separate-stderr "$PG_LOCAL" frobnicate
    run -64 --separate-stderr "$PG_LOCAL" stop
    run -64 --separate-stderr "$PG_LOCAL" start a b
    run -64 --separate-stderr "$PG_LOCAL" start --tcp
    run -64 --separate-stderr "$PG_LOCAL" start --tcp 0
    run -64 --separate-stderr "$PG_LOCAL" start --tcp 65536
    run -64 --separate-stderr "$PG_LOCAL" start --tcp http
    run -64 --separate-stderr "$PG_LOCAL" start --tcp 5432 a b
    run -0 --separate-stderr "$PG_LOCAL" --help
    [[ $output == usage:* ]]
}
