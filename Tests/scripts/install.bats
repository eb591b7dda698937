#!/usr/bin/env bats
# scripts/install: --prefix puts every tool the package declares, the
# commands, the man pages (indexed for man -k), the runbook steps, the
# version and the bash completions where promised, and the installed commands
# run the owner runbook from the prefix alone; bad arguments exit 64.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    export ROOT
    # The tools, read from the manifest here rather than through
    # scripts/products, which is what install itself uses.
    PRODUCTS=$(cd "$ROOT" && swift package --scratch-path .build-release dump-package \
        | jq -r '.products[] | select(.type | has("executable")) | .name' | tr '\n' ' ')
    export PRODUCTS
    [[ ${APRKIT_SKIP_RELEASE_BUILD:-} == 1 ]] && return 0
    # The release build takes minutes: install once here, into the prefix the
    # tests below read; a later install finds the build up to date.
    PREFIX=$BATS_FILE_TMPDIR/prefix
    export PREFIX
    "$ROOT/scripts/install" --prefix "$PREFIX" >"$BATS_FILE_TMPDIR/install.log" 2>&1 \
        || { cat "$BATS_FILE_TMPDIR/install.log" >&2; return 1; }
}

needs_release_build() {
    if [[ ${APRKIT_SKIP_RELEASE_BUILD:-} == 1 ]]; then
        skip "APRKIT_SKIP_RELEASE_BUILD=1: no release build to install"
    fi
}

# A test that started a local cluster or planted a file leaves neither.
teardown() {
    if [[ -n ${state:-} ]]; then
        env -i HOME="$HOME" PATH="$PREFIX/bin:/usr/bin:/bin" APRKIT_STATE_DIR="$state" \
            "$PREFIX/share/aprkit/scripts/local-cluster" stop >/dev/null 2>&1 || true
        rm -rf "$state"
    fi
    rm -rf "${PREFIX:-/nonexistent}/share/aprkit/.build"
}

@test "--help prints the usage on stdout" {
    run -0 --separate-stderr "$ROOT/scripts/install" --help
    [[ $output == usage:* ]]
    [[ $output == *share/bash-completion/completions* ]]
    [ -z "$stderr" ]
}

@test "an unknown argument exits 64 with the usage on stderr" {
    run -64 --separate-stderr "$ROOT/scripts/install" --frobnicate
    [ -z "$output" ]
    [[ $stderr == *"unknown argument: --frobnicate"* ]]
    [[ $stderr == *usage:* ]]
}

@test "--prefix without a directory exits 64" {
    run -64 --separate-stderr "$ROOT/scripts/install" --prefix
    [[ $stderr == *usage:* ]]
    run -64 --separate-stderr "$ROOT/scripts/install" --prefix=
    run -64 --separate-stderr "$ROOT/scripts/install" "$BATS_TEST_TMPDIR/p"
    [ ! -e "$BATS_TEST_TMPDIR/p" ]
}

@test "every executable product of Package.swift is in PREFIX/bin and runs --version" {
    needs_release_build
    [[ " $PRODUCTS " == *" readback "* ]]   # the one without a dash in its name
    for tool in $PRODUCTS; do
        [ -f "$PREFIX/bin/$tool" ]
        [ "$(stat -c %a "$PREFIX/bin/$tool")" = 755 ]
        run -0 --separate-stderr "$PREFIX/bin/$tool" --version
        [[ $output =~ ^[0-9]+\.[0-9]+ ]]
    done
}

@test "PREFIX/bin holds the tools and the commands in bin/, and nothing else" {
    needs_release_build
    expected=$(for name in $PRODUCTS; do echo "$name"; done
               for cmd in "$ROOT"/bin/*; do [[ -f $cmd ]] && basename "$cmd"; done)
    [ "$(find "$PREFIX/bin" -mindepth 1 -printf '%f\n' | sort)" = "$(sort <<<"$expected")" ]
    for cmd in "$ROOT"/bin/*; do
        [[ -f $cmd ]] || continue
        cmp "$cmd" "$PREFIX/bin/$(basename "$cmd")"
        [ "$(stat -c %a "$PREFIX/bin/$(basename "$cmd")")" = 755 ]
    done
}

@test "every man page is under PREFIX/share/man, one per tool among them" {
    needs_release_build
    pages=0
    for page in "$ROOT"/man/*.[1-9]; do
        [[ -f $page ]] || continue
        installed=$PREFIX/share/man/man${page##*.}/$(basename "$page")
        cmp "$page" "$installed"
        [ "$(stat -c %a "$installed")" = 644 ]
        pages=$((pages + 1))
    done
    # Beside the pages, man-db's index (index.db) and nothing else.
    [ "$(find "$PREFIX/share/man" -type f ! -name index.db | wc -l)" -eq "$pages" ]
    [ -f "$PREFIX/share/man/man7/aprkit.7" ]
    for tool in $PRODUCTS; do
        [ -f "$PREFIX/share/man/man1/$tool.1" ]
    done
}

@test "man -k aprkit finds every installed page" {
    needs_release_build
    command -v mandb >/dev/null 2>&1 || skip "no man-db here: install indexes nothing"
    [ -f "$PREFIX/share/man/index.db" ]
    MANPATH=$PREFIX/share/man run -0 --separate-stderr man -k aprkit
    for page in "$ROOT"/man/*.[1-9]; do
        [[ -f $page ]] || continue
        name=$(basename "$page")
        # apropos lists "NAME (SECTION) - description"; the .Nd line must name aprkit.
        grep -qE "^${name%.*} \(${name##*.}\) " <<<"$output" \
            || { echo "man -k aprkit does not list $name: its .Nd line must mention aprkit" >&2; return 1; }
    done
}

@test "the commands in PREFIX/bin print the tools' version, and name an unknown option" {
    needs_release_build
    version=$("$PREFIX/bin/readback" --version)
    [ "$(cat "$PREFIX/share/aprkit/VERSION")" = "$version" ]
    for cmd in "$ROOT"/bin/*; do
        name=$(basename "$cmd")
        run -0 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin "$PREFIX/bin/$name" --version
        [ "$output" = "$version" ]
        run -64 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin "$PREFIX/bin/$name" --frobnicate
        [[ $stderr == "$name: unknown option --frobnicate"* ]]
    done
}

@test "the runbook steps and their lib are under PREFIX/share/aprkit/scripts" {
    needs_release_build
    diff -r "$ROOT/scripts" "$PREFIX/share/aprkit/scripts"
    [ -x "$PREFIX/share/aprkit/scripts/pg-local" ]
    [ -f "$PREFIX/share/aprkit/scripts/lib/runbook.bash" ]
}

@test "a bash completion script per tool, which bash loads" {
    needs_release_build
    completions=$PREFIX/share/bash-completion/completions
    [ "$(find "$completions" -mindepth 1 -printf '%f\n' | sort)" = "$(for t in $PRODUCTS; do echo "$t"; done | sort)" ]
    for tool in $PRODUCTS; do
        [ "$(stat -c %a "$completions/$tool")" = 644 ]
        # shellcheck disable=SC2016  # expanded by the inner bash
        run -0 --separate-stderr bash -c 'source "$1"; complete -p "$2"' _ "$completions/$tool" "$tool"
        [[ $output == "complete "*" $tool" ]]
    done
    run -0 bash -c "source '$completions/apr-quorum'; complete -p apr-quorum"
}

@test "the installed scripts use the installed tools, never a build beside them" {
    needs_release_build
    # What a checkout's scripts would fall back to: a build next to them.
    mkdir -p "$PREFIX/share/aprkit/.build/debug"
    printf '#!/bin/sh\nexit 0\n' >"$PREFIX/share/aprkit/.build/debug/apr-propose"
    chmod +x "$PREFIX/share/aprkit/.build/debug/apr-propose"
    state=$(mktemp -d /tmp/aprkit-inst.XXXXXX)
    run -69 --separate-stderr env -i HOME="$HOME" PATH=/usr/bin:/bin APRKIT_STATE_DIR="$state" \
        "$PREFIX/share/aprkit/scripts/local-cluster" start
    [[ $stderr == "local-cluster: the aprkit tools are not on PATH"* ]]
    [ ! -e "$state/pg" ]
    # And the installed text names nothing of the checkout.
    run -1 grep -rlF "$ROOT" "$PREFIX/share/aprkit" "$PREFIX/share/bash-completion" \
        "$PREFIX/share/man" "$PREFIX/bin/owner-runbook" "$PREFIX/bin/prewrite-gate" "$PREFIX/bin/rollback"
}

@test "from PREFIX alone: owner-runbook --local, then prewrite-gate --local passes, then rollback --local" {
    needs_release_build
    # Nothing from the checkout or the environment: PATH is PREFIX/bin,
    # /usr/bin and /bin; no APRKIT_* or PG* setting but a state directory of
    # this test's own (short: the local cluster's socket lives under it).
    state=$(mktemp -d /tmp/aprkit-inst.XXXXXX)
    only=(env -i HOME="$HOME" PATH="$PREFIX/bin:/usr/bin:/bin" APRKIT_STATE_DIR="$state")

    # Before the run: the installed local cluster comes up, the gate fails on W7.
    run -0 --separate-stderr "${only[@]}" "$PREFIX/share/aprkit/scripts/local-cluster" start
    run -1 --separate-stderr "${only[@]}" prewrite-gate --local
    [[ $stderr == *W7_handler_bound_and_implemented* ]]

    run -0 --separate-stderr "${only[@]}" owner-runbook --local
    [[ $stderr == *"owner-runbook: steps 1 to 8 done"* ]]
    [[ $output == *'"checklist":"post-grant","items":15,"passed":15,"failed":0'* ]]

    run -0 --separate-stderr "${only[@]}" prewrite-gate --local
    [[ $output == *'"item":"W7_handler_bound_and_implemented","ok":true'* ]]
    [[ $output == *'"failed":0'* ]]

    run -0 --separate-stderr "${only[@]}" rollback --local
    [[ $stderr == *"rollback complete"* ]]
    # shellcheck source=/dev/null
    . "$state/local.env"
    export PGHOST PGPORT PGDATABASE PGUSER=postgres
    [ "$(psql -XAtc "SELECT count(*) FROM governance_build_authorization WHERE status = 'active'")" = 0 ]
    [ -z "$(psql -XAtc "SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step'")" ]
    [ ! -e "$state/handlers/authorize_build_step" ]
}

@test "--prefix=DIR works too, and a reinstall leaves no stale step behind" {
    needs_release_build
    prefix=$BATS_TEST_TMPDIR/prefix
    run -0 --separate-stderr "$ROOT/scripts/install" --prefix="$prefix"
    touch "$prefix/share/aprkit/scripts/99-stale-step"
    run -0 --separate-stderr "$ROOT/scripts/install" --prefix="$prefix"
    [ ! -e "$prefix/share/aprkit/scripts/99-stale-step" ]
    diff -r "$ROOT/scripts" "$prefix/share/aprkit/scripts"
    diff -r -x index.db "$PREFIX" "$prefix"
    MANPATH=$prefix/share/man run -0 man -k aprkit
}
