#!/usr/bin/env bats
# The project's own scripts: setup, check-man-options, local-cluster and the
# demo (the runbook steps and bin/ are in runbook.bats, pg-local and install
# in theirs).

# shellcheck disable=SC2030,SC2031,SC2154  # bats: each test is a subshell; it sets output, stderr
bats_require_minimum_version 1.5.0

setup() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
    export ROOT BIN
}

@test "setup is silent and exits 0 when nothing is missing" {
    run -0 --separate-stderr "$ROOT/scripts/setup"
    [ -z "$output" ]
    [ -z "$stderr" ]
}

@test "check-man-options passes on the tree and names an option a page lacks" {
    APRKIT_BIN_DIR=$BIN run -0 "$ROOT/scripts/check-man-options"
    # A copy of the tree whose apr-quorum page has lost --vote.
    copy=$BATS_TEST_TMPDIR/tree
    mkdir -p "$copy"
    cp -R "$ROOT/scripts" "$ROOT/man" "$copy/"
    mkdir -p "$copy/Sources/apr-quorum"
    sed -i '/Fl -vote/d' "$copy/man/apr-quorum.1"
    APRKIT_BIN_DIR=$BIN run -1 --separate-stderr "$copy/scripts/check-man-options" apr-quorum
    [[ $stderr == *"apr-quorum"*"--vote"* ]]
}

# A test that made a copy of the scripts (and maybe a cluster under it) leaves neither.
teardown() {
    [[ -n ${copy:-} && -d $copy ]] || return 0
    APRKIT_STATE_DIR=$copy/state "$ROOT/scripts/local-cluster" stop >/dev/null 2>&1 || true
    rm -rf "$copy"
}

@test "products lists the package's executable products: every tool, no library" {
    run -0 --separate-stderr "$ROOT/scripts/products"
    [ -z "$stderr" ]
    [ "${#lines[@]}" -ge 8 ]
    [[ $'\n'$output$'\n' == *$'\nreadback\n'* ]]
    [[ $output != *AprKit* ]]
    # Each is a tool of the layout (Sources/<tool>, man/<tool>.1), and each
    # tool of the layout with a dash in its name is among them.
    for name in "${lines[@]}"; do
        [ -d "$ROOT/Sources/$name" ]
        [ -f "$ROOT/man/$name.1" ]
    done
    for dir in "$ROOT"/Sources/*-*/; do
        [[ $'\n'$output$'\n' == *$'\n'"$(basename "$dir")"$'\n'* ]]
    done
    run -64 --separate-stderr "$ROOT/scripts/products" --frobnicate
}

@test "local-cluster stop needs no tools; start without them exits 69, touching nothing" {
    [[ ! -e /usr/bin/apr-propose && ! -e /bin/apr-propose ]]   # else the tools are on that PATH
    # A copy of the scripts with no build beside it; short, for the socket path.
    copy=$(mktemp -d /tmp/aprkit-lc.XXXXXX)
    cp -R "$ROOT/scripts" "$copy/"
    state=$copy/state
    APRKIT_STATE_DIR=$state PATH="$BIN:$PATH" run -0 "$ROOT/scripts/local-cluster" start
    [ -S "$state/pg/socket/.s.PGSQL.5432" ]
    bare=(env -i HOME="$HOME" PATH=/usr/bin:/bin APRKIT_STATE_DIR="$state")

    run -69 --separate-stderr "${bare[@]}" "$copy/scripts/local-cluster" start
    [[ $stderr == "local-cluster: the aprkit tools are not on PATH"* ]]
    [ -S "$state/pg/socket/.s.PGSQL.5432" ]
    [ -f "$state/local.env" ]

    run -0 --separate-stderr "${bare[@]}" "$copy/scripts/local-cluster" stop
    [ ! -e "$state/pg" ]
    [ ! -e "$state/local.env" ]
    run -0 --separate-stderr "${bare[@]}" "$copy/scripts/local-cluster" stop
}

@test "local-cluster refuses a bad command with 64 and stops twice cleanly" {
    export APRKIT_STATE_DIR=$BATS_TEST_TMPDIR/state PATH="$BIN:$PATH"
    run -64 "$ROOT/scripts/local-cluster" bogus
    run -0 "$ROOT/scripts/local-cluster" stop
    run -0 "$ROOT/scripts/local-cluster" stop
}

@test "the demo runs the runbook end to end and says how to roll back" {
    state=$(mktemp -d /tmp/aprkit-demo.XXXXXX)
    APRKIT_DEMO_DIR=$state run -0 --separate-stderr "$ROOT/scripts/demo"
    [[ $stderr == *"owner-runbook: steps 1 to 8 done"* ]]
    [[ $output == *'"checklist":"post-grant","items":15,"passed":15,"failed":0'* ]]
    [[ $output == *'"item":"W7_handler_bound_and_implemented","ok":true'* ]]
    [[ $output == *"GBA-C1-APR-"*"active"* ]]
    [[ $output == *"bin/rollback --local"* ]]
    # The rollback it prints works.
    APRKIT_STATE_DIR=$state PATH="$BIN:$PATH" run -0 --separate-stderr "$ROOT/bin/rollback" --local
    [[ $stderr == *"rollback complete"* ]]
    APRKIT_STATE_DIR=$state run -0 "$ROOT/scripts/local-cluster" stop
    rm -rf "$state"
}
