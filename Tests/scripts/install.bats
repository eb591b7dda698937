#!/usr/bin/env bats
# scripts/install: --prefix puts tools, commands, man pages and the runbook
# steps where promised; bad arguments exit 64.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    export ROOT
    [[ ${APRKIT_SKIP_RELEASE_BUILD:-} == 1 ]] && return 0
    # The release build takes minutes; do it once here, so that each
    # install below only finds it up to date.
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --scratch-path .build-release >&2)
}

needs_release_build() {
    if [[ ${APRKIT_SKIP_RELEASE_BUILD:-} == 1 ]]; then
        skip "APRKIT_SKIP_RELEASE_BUILD=1: no release build to install"
    fi
}

# The tools: every Sources/<name> with a dash in the name.
tools() {
    local dir
    for dir in "$ROOT"/Sources/*-*/; do
        [[ -d $dir ]] && basename "$dir"
    done
    return 0
}

@test "--help prints the usage on stdout" {
    run -0 --separate-stderr "$ROOT/scripts/install" --help
    [[ $output == usage:* ]]
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

@test "--prefix installs the tools, commands, man pages and scripts" {
    needs_release_build
    prefix=$BATS_TEST_TMPDIR/prefix
    run -0 --separate-stderr "$ROOT/scripts/install" --prefix "$prefix"

    for tool in $(tools); do
        [ -f "$prefix/bin/$tool" ]
        [ "$(stat -c %a "$prefix/bin/$tool")" = 755 ]
        run -0 --separate-stderr "$prefix/bin/$tool" --help
    done
    for cmd in "$ROOT"/bin/*; do
        [[ -f $cmd ]] || continue
        [ "$(stat -c %a "$prefix/bin/$(basename "$cmd")")" = 755 ]
    done
    for page in "$ROOT"/man/*.1; do
        [[ -f $page ]] || continue
        cmp "$page" "$prefix/share/man/man1/$(basename "$page")"
        [ "$(stat -c %a "$prefix/share/man/man1/$(basename "$page")")" = 644 ]
    done
    for page in "$ROOT"/man/*.7; do
        [[ -f $page ]] || continue
        cmp "$page" "$prefix/share/man/man7/$(basename "$page")"
    done
    diff -r "$ROOT/scripts" "$prefix/share/aprkit/scripts"
    [ -x "$prefix/share/aprkit/scripts/pg-local" ]
}

@test "--prefix=DIR works too, and a reinstall leaves no stale step behind" {
    needs_release_build
    prefix=$BATS_TEST_TMPDIR/prefix
    run -0 --separate-stderr "$ROOT/scripts/install" --prefix="$prefix"
    touch "$prefix/share/aprkit/scripts/99-stale-step"
    run -0 --separate-stderr "$ROOT/scripts/install" --prefix="$prefix"
    [ ! -e "$prefix/share/aprkit/scripts/99-stale-step" ]
    diff -r "$ROOT/scripts" "$prefix/share/aprkit/scripts"
}
