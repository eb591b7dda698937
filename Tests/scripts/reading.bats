#!/usr/bin/env bats
# The examples of apr-list(1) and apr-show(1), run as written, in the order
# the pages give them, on a cluster of their own: one high-risk APR
# (APR-000001) that the examples list, vote on through the pipelines they
# show, and read the whole story of.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools apr-list apr-show apr-propose apr-quorum gov-migrate
    export PATH="$BIN:$PATH"
    start_own_cluster aprkit_reading
    psql -X -q -v ON_ERROR_STOP=1 -c "CREATE ROLE proposer LOGIN IN ROLE apr_proposer" \
        -c "CREATE ROLE owner1 LOGIN" -c "CREATE ROLE owner2 LOGIN" \
        -c "SELECT apr_approver_set('owner1', 'owner')" -c "SELECT apr_approver_set('owner2', 'owner')" >/dev/null
    printf '%s\n' '{"request_type":"authorize_build_step","action_code":"authorize_build_step","proposed_action":{"target":"DOT_C1_VOCAB_BUILD","manifest_hash":"'"$(printf 'ab%.0s' {1..32})"'","ttl_seconds":3600},"session_code":"S-C1-ABS-001","reason":"ticket OPS-1"}' \
        | PGUSER=proposer apr-propose >/dev/null
}

teardown_file() {
    load own_cluster
    stop_own_cluster
}

# examples PAGE: the literal blocks of PAGE's EXAMPLES section, each one
# shell script (`\e` line continuations restored), NUL-separated.
examples() {
    awk '
        /^\.Sh / { inside = ($0 == ".Sh EXAMPLES") }
        inside && /^\.Bd -literal/ { block = ""; collecting = 1; next }
        inside && /^\.Ed/ { printf "%s%c", block, 0; collecting = 0; next }
        collecting { gsub(/\\e/, "\\"); block = block $0 "\n" }
    ' "$ROOT/man/$1"
}

# run_examples PAGE: runs each example of PAGE in a scratch directory, as
# EXAMPLE_1 … EXAMPLE_N with its status in STATUS_i and output in OUTPUT_i.
run_examples() {
    local i=0 block out status
    cd "$BATS_TEST_TMPDIR" || return 1
    while IFS= read -r -d '' block; do
        i=$((i + 1))
        status=0
        out=$(sh -ec "$block" 2>&1) || status=$?
        printf -v "OUTPUT_$i" '%s' "$out"
        printf -v "STATUS_$i" '%s' "$status"
        printf -v "EXAMPLE_$i" '%s' "$block"
    done < <(examples "$1")
    COUNT=$i
}

@test "the examples of apr-list(1) run as written" {
    run_examples apr-list.1
    [ "$COUNT" -eq 6 ]
    # The open APRs in a terminal: the header, then APR-000001.
    [ "$STATUS_1" -eq 0 ]
    [[ $OUTPUT_1 == "CODE "*$'\n'"APR-000001  proposed  authorize_build_step  DOT_C1_VOCAB_BUILD  proposer "* ]]
    # owner1's queue voted through.
    [ "$STATUS_2" -eq 0 ]
    [[ $OUTPUT_2 == *'"approver":"owner1"'* ]]
    [ "$(psql -X -Atc "SELECT string_agg(approver, ',') FROM apr_votes")" = owner1 ]
    # The quorum state of every proposed APR: owner1 alone is not enough.
    [ "$STATUS_3" -eq 2 ]
    [[ $OUTPUT_3 == *'"reason":"quorum_not_met"'* ]]
    # The story of the newest APRs of one target.
    [ "$STATUS_4" -eq 0 ]
    [[ $OUTPUT_4 == '{"ok":true'*'"apr_code":"APR-000001"'*'"votes":'* ]]
    # By proposer and age, and since a point in time.
    [ "$STATUS_5" -eq 0 ]
    [[ $OUTPUT_5 == *'"apr_code":"APR-000001"'*$'\n'APR-000001 ]]
    # From SQL.
    [ "$STATUS_6" -eq 0 ]
    [[ $OUTPUT_6 == *'"apr_code": "APR-000001"'* ]]
}

@test "the examples of apr-show(1) run as written" {
    run_examples apr-show.1
    [ "$COUNT" -eq 5 ]
    [ "$STATUS_1" -eq 0 ]
    [[ $OUTPUT_1 == "APR-000001  authorize_build_step  proposed"*"Quorum (risk high): not passed: needs 1 more approval"* ]]
    [ "$STATUS_2" -eq 0 ]
    [[ $OUTPUT_2 == *'"approvals": 1'* ]]
    [ "$STATUS_3" -eq 0 ]
    [[ $OUTPUT_3 == "APR-000001  "*$'\nLedger\n'* ]]
    # Read, then vote on exactly the payload shown: owner2 completes the quorum.
    [ "$STATUS_4" -eq 0 ]
    [[ $OUTPUT_4 == *'"target": "DOT_C1_VOCAB_BUILD"'*'"quorum_passed":true'* ]]
    [ "$(psql -X -Atc "SELECT status FROM apr_requests WHERE apr_code = 'APR-000001'")" = approved ]
    [ "$STATUS_5" -eq 0 ]
    [[ $OUTPUT_5 == *'"quorum_passed": true'* ]]
}
