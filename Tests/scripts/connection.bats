#!/usr/bin/env bats
# The tools connect as psql does, because libpq connects for them: a host
# list fails over host by host, each within its own connect_timeout;
# target_session_attrs picks the primary; .pgpass, PGPASSWORD and service
# files work against a server that asks for a scram-sha-256 password; and a
# refused login is authentication_failed in libpq's words. Each case runs
# psql with the same conninfo and checks that the tool landed where psql did.
#
# Clusters of its own: A, the primary (scripts/pg-local --tcp: trusted on its
# Unix socket, scram-sha-256 on 127.0.0.1); S, a hot standby of A; and B, a
# server that is frozen (SIGSTOP) to be a host that accepts a connection and
# never answers.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0


# proposal TARGET: an authorize_build_step proposal, one JSON line.
proposal() {
    printf '{"request_type":"authorize_build_step","action_code":"authorize_build_step",'
    printf '"proposed_action":{"target":"%s","manifest_hash":"%s","ttl_seconds":3600},' "$1" "$(printf 'ab%.0s' {1..32})"
    printf '"session_code":"S-C1-ABS-001","reason":"ticket OPS-1"}\n'
}

setup_file() {
    load own_cluster
    use_built_tools apr-propose apr-quorum gov-migrate

    # A: the primary, also on 127.0.0.1:TCP_PORT with scram-sha-256.
    TCP_PORT=$(free_tcp_port)
    export TCP_PORT
    start_own_cluster aprkit_conn --tcp "$TCP_PORT"
    export A_SOCKET=$PGHOST
    psql -X -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE proposer LOGIN" -c "GRANT apr_proposer TO proposer" \
        -c "CREATE ROLE alice LOGIN PASSWORD 'right'" \
        -c "SELECT apr_approver_set('alice', 'owner')" >/dev/null
    proposal DOT_C1_VOCAB_BUILD | PGUSER=proposer "$BIN/apr-propose" >/dev/null   # APR-000001

    # S: a hot standby of A in A's directory, on its own socket directory
    # and on no TCP address (A's settings, copied, would take A's).
    start_standby
    export S_SOCKET=$STANDBY_SOCKET

    # B: another cluster (port 5432 on its own socket directory).
    local b_env
    b_env=$("$ROOT/scripts/pg-local" start)
    B_DIR=$(eval "$b_env" && printf '%s\n' "$APRKIT_PG_DIR")
    export B_DIR B_SOCKET=$B_DIR/socket
    export B_PID
    B_PID=$(head -n 1 "$B_DIR/data/postmaster.pid")
}

teardown_file() {
    if [[ -n ${B_PID:-} ]]; then kill -CONT "$B_PID" 2>/dev/null || true; fi
    if [[ -n ${B_DIR:-} ]]; then "$ROOT/scripts/pg-local" stop "$B_DIR" || true; fi
    load own_cluster
    stop_standby
    stop_own_cluster
}

setup() {
    load own_cluster
    # No password but the one a test gives.
    export PGPASSFILE=$BATS_TEST_TMPDIR/no-pgpass
    unset PGPASSWORD PGSERVICE PGSERVICEFILE
}

teardown() {
    # A test that froze B and failed before thawing it.
    kill -CONT "$B_PID" 2>/dev/null || true
}

# landed [CONNINFO]: where psql connects with CONNINFO (else with the
# environment alone), as -v says it: "host H port P database D as U".
landed() {
    local args=()
    [[ -z ${1:-} ]] || args=(-d "$1")
    psql -X -At "${args[@]}" -c '\echo host :HOST port :PORT database :DBNAME as :USER'
}

# psql_error CONNINFO: psql's error for CONNINFO (it must fail), without
# "psql: error: " and libpq's tab-indented hints.
psql_error() {
    local err
    if err=$(psql -X -w -At -d "$1" -c 'SELECT 1' 2>&1 >/dev/null); then
        echo "psql connected with $1" >&2
        return 1
    fi
    grep -v $'^\t' <<<"${err#psql: error: }"
}

votes() {
    psql -X -At -c "SELECT count(*) FROM apr_votes"
}

quorum_not_met='apr-quorum: APR-000001 needs 2 more approvals and 1 more approval of role owner (quorum_not_met)'

# 1. A host list, host by host

@test "host=FROZEN,LIVE connect_timeout=2: the first host times out, the tool connects to the second as psql does" {
    conninfo="host=$B_SOCKET,$A_SOCKET port=5432,$TCP_PORT dbname=$PGDATABASE user=alice connect_timeout=2"
    kill -STOP "$B_PID"
    run -2 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 -d "$conninfo"
    [ "${#lines[@]}" -eq 1 ]
    [[ ${lines[0]} == '{"ok":false,"result":"SKIP","reason":"quorum_not_met",'*'"apr_code":"APR-000001",'* ]]
    [ "$stderr" = "apr-quorum: connected to host $A_SOCKET port $TCP_PORT database $PGDATABASE as alice
$quorum_not_met" ]
    [ "$(landed "$conninfo")" = "host $A_SOCKET port $TCP_PORT database $PGDATABASE as alice" ]
    kill -CONT "$B_PID"
}

@test "the frozen host alone is unavailable after connect_timeout, in libpq's words as psql says them" {
    conninfo="host=$B_SOCKET port=5432 dbname=postgres connect_timeout=2"
    kill -STOP "$B_PID"
    reason="connection to server on socket \"$B_SOCKET/.s.PGSQL.5432\" failed: timeout expired"
    run -69 --separate-stderr "$BIN/gov-migrate" --dry-run -v -d "$conninfo"
    [ "$output" = "{\"ok\":false,\"result\":\"FAIL\",\"reason\":\"database_unavailable\",\"message\":\"cannot reach the database: ${reason//\"/\\\"}\"}" ]
    [ "$stderr" = "gov-migrate: cannot reach the database: $reason (database_unavailable)" ]
    [ "$(psql_error "$conninfo")" = "$reason" ]
    kill -CONT "$B_PID"
}

@test "host=CLOSED,LIVE: a TCP port nothing listens on is passed over at once" {
    closed=$(free_tcp_port)
    conninfo="host=127.0.0.1,$A_SOCKET port=$closed,$TCP_PORT dbname=$PGDATABASE user=postgres connect_timeout=2"
    run -0 --separate-stderr "$BIN/gov-migrate" --dry-run -v -d "$conninfo"
    [ "${#lines[@]}" -eq 1 ]
    [[ ${lines[0]} == '{"ok":true,"dry_run":true,"plan":[{"version":"001",'* ]]
    [ "$stderr" = "gov-migrate: connected to host $A_SOCKET port $TCP_PORT database $PGDATABASE as postgres" ]
    [ "$(landed "$conninfo")" = "host $A_SOCKET port $TCP_PORT database $PGDATABASE as postgres" ]
}

# 2. target_session_attrs

@test "target_session_attrs=read-write with the standby first: the primary, and the write goes through" {
    conninfo="host=$S_SOCKET,$A_SOCKET port=$TCP_PORT dbname=$PGDATABASE user=proposer target_session_attrs=read-write"
    [ "$(psql -X -At -c "SELECT count(*) FROM apr_requests")" = 1 ]
    run -0 --separate-stderr "$BIN/apr-propose" -v -d "$conninfo" < <(proposal DOT_C2_CONNECTION_TEST)
    [ "${#lines[@]}" -eq 1 ]
    [[ ${lines[0]} == '{"ok":true,'*'"apr_code":"APR-000002",'* ]]
    [ "$stderr" = "apr-propose: connected to host $A_SOCKET port $TCP_PORT database $PGDATABASE as proposer" ]
    [ "$(landed "$conninfo")" = "host $A_SOCKET port $TCP_PORT database $PGDATABASE as proposer" ]
    [ "$(psql -X -At -c "SELECT proposed_by FROM apr_requests WHERE apr_code = 'APR-000002'")" = proposer ]
}

@test "target_session_attrs=any with the standby first: the standby" {
    wait_for_replay "host=$S_SOCKET dbname=$PGDATABASE"
    conninfo="host=$S_SOCKET,$A_SOCKET port=$TCP_PORT dbname=$PGDATABASE user=alice target_session_attrs=any"
    run -2 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 -d "$conninfo"
    [ "${#lines[@]}" -eq 1 ]
    [[ ${lines[0]} == '{"ok":false,"result":"SKIP","reason":"quorum_not_met",'*'"apr_code":"APR-000001",'* ]]
    [ "$stderr" = "apr-quorum: connected to host $S_SOCKET port $TCP_PORT database $PGDATABASE as alice
$quorum_not_met" ]
    [ "$(landed "$conninfo")" = "host $S_SOCKET port $TCP_PORT database $PGDATABASE as alice" ]
    [ "$(psql -X -At -d "$conninfo" -c 'SELECT pg_is_in_recovery()')" = t ]
}

@test "target_session_attrs=read-write with only the standby: unavailable, in libpq's words" {
    conninfo="host=$S_SOCKET port=$TCP_PORT dbname=$PGDATABASE user=proposer target_session_attrs=read-write"
    reason=$(psql_error "$conninfo")
    [[ $reason == *"session is read-only"* ]]
    run -69 --separate-stderr "$BIN/apr-propose" -v -d "$conninfo" < <(proposal DOT_C3_CONNECTION_TEST)
    [ "$output" = "{\"ok\":false,\"result\":\"FAIL\",\"reason\":\"database_unavailable\",\"message\":\"cannot reach the database: ${reason//\"/\\\"}\"}" ]
    [ "$stderr" = "apr-propose: cannot reach the database: $reason (database_unavailable)" ]
    [ "$(psql -X -At -c "SELECT count(*) FROM apr_requests")" = 2 ]
}

# 3. A server that asks for a scram-sha-256 password

tcp() { printf 'host=127.0.0.1 port=%s dbname=%s user=alice' "$TCP_PORT" "$PGDATABASE"; }

# pgpass PASSWORD: a .pgpass file (mode 0600) for alice on A's TCP address.
pgpass() {
    local file=$BATS_TEST_TMPDIR/pgpass
    (umask 077 && printf '127.0.0.1:%s:*:alice:%s\n' "$TCP_PORT" "$1" >"$file")
    printf '%s\n' "$file"
}

# refused_login REASON-LINE: the one JSON line and the one stderr line of an
# authentication_failed refusal, nothing voted.
refused_login() {
    [ "$output" = "{\"ok\":false,\"result\":\"FAIL\",\"reason\":\"authentication_failed\",\"message\":\"authentication failed: ${1//\"/\\\"}\"}" ]
    [ "$stderr" = "apr-quorum: authentication failed: $1 (authentication_failed)" ]
    [ "$(votes)" = 0 ]
}

@test "a wrong PGPASSWORD: 69 authentication_failed, libpq's password authentication failed" {
    reason="connection to server at \"127.0.0.1\", port $TCP_PORT failed: FATAL:  password authentication failed for user \"alice\""
    PGPASSWORD=wrong run -69 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 --vote approve -d "$(tcp)"
    refused_login "$reason"
    [ "$(PGPASSWORD=wrong psql_error "$(tcp)")" = "$reason" ]
}

@test "a wrong password in the .pgpass file: 69 authentication_failed, and libpq names the file" {
    PGPASSFILE=$(pgpass wrong)
    reason="connection to server at \"127.0.0.1\", port $TCP_PORT failed: FATAL:  password authentication failed for user \"alice\""
    run -69 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 --vote approve -d "$(tcp)"
    refused_login "$reason; password retrieved from file \"$PGPASSFILE\""
    [ "$(psql_error "$(tcp)")" = "$reason
password retrieved from file \"$PGPASSFILE\"" ]
}

@test "no password at all: 69 authentication_failed, libpq's no password supplied" {
    reason="connection to server at \"127.0.0.1\", port $TCP_PORT failed: fe_sendauth: no password supplied"
    run -69 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 --vote approve -d "$(tcp)"
    refused_login "$reason"
    [ "$(psql_error "$(tcp)")" = "$reason" ]
}

@test "a .pgpass file with group or world access is ignored, and libpq's warning says so as in psql" {
    PGPASSFILE=$(pgpass right)
    chmod 0644 "$PGPASSFILE"
    warning="WARNING: password file \"$PGPASSFILE\" has group or world access; permissions should be u=rw (0600) or less"
    reason="connection to server at \"127.0.0.1\", port $TCP_PORT failed: fe_sendauth: no password supplied"
    run -69 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 --vote approve -d "$(tcp)"
    [ "$output" = "{\"ok\":false,\"result\":\"FAIL\",\"reason\":\"authentication_failed\",\"message\":\"authentication failed: ${reason//\"/\\\"}\"}" ]
    [ "$stderr" = "$warning
apr-quorum: authentication failed: $reason (authentication_failed)" ]
    [ "$(votes)" = 0 ]
    run -2 --separate-stderr psql -X -w -At -d "$(tcp)" -c 'SELECT 1'
    [[ $stderr == "$warning"$'\n'* ]]
}

@test "no pg_hba.conf entry (a replication connection over TCP): 69 authentication_failed" {
    PGPASSFILE=$(pgpass right)
    run -69 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 --vote approve -d "$(tcp) replication=true"
    reason=$(psql_error "$(tcp) replication=true")
    [[ $reason == *"FATAL:  no pg_hba.conf entry for replication connection from host \"127.0.0.1\", user \"alice\""* ]]
    refused_login "$reason"
}

@test "the right password in a .pgpass file (0600) connects over scram-sha-256" {
    PGPASSFILE=$(pgpass right)
    [ "$(stat -c %a "$PGPASSFILE")" = 600 ]
    run -2 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001 -d "$(tcp)"
    [[ ${lines[0]} == '{"ok":false,"result":"SKIP","reason":"quorum_not_met",'*'"apr_code":"APR-000001",'* ]]
    [ "$stderr" = "apr-quorum: connected to host 127.0.0.1 port $TCP_PORT database $PGDATABASE as alice
$quorum_not_met" ]
    [ "$(landed "$(tcp)")" = "host 127.0.0.1 port $TCP_PORT database $PGDATABASE as alice" ]
}

@test "PGSERVICE names a service in PGSERVICEFILE that points at the server" {
    PGPASSFILE=$(pgpass right)
    db=$PGDATABASE
    export PGSERVICEFILE=$BATS_TEST_TMPDIR/pg_service.conf
    cat >"$PGSERVICEFILE" <<EOF
[aprkit-conn]
host=127.0.0.1
port=$TCP_PORT
dbname=$db
user=alice
EOF
    # Only the service says where to connect.
    unset PGHOST PGPORT PGDATABASE PGUSER
    export PGSERVICE=aprkit-conn
    run -2 --separate-stderr "$BIN/apr-quorum" -v --apr APR-000001
    [ "${#lines[@]}" -eq 1 ]
    [[ ${lines[0]} == '{"ok":false,"result":"SKIP","reason":"quorum_not_met",'*'"apr_code":"APR-000001",'* ]]
    [ "$stderr" = "apr-quorum: connected to host 127.0.0.1 port $TCP_PORT database $db as alice
$quorum_not_met" ]
    [ "$(landed)" = "host 127.0.0.1 port $TCP_PORT database $db as alice" ]
    # The same service with a wrong password is a refused login.
    PGPASSFILE=$(pgpass wrong)
    run -69 --separate-stderr "$BIN/apr-quorum" --apr APR-000001
    [[ $output == '{"ok":false,"result":"FAIL","reason":"authentication_failed",'* ]]
    [[ $stderr == 'apr-quorum: authentication failed: '*'password authentication failed for user "alice"'*'(authentication_failed)' ]]
}
