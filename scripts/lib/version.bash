# shellcheck shell=bash
# version.bash: the aprkit version, as the tools print it with --version.
# Sourced by the commands in bin/ for their own --version; needs nothing
# else (no tools on PATH, no database).

# aprkit_version: print the version. In a checkout it is read from the one
# place it is written, Sources/AprKit/Version.swift; an install has it in
# PREFIX/share/aprkit/VERSION, which scripts/install writes from a tool's
# own --version. Exit 70 when neither is there.
aprkit_version() {
    local top version
    top=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")
    if [[ -f $top/Sources/AprKit/Version.swift ]]; then
        version=$(sed -n 's/^public let aprkitVersion = "\([^"]*\)"$/\1/p' "$top/Sources/AprKit/Version.swift")
    elif [[ -f $top/VERSION ]]; then
        version=$(cat "$top/VERSION")
    fi
    if [[ -z ${version:-} ]]; then
        printf '%s: cannot tell the aprkit version (no Version.swift, no VERSION in %s)\n' \
            "$(basename "$0")" "$top" >&2
        return 70
    fi
    printf '%s\n' "$version"
}
