# shellcheck shell=bash
# runbook.bash: what every step of the owner runbook shares: its settings,
# the tools, who acts as whom, how it reads the database, and what a stop
# condition does. Sourced by bin/owner-runbook, bin/rollback,
# bin/prewrite-gate and scripts/NN-*; never run on its own.
set -euo pipefail
# A failure inside $(...) ends the command substitution too, so that
# `x=$(f)` fails with f's own status even when f fails half-way.
shopt -s inherit_errexit
export LC_ALL=C

rb_lib=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
RB_SCRIPTS=$(dirname "$rb_lib")
RB_PROG=${RB_PROG:-$(basename "$0")}

# --- output ---------------------------------------------------------------

rb_say() { printf '%s: %s\n' "$RB_PROG" "$*" >&2; }
rb_die() { local status=$1; shift; rb_say "$*"; exit "$status"; }
rb_step() { printf '\n== step %s: %s\n' "$1" "$2" >&2; }

# rb_stop CONDITION MESSAGE: a stop condition fired. Say which, roll back
# (unless the caller is the rollback itself), exit 3.
rb_stop() {
    local condition=$1; shift
    printf '%s: STOP: %s: %s\n' "$RB_PROG" "$condition" "$*" >&2
    if [[ -z ${RB_NO_ROLLBACK:-} ]]; then
        rb_say "rolling back in reverse order (revoke grant, unbind handler, restore code)"
        "$RB_BIN/rollback" || rb_say "rollback did not complete: run bin/rollback again, then investigate"
    fi
    exit 3
}

# --- settings -------------------------------------------------------------
# Each can be set in the environment; --local sets the ones marked (local).

: "${APRKIT_STATE_DIR:=${XDG_STATE_HOME:-$HOME/.local/state}/aprkit}"
: "${APRKIT_ADMIN:=${PGUSER:-$(id -un)}}"        # the schema owner: migrations, binding
: "${APRKIT_PROPOSER:=${PGUSER:-$(id -un)}}"     # (local: proposer)
: "${APRKIT_EXECUTOR:=${PGUSER:-$(id -un)}}"     # (local: executor)
: "${APRKIT_APPROVERS:=}"                        # who votes here (local: owner1 owner2)
: "${APRKIT_ACTION:=authorize_build_step}"
: "${APRKIT_TARGET:=DOT_C1_VOCAB_BUILD}"
: "${APRKIT_MANIFEST_HASH:=}"
: "${APRKIT_GRANT_TTL:=3600}"
: "${APRKIT_SESSION_CODE:=S-C1-ABS-001}"
: "${APRKIT_DOT_CODE:=DOT-310}"
: "${APRKIT_REASON:=owner runbook: authorize_build_step}"
: "${APR_HANDLERS_DIR:=/usr/local/libexec/aprkit/handlers}"
: "${APRKIT_CANDIDATE:=$RB_SCRIPTS/handlers/authorize_build_step}"
: "${APRKIT_ISSUER_TOOL:=grant-mint}"
export APRKIT_STATE_DIR APRKIT_ADMIN APRKIT_PROPOSER APRKIT_EXECUTOR APRKIT_APPROVERS \
    APRKIT_ACTION APRKIT_TARGET APRKIT_MANIFEST_HASH APRKIT_GRANT_TTL APRKIT_SESSION_CODE \
    APRKIT_DOT_CODE APRKIT_REASON APR_HANDLERS_DIR APRKIT_CANDIDATE APRKIT_ISSUER_TOOL

# shellcheck disable=SC2034  # read by the scripts that source this lib
RB_HANDLER_REF="apr-execute:$APRKIT_ACTION"
RB_HANDLER_FILE="$APR_HANDLERS_DIR/$APRKIT_ACTION"

# The commands: bin/ beside scripts/ in a checkout, PREFIX/bin when installed.
if [[ -x $RB_SCRIPTS/../bin/owner-runbook ]]; then
    RB_BIN=$(readlink -f "$RB_SCRIPTS/../bin")
else
    RB_BIN=$(readlink -f "$RB_SCRIPTS/../../../bin")
fi

# rb_need_tools: put the tools on PATH, or exit 69. They are on PATH (an
# install), else the package's own build when these scripts are a checkout's
# (never anything outside it). Done here as the lib is sourced, unless the
# caller set RB_TOOLS_LATER and calls it itself, once it knows it needs them
# (local-cluster stop does not).
rb_need_tools() {
    local dir
    if ! command -v apr-propose >/dev/null 2>&1 && [[ -f $RB_SCRIPTS/../Package.swift ]]; then
        for dir in "$RB_SCRIPTS/../.build/release" "$RB_SCRIPTS/../.build/debug"; do
            if [[ -x $dir/apr-propose ]]; then PATH="$(readlink -f "$dir"):$PATH"; break; fi
        done
    fi
    command -v apr-propose >/dev/null 2>&1 \
        || rb_die 69 "the aprkit tools are not on PATH (scripts/install, or swift build)"
    command -v jq >/dev/null 2>&1 || rb_die 69 "jq is not on PATH (the runbook builds its JSON with it)"
    export PATH
}
[[ -n ${RB_TOOLS_LATER:-} ]] || rb_need_tools

# psql itself, not Debian's wrapper, when the server's binaries are here.
RB_PSQL=psql
for rb_dir in /usr/lib/postgresql/*/bin; do
    [[ -x $rb_dir/psql ]] && RB_PSQL=$rb_dir/psql
done

# --- the local cluster (the embedded default) ------------------------------

# rb_local_env: the connection settings of the local cluster, if one runs.
rb_local_env() {
    local env_file=$APRKIT_STATE_DIR/local.env
    [[ -f $env_file ]] || return 1
    # shellcheck source=/dev/null
    . "$env_file"
    export PGHOST PGPORT PGDATABASE
    PGUSER=$APRKIT_ADMIN; export PGUSER
}

if [[ -n ${APRKIT_LOCAL:-} ]]; then
    APRKIT_PROPOSER=proposer APRKIT_EXECUTOR=executor
    : "${APRKIT_LOCAL_APPROVERS:=owner1 owner2}"
    APRKIT_APPROVERS=$APRKIT_LOCAL_APPROVERS
    APRKIT_ADMIN=postgres
    APR_HANDLERS_DIR=$APRKIT_STATE_DIR/handlers
    # shellcheck disable=SC2034  # read by the scripts that source this lib
    RB_HANDLER_FILE="$APR_HANDLERS_DIR/$APRKIT_ACTION"
    : "${APRKIT_MANIFEST_HASH:=5f2b9c1e0d4a7b3c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d}"
    export APRKIT_PROPOSER APRKIT_EXECUTOR APRKIT_APPROVERS APRKIT_ADMIN APR_HANDLERS_DIR APRKIT_MANIFEST_HASH
    rb_local_env || true
fi
export APRKIT_STAGED_DIR=${APRKIT_STAGED_DIR:-$APRKIT_STATE_DIR/staged}

# --- acting as a role, reading the database ---------------------------------

# as ROLE CMD...: run CMD connected as ROLE (a real, separate database user).
as() { local role=$1; shift; PGUSER=$role "$@"; }

# rb_sql [-v name=value ...] [-d CONNINFO] [-U ROLE] SQL: the first column
# of the first row, as the schema owner (or ROLE), on the default connection
# (or CONNINFO, as psql -d). Values go in as psql variables (:'name'), never
# spliced.
#
# A failure keeps its meaning, never psql's own exit status (whose 1, 2 and 3
# read as FAIL, SKIP and STOP here): 69 when the database is unreachable or
# refuses the connection or the login, 70 for anything else (permission
# denied, a missing privilege, an error in the SQL); psql's message is said
# on stderr. The status propagates through `x=$(rb_sql ...)` under set -e;
# a caller that tests it (`if`, `[[ $(...) ]]`, `||`) must keep it itself.
rb_sql() {
    local args=() user=$APRKIT_ADMIN err status=0
    while [[ $# -gt 1 ]]; do
        case $1 in
            -v | -d) args+=("$1" "$2") ;;
            -U) user=$2 ;;
            *) break ;;
        esac
        shift 2
    done
    # The search_path is pinned as the tools pin it: a schema a role made
    # for itself ("$user", first on the default path) cannot plant a
    # look-alike of an aprkit function or table that the admin then runs.
    { err=$(PGUSER=$user PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c search_path=public,pg_temp" \
        "$RB_PSQL" -X -q -A -t -v ON_ERROR_STOP=1 "${args[@]}" <<<"$1" 2>&1 >&3 3>&-); } 3>&1 || status=$?
    if ((status == 0)); then
        [[ -z $err ]] || printf '%s\n' "$err" >&2
        return 0
    fi
    err=$(printf '%s' "$err" | sed -e 's/^psql: error: //' -e 's/^psql:<stdin>:[0-9]*: //' | tr -s ' \t\n' '   ')
    # psql exits 2 when the connection is bad (at start or lost on the way).
    if ((status == 2)) || [[ $err == *"connection to server"* || $err == *"could not connect"* \
                                || $err == *"server closed the connection"* ]]; then
        rb_say "cannot connect to the database as $user (unreachable, or the login refused): ${err% }"
        return 69
    fi
    rb_say "psql failed as $user: ${err% }"
    return 70
}

rb_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# rb_row_counts: every table's row count, one line: what "nothing written" is checked against.
rb_row_counts() {
    rb_sql "SELECT string_agg(tablename || '=' || (xpath('/row/n/text()',
                query_to_xml(format('SELECT count(*) AS n FROM %I', tablename), false, true, '')))[1]::text,
                ' ' ORDER BY tablename)
              FROM pg_tables WHERE schemaname = 'public'"
}

# rb_build_request: the authorize_build_step proposal of this run, as JSON.
rb_build_request() {
    [[ -n $APRKIT_MANIFEST_HASH ]] || rb_die 64 "set APRKIT_MANIFEST_HASH to the build manifest's sha256"
    [[ $APRKIT_GRANT_TTL =~ ^[0-9]{1,9}$ ]] || rb_die 64 "APRKIT_GRANT_TTL is a number of seconds, not '$APRKIT_GRANT_TTL'"
    jq -nc --arg target "$APRKIT_TARGET" --arg manifest "$APRKIT_MANIFEST_HASH" --argjson ttl "$APRKIT_GRANT_TTL" \
        --arg session "$APRKIT_SESSION_CODE" --arg reason "$APRKIT_REASON" \
        '{request_type: "authorize_build_step", action_code: "authorize_build_step",
          proposed_action: {target: $target, manifest_hash: $manifest, ttl_seconds: $ttl},
          session_code: $session, reason: $reason}'
}

# rb_build_apr STATUS...: the newest authorize_build_step APR of this run's
# target and manifest in one of STATUS.
rb_build_apr() {
    local statuses=$*
    rb_sql -v target="$APRKIT_TARGET" -v manifest="$APRKIT_MANIFEST_HASH" -v statuses="$statuses" "
        SELECT apr_code FROM apr_requests
         WHERE action_code = 'authorize_build_step' AND status = ANY (string_to_array(:'statuses', ' '))
           AND proposed_action ->> 'target' = :'target' AND proposed_action ->> 'manifest_hash' = :'manifest'
         ORDER BY created_at DESC LIMIT 1"
}

# rb_apr_code: the apr_code of the JSON line a tool printed on stdin.
# Prints nothing when there is none: the caller says what that means.
rb_apr_code() { { grep -o '"apr_code":"APR-[0-9]*"' || true; } | head -n 1 | cut -d'"' -f4; }

# --- votes ------------------------------------------------------------------

# rb_quorum APR WHAT: apr-quorum's verdict on APR, its words kept in
# STATE/quorum.err: returns 0 (passed) or 2 (not met yet). Any other answer
# ends the step with it: 1 when APR can no longer pass, and a failure of the
# tool itself (69, 70, 75, ...) with its own status.
rb_quorum() {
    local apr=$1 what=$2 status=0
    apr-quorum --apr "$apr" >/dev/null 2>"$APRKIT_STATE_DIR/quorum.err" || status=$?
    case $status in
        0 | 2) return "$status" ;;
        1) rb_die 1 "$apr ($what) can no longer pass: $(cat "$APRKIT_STATE_DIR/quorum.err")" ;;
        *) rb_die "$status" "apr-quorum could not tell the quorum of $apr ($what), exit $status: $(cat "$APRKIT_STATE_DIR/quorum.err")" ;;
    esac
}

# rb_need_quorum APR WHAT: make sure APR has its quorum. Where approvers act
# here (--local), each casts a vote as themselves; otherwise say exactly
# which votes are missing and how to cast them, and exit 2 (an expected
# block, never forced). Exit 2 means only that: apr-quorum said the quorum
# is not met; a vote the tool could not cast (69, 70, 75) ends the step
# with the tool's status.
rb_need_quorum() {
    local apr=$1 what=$2 approver status
    if rb_quorum "$apr" "$what"; then return 0; fi
    for approver in $APRKIT_APPROVERS; do
        status=0
        as "$approver" apr-quorum --apr "$apr" --vote approve >/dev/null 2>"$APRKIT_STATE_DIR/vote.err" || status=$?
        case $status in
            0) ;;
            69 | 70 | 75) rb_die "$status" "the vote of $approver on $apr could not be cast: $(cat "$APRKIT_STATE_DIR/vote.err")" ;;
            *) grep -q already_voted "$APRKIT_STATE_DIR/vote.err" \
                   || rb_say "the vote of $approver on $apr was refused: $(cat "$APRKIT_STATE_DIR/vote.err")" ;;
        esac
        if rb_quorum "$apr" "$what"; then return 0; fi
    done
    rb_say "waiting on quorum: $(sed 's/^apr-quorum: //' "$APRKIT_STATE_DIR/quorum.err")"
    rb_say "each approver runs, connected as themselves:"
    rb_say "    apr-quorum --apr $apr --vote approve"
    rb_say "then run this step again."
    exit 2
}

mkdir -p "$APRKIT_STATE_DIR"
