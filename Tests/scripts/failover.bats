#!/usr/bin/env bats
# A failover under load. A primary (scripts/pg-local) and a synchronous
# streaming standby (pg_basebackup -R; synchronous_standby_names and
# synchronous_commit = on, as an operator who wants the guarantee configures
# them). Every tool connects through one multi-host conninfo with
# target_session_attrs=read-write. While four apr-execute --pending drainers
# mint the grants of 50 approved APRs and two approvers vote on 20 more with
# apr-quorum --vote, the primary is stopped with pg_ctl stop -m immediate and
# the standby promoted; every tool that did not exit 0 is run again until it
# does. Every tool cut off must have exited 69 or 75, and afterwards each APR
# has one grant and one settled dispatch, the ledger is one chain, every
# "ok": true a tool printed is a row on the new primary, and an apr-log
# --follow that ran throughout printed the new primary's ledger exactly. When
# no tool was in flight at the cut, the round is repeated against the
# promoted server and a new standby (at most three rounds). Before the
# failover: readback reads the standby, and a write that reaches the standby
# is unavailable (69).
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    load failover
    use_built_tools apr-execute apr-quorum apr-propose apr-log readback gov-migrate handler-bind
    start_own_cluster aprkit_failover
    local role
    for role in proposer executor owner1 owner2; do
        psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE $role LOGIN"
    done
    psql -X -q -v ON_ERROR_STOP=1 -c "GRANT apr_proposer TO proposer" -c "GRANT apr_executor TO executor" \
        -c "SELECT apr_approver_set('owner1', 'owner'), apr_approver_set('owner2', 'owner')" >/dev/null
    WORK=$BATS_FILE_TMPDIR RUNS=$BATS_FILE_TMPDIR/runs
    mkdir -p "$RUNS"
    export WORK RUNS
    "$BIN/handler-bind" --staged-dir "$WORK/staged" --action authorize_build_step \
        --handler apr-execute:authorize_build_step >/dev/null
    pair_up 0 1
}

setup() {
    load own_cluster
    load failover
}

teardown_file() {
    load own_cluster
    load failover
    if [[ -f $WORK/follow.pid ]]; then kill "$(cat "$WORK/follow.pid")" 2>/dev/null || true; fi
    stop_nodes
    stop_own_cluster
}

# on NODE SQL: one value read on node NODE, as the superuser.
on() {
    psql -X -At -v ON_ERROR_STOP=1 -h "$(node_socket "$1")" -U postgres -c "$2"
}

# workload ROUND NODE: 70 APRs of authorize_build_step, one target each,
# proposed on NODE; the first 50 approved by both owners, the other 20
# written to $WORK/rROUND.votes for the voters.
workload() {
    local r=$1 host codes
    host=$(node_socket "$2")
    PGUSER=proposer psql -X -At -v ON_ERROR_STOP=1 -h "$host" -c "
        SELECT apr_propose('authorize_build_step', 'authorize_build_step',
                           jsonb_build_object('target', 'FAILOVER_R${r}_T' || g, 'manifest_hash', repeat('ab', 32),
                                              'ttl_seconds', 3600),
                           'S-FAILOVER', 'failover drill')
          FROM generate_series(1, 70) g" >"$WORK/r$r.proposed"
    codes=$(head -n 50 "$WORK/r$r.proposed" | jq -r .apr_code | paste -sd,)
    for owner in owner1 owner2; do
        PGUSER=$owner psql -X -q -v ON_ERROR_STOP=1 -h "$host" \
            -c "SELECT count(apr_vote(c, 'approve', NULL)) FROM unnest('{$codes}'::text[]) c" >/dev/null
    done
    tail -n 20 "$WORK/r$r.proposed" >"$WORK/r$r.votes"
}

# failover_round ROUND P S: the workload on primary P, the tools started
# through the multi-host conninfo, P killed once 10 of this round's grants
# are minted, S promoted, every tool that did not exit 0 run again until it
# does (the voters first), then one more drainer for the APRs approved last.
failover_round() {
    local r=$1 p=$2 s=$3 multi base name
    multi=$(multi_host "$p" "$s")
    workload "$r" "$p"
    base=$(on "$p" "SELECT count(*) FROM governance_build_authorization")
    LAUNCHED=()
    for name in 1 2 3 4; do
        launch "r$r-drain$name" executor /dev/null apr-execute -d "$multi" --pending
    done
    for name in owner1 owner2; do
        launch "r$r-vote-$name" "$name" "$WORK/r$r.votes" apr-quorum -d "$multi" --vote approve
    done
    wait_until_grants "$p" $((base + 10))
    as_pg pg_ctl -D "$(node_data "$p")" -m immediate -w -t 30 stop >/dev/null
    as_pg pg_ctl -D "$(node_data "$s")" -w -t 60 promote >/dev/null
    wait "${LAUNCHED[@]}" || true
    for name in owner1 owner2; do
        [[ $(cat "$RUNS/r$r-vote-$name.1.rc") == 0 ]] ||
            rerun "r$r-vote-$name" "$name" "$WORK/r$r.votes" apr-quorum -d "$multi" --vote approve
    done
    for name in 1 2 3 4; do
        [[ $(cat "$RUNS/r$r-drain$name.1.rc") == 0 ]] ||
            rerun "r$r-drain$name" executor /dev/null apr-execute -d "$multi" --pending
    done
    LAUNCHED=()
    launch "r$r-closing" executor /dev/null apr-execute -d "$multi" --pending
    wait "${LAUNCHED[@]}" || true
    [[ $(cat "$RUNS/r$r-closing.1.rc") == 0 ]] ||
        rerun "r$r-closing" executor /dev/null apr-execute -d "$multi" --pending
}

@test "before the failover: readback reads the standby, and a writer pointed at the standby alone is unavailable" {
    wait_for_replay "host=$STANDBY_SOCKET dbname=$PGDATABASE"
    run -0 --separate-stderr "$BIN/readback" -d "host=$STANDBY_SOCKET dbname=$PGDATABASE" \
        --checklist ledger --ledger-head /dev/null
    [[ ${lines[-1]} == '{"ok":true,"checklist":"ledger",'* ]]
    [ "$(on 1 'SELECT pg_is_in_recovery()')" = t ]
    run -69 --separate-stderr env PGUSER=executor "$BIN/apr-execute" \
        -d "host=$STANDBY_SOCKET dbname=$PGDATABASE target_session_attrs=read-write" --pending
    [ "$(jq -r .reason <<<"$output")" = database_unavailable ]
    [[ $stderr == *"session is read-only"*"(database_unavailable)" ]]
}

@test "before the failover: a write the standby refuses is unavailable (69), never an internal error" {
    local standby="host=$STANDBY_SOCKET dbname=$PGDATABASE"
    run -69 --separate-stderr env PGUSER=owner1 "$BIN/apr-quorum" -d "$standby" --apr APR-999999 --vote approve
    [ "$(jq -r .reason <<<"$output")" = database_unavailable ]
    [[ $stderr == "apr-quorum: cannot reach the database: $STANDBY_SOCKET is a hot standby, which takes no writes ("*"read-only transaction): connect to the primary, or name every host with target_session_attrs=read-write (database_unavailable)" ]]
    run -69 --separate-stderr env PGUSER=executor "$BIN/apr-execute" -d "$standby" --pending
    [[ $stderr == *"is a hot standby, which takes no writes"*"(database_unavailable)" ]]
    run -69 --separate-stderr env PGUSER=proposer "$BIN/apr-propose" -d "$standby" <<<'{"request_type":"authorize_build_step",
        "action_code":"authorize_build_step","proposed_action":{"target":"FAILOVER_STANDBY",
        "manifest_hash":"'"$(printf 'ab%.0s' {1..32})"'","ttl_seconds":3600},"session_code":"S-FAILOVER","reason":"standby"}'
    [[ $stderr == *"is a hot standby, which takes no writes"*"(database_unavailable)" ]]
    # Inside readback's own read-only transaction the refusal stays the
    # item's: it fails that item, and the run goes on.
    run -1 --separate-stderr "$BIN/readback" -d "$standby" --checklist - <<'EOF'
-- name: a_write
-- expect: > 0
SELECT nextval(oid) FROM pg_class WHERE relkind = 'S' LIMIT 1;
-- name: in_recovery
-- expect: = true
SELECT pg_is_in_recovery();
EOF
    [[ ${lines[0]} == *'"ok":false'*"read-only transaction"* ]]
    [[ ${lines[1]} == *'"ok":true'* ]]
    # A follower needs the primary: LISTEN on a standby is refused at once.
    run -70 --separate-stderr env PGUSER=executor "$BIN/apr-log" -d "$standby" --follow
    [ "$(jq -r .reason <<<"${lines[-1]}")" = database_error ]
    [ "$(on 0 'SELECT count(*) FROM apr_requests')" = 0 ]
}

@test "a failover mid-work: the tools cut off exit 69 or 75, and their re-runs complete" {
    local r=1 p=0 s=1 cut=0 rc name
    SECONDS=0
    # A ledger follower across every round: its conninfo names every server
    # the rounds may promote.
    (
        PGUSER=executor exec "$BIN/apr-log" -v --follow \
            -d "host=$(node_socket 0),$(node_socket 1),$(node_socket 2),$(node_socket 3) port=$PGPORT,$PGPORT,$PGPORT,$PGPORT dbname=$PGDATABASE target_session_attrs=read-write" \
            >"$WORK/follow.out" 2>"$WORK/follow.err"
    ) 3>&- &
    echo "$!" >"$WORK/follow.pid"
    while :; do
        failover_round "$r" "$p" "$s"
        cut=0
        for rc in "$RUNS"/r"$r"-*.1.rc; do
            [[ $(cat "$rc") == 0 ]] || cut=$((cut + 1))
        done
        ((cut > 0)) && break
        ((r < 3)) || { echo "no tool was in flight at the cut in $r rounds" >&2; return 1; }
        # Nothing was cut: again, against the promoted server and a new standby.
        r=$((r + 1)) p=$s s=$((s + 1))
        pair_up "$p" "$s"
    done
    echo "$s" >"$WORK/new_primary"
    # The follower reconnected to the promoted server and caught up.
    local last i
    last=$(on "$s" 'SELECT max(seq) FROM gov_ledger')
    for ((i = 0; i < 300; i++)); do
        [[ $(tail -n 1 "$WORK/follow.out" | jq -r .seq) == "$last" ]] && break
        sleep 0.1
    done
    kill "$(cat "$WORK/follow.pid")"
    echo "$r" >"$WORK/rounds"
    # Every run of every tool exited 0, 69 or 75; every refusal it printed
    # says why (the database went away, or try again), never a misleading
    # reason; and the last run of each exited 0.
    for rc in "$RUNS"/*.rc; do
        case $(cat "$rc") in 0 | 69 | 75) ;; *) echo "$rc: exit $(cat "$rc")" >&2; cat "${rc%.rc}.err" >&2; return 1 ;; esac
    done
    run -0 jq -r 'select(.ok == false) | .reason' "$RUNS"/*.out
    for reason in "${lines[@]}"; do
        [[ $reason == database_unavailable ]] || { echo "a refusal: $reason" >&2; return 1; }
    done
    local try
    for rc in "$RUNS"/*.1.rc; do
        name=${rc%.1.rc} try=1
        while [[ -f $name.$((try + 1)).rc ]]; do try=$((try + 1)); done
        [ "$(cat "$name.$try.rc")" = 0 ]
    done
    # The figures.
    local inflight codes reruns
    inflight=$(grep -lvx 0 "$RUNS"/r*.1.rc | wc -l)
    codes=$(grep -hvx 0 "$RUNS"/r*.1.rc | sort | uniq -c | awk '{printf "%s%d x%d", (NR > 1 ? ", " : ""), $2, $1}')
    reruns=$(find "$RUNS" -name '*.rc' ! -name '*.1.rc' | wc -l)
    local before after
    before=$(cat "$RUNS"/r*-drain*.1.out | jq -s 'map(select(.minted == true)) | length')
    after=$(cat "$RUNS"/r*.out | jq -s 'map(select(.minted == true)) | length')
    echo "# failover: $r round(s); $inflight tool(s) cut off (exit $codes); $reruns re-run(s);" \
        "$before mint(s) reported before the cut, $((after - before)) after; $SECONDS s" >&3
}

@test "after the failover: each APR has one grant and one settled dispatch, none is applied without its grant" {
    local n rounds
    n=$(cat "$WORK/new_primary") rounds=$(cat "$WORK/rounds")
    [ "$(on "$n" 'SELECT pg_is_in_recovery()')" = f ]
    [ "$(on "$n" 'SELECT count(*) FROM apr_requests')" = $((70 * rounds)) ]
    [ "$(on "$n" "SELECT count(*) FROM apr_requests WHERE status = 'applied' AND applied_at IS NOT NULL")" = $((70 * rounds)) ]
    [ "$(on "$n" 'SELECT count(*) FROM governance_build_authorization')" = $((70 * rounds)) ]
    [ "$(on "$n" "SELECT count(*) FROM apr_dispatches WHERE outcome = 'applied'")" = $((70 * rounds)) ]
    # Per APR, not only in sum.
    [ "$(on "$n" "SELECT count(*) FROM apr_requests r
        WHERE (SELECT count(*) FROM governance_build_authorization g WHERE g.request_ref = r.apr_code AND g.status = 'active') <> 1
           OR (SELECT count(*) FROM apr_dispatches d WHERE d.apr_code = r.apr_code) <> 1
           OR NOT EXISTS (SELECT 1 FROM apr_dispatches d WHERE d.apr_code = r.apr_code AND d.outcome = 'applied')
           OR (SELECT count(*) FROM apr_votes v WHERE v.apr_code = r.apr_code) <> 2")" = 0 ]
    [ "$(on "$n" "SELECT count(*) FROM apr_requests r WHERE status = 'applied'
        AND NOT EXISTS (SELECT 1 FROM governance_build_authorization g WHERE g.request_ref = r.apr_code)")" = 0 ]
    echo "# failover: after: $(on "$n" "SELECT count(*) || ' APRs, ' || (SELECT count(*) FROM governance_build_authorization)
        || ' grants, ' || (SELECT count(*) FROM apr_dispatches WHERE outcome IS NOT NULL) || ' settled dispatches, '
        || (SELECT count(*) FROM apr_votes) || ' votes' FROM apr_requests")" >&3
}

@test "after the failover: the ledger is one chain, and readback's ledger checklist passes on the new primary" {
    local n
    n=$(cat "$WORK/new_primary")
    # No gap, no fork: seq runs 1..head, every link follows one row.
    [ "$(on "$n" "SELECT count(*) = max(seq) AND min(seq) = 1 AND max(seq) = (SELECT seq FROM gov_ledger_head)
        AND count(DISTINCT prev_hash) = count(*) FROM gov_ledger")" = t ]
    [ "$(on "$n" "SELECT count(*) FROM gov_ledger l WHERE l.seq > 1
        AND l.prev_hash <> (SELECT hash FROM gov_ledger p WHERE p.seq = l.seq - 1)")" = 0 ]
    run -0 --separate-stderr "$BIN/readback" -d "$(multi_host 0 "$n")" --checklist ledger --ledger-head /dev/null
    [[ ${lines[-1]} == '{"ok":true,"checklist":"ledger",'* ]]
    [ -z "$stderr" ]
}

@test "after the failover: apr-log --follow printed every event once, each as the new primary holds it" {
    local n
    n=$(cat "$WORK/new_primary")
    grep -q 'reconnected' "$WORK/follow.err"
    [ "$(jq -r '"\(.seq) \(.hash)"' "$WORK/follow.out")" = "$(on "$n" "SELECT seq || ' ' || hash FROM gov_ledger ORDER BY seq")" ]
}

@test "after the failover: every \"ok\": true a tool printed is on the new primary, and none twice" {
    local n minted votes
    n=$(cat "$WORK/new_primary")
    # apr-execute: each APR it reported done is applied with its grant.
    minted=$(jq -r 'select(.ok == true and has("grant")) | .apr_code' "$RUNS"/*drain*.out "$RUNS"/*closing*.out | paste -sd,)
    [ -n "$minted" ]
    [ "$(on "$n" "SELECT count(*) FROM unnest('{$minted}'::text[]) c
        WHERE NOT EXISTS (SELECT 1 FROM apr_requests r JOIN governance_build_authorization g ON g.request_ref = r.apr_code
                          WHERE r.apr_code = c AND r.status = 'applied')")" = 0 ]
    # apr-quorum: each vote it reported is recorded, by that approver.
    votes=$(jq -r 'select(.ok == true and has("vote")) | .apr_code + ":" + .vote.approver' "$RUNS"/*vote*.out | paste -sd,)
    [ -n "$votes" ]
    [ "$(on "$n" "SELECT count(*) FROM unnest('{$votes}'::text[]) v
        WHERE NOT EXISTS (SELECT 1 FROM apr_votes a
                          WHERE a.apr_code || ':' || a.approver = v AND a.decision = 'approve')")" = 0 ]
    # Done for the first time at most once: a re-run reports unchanged.
    [ -z "$(jq -r 'select(.ok == true and has("grant") and (.unchanged | not)) | .apr_code' \
        "$RUNS"/*drain*.out "$RUNS"/*closing*.out | sort | uniq -d)" ]
    [ -z "$(jq -r 'select(.ok == true and has("vote") and (.unchanged | not)) | .apr_code + .vote.approver' \
        "$RUNS"/*vote*.out | sort | uniq -d)" ]
}
