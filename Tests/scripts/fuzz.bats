#!/usr/bin/env bats
# scripts/fuzz: its command line (the runs themselves are scripts/test's
# fuzz suite). Nothing here builds or runs a target.
# bats' run sets $stderr:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

setup() {
    FUZZ="$(readlink -f "$BATS_TEST_DIRNAME/../..")/scripts/fuzz"
}

@test "--help describes the command line and exits 0" {
    run -0 --separate-stderr "$FUZZ" --help
    [[ ${lines[0]} == "fuzz: run the fuzz targets"* ]]
    [[ $output == *"fuzz [SECONDS] [TARGET...]"* ]]
    [[ -z $stderr ]]
}

@test "an unknown target is a usage error that names the targets" {
    run -64 --separate-stderr "$FUZZ" 1 nope
    [[ $stderr == "fuzz: no target nope (targets: "*" json "*")" ]]
    [[ -z $output ]]
}

@test "zero seconds and an unknown option are usage errors" {
    run -64 --separate-stderr "$FUZZ" 0
    [[ $stderr == "fuzz: SECONDS must be at least 1" ]]
    run -64 --separate-stderr "$FUZZ" --jobs 2
    [[ $stderr == "fuzz: unknown option --jobs (see --help)" ]]
}
