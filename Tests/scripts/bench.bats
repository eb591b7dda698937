#!/usr/bin/env bats
# scripts/bench, small: every line it prints is there with its figures, and
# the --scale fill passes readback --checklist ledger. Never a time: a
# measure is not a test. The tools are the ones already built (APRKIT_BIN_DIR).

# shellcheck disable=SC2030,SC2031,SC2154  # bats: each test is a subshell; it sets output, stderr
bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools apr-propose apr-quorum apr-execute apr-list apr-show apr-log apr-cancel grant-mint \
        patch-apply handler-bind gov-migrate readback
}

setup() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
}

@test "bench --scale prints every measure, empty and full, and its fill passes the ledger readback" {
    APRKIT_BIN_DIR=$BIN run -0 --separate-stderr "$ROOT/scripts/bench" --scale 1000 --rounds 5 --stream 100 --appends 1000
    num='[0-9]+(\.[0-9]+)?'
    [[ ${lines[0]} =~ ^"aprkit bench: 5 rounds, "(debug|release)" build (".*"), PostgreSQL "[0-9]+ ]]
    re="fill: 1000 APRs, [0-9]+ ledger events in $num s"
    [[ $output =~ $re ]]
    # Every status the schema has but expired (a time, not a status an APR is moved to).
    for status in applied approved cancelled failed proposed rejected revoked; do
        [[ $output =~ "fill: APRs by status: ".*"$status "[0-9]+ ]]
    done
    [[ $output =~ "fill: readback --checklist ledger --full passed: "[0-9]+" events verified" ]]
    for op in "quorum state" "vote" "propose" "execute (mint)" "post-grant readback" "prewrite gate" \
        "grant-mint --expire-due" "apr-list --awaiting" "apr-show" "pending drain of 100"; do
        grep -F -- "$op " <<<"$output" | grep -Eq " $num +$num +$num +<= 1\.5$"
    done
    for measure in "start-up (--version)" "quorum state (one invocation)" "post-grant readback" "100 proposals streamed" \
        "100 votes streamed"; do
        grep -F -- "$measure " <<<"$output" | grep -Eq "aprkit +$num ms +psql +$num ms +ratio +$num"
    done
    re="ledger verification \(--full\) +[0-9]+ events in $num ms"
    [[ $output =~ $re ]]
    for tool in apr-quorum apr-propose apr-list apr-show apr-log apr-cancel apr-execute grant-mint patch-apply \
        handler-bind gov-migrate readback; do
        grep -E "^peak memory: $tool" <<<"$output" | grep -Eq "[0-9]+ KiB +target < 20480 \(on 1000 APRs\)"
    done
    [ "$(grep -c '^peak memory: ' <<<"$output")" -eq 14 ]
}

@test "bench refuses a bad option or count in one line, exit 64, before it builds or starts anything" {
    APRKIT_BIN_DIR=$BIN run -64 --separate-stderr "$ROOT/scripts/bench" --scale many
    [ "$stderr" = "bench: --scale needs a number" ]
    [ -z "$output" ]
    APRKIT_BIN_DIR=$BIN run -64 --separate-stderr "$ROOT/scripts/bench" --bogus
    [[ ${stderr_lines[0]} == "bench: unknown argument --bogus" ]]
    [ -z "$output" ]
    run -0 "$ROOT/scripts/bench" --help
    [[ $output == *"--scale N"* && $output == *"APRKIT_BIN_DIR"* ]]
}
