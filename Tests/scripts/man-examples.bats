#!/usr/bin/env bats
# The examples of every man page run as tests (scripts/man-examples), and a
# broken one fails them; every tool's --help names its man page; the
# commands in bin/ print the version and name an unknown option.

# shellcheck disable=SC2154  # bats sets output, stderr and lines
bats_require_minimum_version 1.5.0

setup() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
    [[ -x $BIN/apr-propose ]] || { echo "the tools are not built in $BIN (swift build)" >&3; return 1; }
    export ROOT BIN APRKIT_BIN_DIR=$BIN
}

@test "every example of every man page passes" {
    run -0 --separate-stderr "$ROOT/scripts/man-examples"
    [[ $stderr == *"man-examples: "*" examples in "*" pages: "*" ran, "*" skipped, 0 failed"* ]]
    [[ $stderr != *FAIL* ]]
    # Each skip says why.
    while IFS= read -r line; do
        [[ $line =~ ^man-examples:\ skip\ [a-z0-9.-]+:[0-9]+:\ .+ ]]
    done < <(grep '^man-examples: skip' <<<"$stderr" || true)
}

@test "--list shows each page's examples decoded, in page order, and runs nothing" {
    run -0 --separate-stderr "$ROOT/scripts/man-examples" --list "$ROOT/man/gov-migrate.1" "$ROOT/man/readback.1"
    [[ $output == "== gov-migrate.1:"*"== readback.1:"* ]]
    [[ $output == *'"\(.state) \(.kind) \(.version)"'* ]]   # \e( decoded
    [[ $output == *"== readback.1:"*"(cron)"* ]]
    [ -z "$stderr" ]
    run -64 --separate-stderr "$ROOT/scripts/man-examples" --frobnicate
    [[ $stderr == "man-examples: unknown option --frobnicate"* ]]
    run -0 "$ROOT/scripts/man-examples" --help
    [[ $output == usage:* ]]
}

@test "a broken example, and each broken crontab line, fail it: named with page and line" {
    page=$BATS_TEST_TMPDIR/broken.1
    cat >"$page" <<'EOF'
.Dd December 2, 2026
.Dt BROKEN 1
.Os
.Sh NAME
.Nm broken
.Nd a page whose examples are wrong
.Sh EXAMPLES
This one passes:
.Dl PGUSER=proposer apr-propose --dry-run < req.json | jq -e .ok
.Pp
This one shows an output it does not print, and the page stops there:
.Bd -literal -offset indent
$ PGUSER=proposer apr-propose --dry-run < req.json | jq .ok
false
.Ed
.Pp
Never reached:
.Dl touch reached
.Pp
Cron lines:
.Bd -literal -offset indent
*/5 * * * * readback --checklist ledger \e
    --format prom
61 * * * * readback --checklist ledger
0 3 * * * readback --checklist ledger > /tmp/x.$(date +%F)
0 3 * * * readback --checklist ledger 2>/dev/null
.Ed
EOF
    run -1 --separate-stderr "$ROOT/scripts/man-examples" "$page"
    [[ $stderr == *"FAIL broken.1:13: exit 1"*"expected:"*"false"*"printed:"*"true"* ]]
    [[ $stderr == *"FAIL broken.1:22: crontab line: not one line"* ]]
    [[ $stderr == *"FAIL broken.1:24: crontab line: bad minute field '61'"* ]]
    [[ $stderr == *"FAIL broken.1:25: crontab line: an unescaped %"* ]]
    [[ $stderr == *"FAIL broken.1:26: crontab line: stderr thrown away"* ]]
    [[ $stderr != *"broken.1:9"* ]]
    [[ $stderr == *"7 examples in 1 pages: "*" 5 failed"* ]]
}

@test "a crontab line's command runs, and one that prints or fails is named" {
    page=$BATS_TEST_TMPDIR/cron.1
    cat >"$page" <<'EOF'
.Dd December 2, 2026
.Dt CRON 1
.Os
.Sh NAME
.Nm cron
.Nd a page with a noisy crontab line
.Sh DESCRIPTION
.Bd -literal -offset indent
*/5 * * * * readback --checklist ledger --ledger-head /var/lib/aprkit/ledger.head --format prom > /var/lib/node_exporter/textfile/a.prom
@hourly readback --checklist ledger --ledger-head /var/lib/aprkit/ledger.head
.Ed
EOF
    run -1 --separate-stderr "$ROOT/scripts/man-examples" "$page"
    [[ $stderr != *"cron.1:9"* ]]
    [[ $stderr == *"FAIL cron.1:10 (crontab command): exit 1"* ]]
    [[ $stderr == *"a cron job prints nothing when all is well"* ]]
}

@test "every tool's --help ends by naming its man page, which exists" {
    tools=$("$ROOT/scripts/products")
    [ -n "$tools" ]
    while IFS= read -r tool; do
        run -0 --separate-stderr "$BIN/$tool" --help
        [ "${lines[-1]}" = "See $tool(1)." ]
        [ -f "$ROOT/man/$tool.1" ]
    done <<<"$tools"
    for cmd in "$ROOT"/bin/*; do
        name=$(basename "$cmd")
        run -0 --separate-stderr "$cmd" --help
        [[ $output == *"See $name(1)."* ]]
        [ -f "$ROOT/man/$name.1" ]
    done
}

@test "the commands in bin/ print the tools' version, and name an unknown option (64)" {
    version=$("$BIN/readback" --version)
    [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]
    for cmd in "$ROOT"/bin/*; do
        name=$(basename "$cmd")
        # No tools on PATH, no database: --version needs neither.
        run -0 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin "$cmd" --version
        [ "$output" = "$version" ]
        [ -z "$stderr" ]
        run -64 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin "$cmd" --frobnicate
        [ -z "$output" ]
        [ "${stderr%%$'\n'*}" = "$name: unknown option --frobnicate" ]
        # (ledger-witness takes one checkpoint file: the stray one is a second.)
        positional=()
        [[ $name != ledger-witness ]] || positional=(checkpoint)
        run -64 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin "$cmd" "${positional[@]}" stray
        [[ "${stderr%%$'\n'*}" == "$name: unexpected argument stray"* ]]
    done
}
