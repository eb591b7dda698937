#!/usr/bin/env bats
# scripts/crash-loops, short: every loop a few rounds, in a database of its
# own in the cluster of the environment (scripts/test's); and its control:
# a patch-apply that writes the file in place before it works is caught.

# shellcheck disable=SC2030,SC2031,SC2154  # bats: each test is a subshell; it sets output, stderr, lines
bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools gov-migrate apr-propose apr-quorum apr-execute apr-cancel grant-mint patch-apply handler-bind readback
    # No cluster is a failure, not a skip: a run without one proves nothing.
    if [[ -z ${PGHOST:-} ]]; then
        echo "crash-loops.bats: no PostgreSQL cluster: PGHOST is not set (run scripts/test, or eval \"\$(scripts/pg-local start)\")" >&2
        return 1
    fi
}

# tally KEY: the value of KEY= in the tally lines of the last run.
tally() {
    grep -o "[[:space:]]$1=[^[:space:]]*" <<<"$output" | head -n 1 | cut -d= -f2
}

@test "crash-loops --short: every check holds, and each loop prints its tally" {
    run -0 --separate-stderr "$ROOT/scripts/crash-loops" --short
    [[ ${lines[-1]} == 'crash-loops: every check held' ]]
    # Loop 1: six kills, each one leaving the old or the new bytes.
    [[ $output == *'patch: kills=6 '* ]]
    [ "$(tally torn)" = 0 ]
    [ $(($(tally old) + $(tally new))) = 6 ]
    [ "$(tally failed)" = 0 ]
    [ "$(tally litter_after_rerun)" = 0 ]
    # Loop 2: every APR ends with its one grant.
    [[ $output == *'mint: kills=4 '* && $output == *'mint: terminations=6 '* ]]
    [[ $output == *' grants=16/16 '* ]]
    [ "$(tally readback_ledger_failed)" = 0 ]
    # Loop 3: the handler never ran again on its own; every effect once.
    [[ $output == *'handler: kills=4 '* ]]
    [ "$(tally handler_ran_again)" = 0 ]
    [ "$(tally 2+)" = 0 ]
    [[ $output == *'effect_exactly_once=4/4 '* ]]
    [ "$(tally indeterminate)" = "$(tally rerun_indeterminate)" ]
}

@test "crash-loops catches a patch-apply that writes the file in place" {
    # The built tools, but patch-apply first appends to the APR's file, as
    # a writer that does not swap atomically would leave it when killed.
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    for tool in "$BIN"/*; do [[ -x $tool && ! -d $tool ]] && ln -s "$tool" "$bin/"; done
    rm "$bin/patch-apply"
    cat >"$bin/patch-apply" <<EOF
#!/bin/bash
path=\$(psql -qXAt -c "SELECT proposed_action ->> 'file_path' FROM apr_requests WHERE apr_code = '\$2'")
printf 'half-written\n' >>"\$path"
exec "$BIN/patch-apply" "\$@"
EOF
    chmod +x "$bin/patch-apply"
    APRKIT_BIN_DIR=$bin run -1 --separate-stderr "$ROOT/scripts/crash-loops" --patch 3 --kill 0 --terminate 0 --handler 0
    [[ $output == *'patch: kills=3 '* ]]
    # Torn unless a kill landed before the append (its psql takes a few
    # ms of a run of hundreds): all three doing so is a one-in-10^4 chance.
    (($(tally torn) >= 1))
    [[ $stderr == *'after the kill the file is neither the old nor the new bytes'* ]]
    [[ $stderr == *'the backup is not the whole old file'* ]]
}
