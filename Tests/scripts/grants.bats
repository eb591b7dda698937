#!/usr/bin/env bats
# The pipelines of grant-mint(1), apr-execute(1) and handler-bind(1), run as
# the owner runbook runs them (steps 4, 6 and 7, then the rollback), against
# a throwaway database in the cluster of the environment (scripts/test's).
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    ROOT=$(readlink -f "$BATS_TEST_DIRNAME/../..")
    BIN=${APRKIT_BIN_DIR:-$ROOT/.build/debug}
    if command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/psql ]]; then
        PATH="$(pg_config --bindir):$PATH"
    fi
    PATH="$BIN:$PATH"
    export ROOT PATH
    # No cluster is a failure, not a skip: a run without one proves nothing.
    if [[ -z ${PGHOST:-} ]]; then
        echo "grants.bats: no PostgreSQL cluster: PGHOST is not set (run scripts/test, or eval \"\$(scripts/pg-local start)\")" >&2
        return 1
    fi
    export PGDATABASE=aprkit_bats_grants_$$
    WORK=$(mktemp -d)
    # No handler files: apr-execute uses its built-in arms, whatever this
    # machine has installed.
    export WORK APR_HANDLERS_DIR=$WORK/handlers
    psql -qX -d postgres -U postgres -c "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)" \
        -c "CREATE DATABASE $PGDATABASE"
    PGUSER=postgres gov-migrate >/dev/null
    local role
    for role in proposer executor owner1 owner2; do
        psql -qX -U postgres -c "DO \$\$ BEGIN CREATE ROLE $role LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
    done
    psql -qX -U postgres -c "GRANT apr_proposer TO proposer" -c "GRANT apr_executor TO executor" \
        -c "SELECT apr_approver_set('owner1', 'owner'), apr_approver_set('owner2', 'owner')" >/dev/null
    jq -cn --arg hash "$(printf 'ab%.0s' {1..32})" '{
        request_type: "authorize_build_step", action_code: "authorize_build_step",
        proposed_action: {target: "DOT_C1_VOCAB_BUILD", manifest_hash: $hash, ttl_seconds: 3600},
        session_code: "S-C1-ABS-001", reason: "ticket OPS-1"}' > "$WORK/req.json"
}

teardown_file() {
    [[ -n ${PGHOST:-} ]] || return 0
    psql -qX -d postgres -U postgres -c "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)" || true
    rm -rf "$WORK"
}

# as ROLE SQL: one value, read back with psql.
as() {
    PGUSER=$1 psql -qXAt -c "$2"
}

@test "handler-bind --dry-run prints the migration and writes nothing" {
    run -0 --separate-stderr env PGUSER=postgres handler-bind --staged-dir "$WORK/staged" \
        --action authorize_build_step --handler apr-execute:authorize_build_step --dry-run
    [[ $(jq -r .sql <<<"$output") == *"PERFORM apr_raise('handler_ref_not_persisted'"* ]]
    [ ! -e "$WORK/staged" ]
    [ -z "$(as postgres "SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step'")" ]
}

@test "step 4: handler-bind binds through the migration and reads back" {
    run -0 --separate-stderr env PGUSER=postgres handler-bind --staged-dir "$WORK/staged" \
        --action authorize_build_step --handler apr-execute:authorize_build_step
    [ "$(as postgres "SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step'")" = apr-execute:authorize_build_step ]
    [ "$(as postgres "SELECT count(*) FROM gov_migrations WHERE version = '$(jq -r .version <<<"$output")'")" = 1 ]
}

@test "step 6: the no-write rehearsal mints nothing" {
    PGUSER=proposer apr-propose --dry-run < "$WORK/req.json" > "$WORK/rehearsal.json"
    [ "$(jq -r .dry_run "$WORK/rehearsal.json")" = true ]
    PGUSER=proposer apr-propose < "$WORK/req.json" | tee "$WORK/apr.json"
    run -0 --separate-stderr env PGUSER=executor apr-execute --dry-run < "$WORK/apr.json"
    [ "$(jq -r .would_dispatch <<<"$output")" = apr-execute:authorize_build_step ]
    [ "$(jq -r .eligible <<<"$output")" = false ]
    [ "$(jq -c .blocked_by <<<"$output")" = '["not_approved","quorum_not_met"]' ]
    [ "$(as postgres "SELECT count(*) FROM governance_build_authorization")" = 0 ]
}

@test "step 7: approve, execute, and the readback checklist holds" {
    PGUSER=owner1 apr-quorum --vote approve < "$WORK/apr.json" >/dev/null
    PGUSER=owner2 apr-quorum --vote approve < "$WORK/apr.json" >/dev/null
    run -0 --separate-stderr env PGUSER=executor grant-mint --dry-run < "$WORK/apr.json"
    [ "$(as postgres "SELECT count(*) FROM governance_build_authorization")" = 0 ]
    run -0 --separate-stderr env PGUSER=executor apr-execute < "$WORK/apr.json"
    [ "$(jq -r .minted <<<"$output")" = true ]
    apr=$(jq -r .apr_code "$WORK/apr.json")
    [ "$(as postgres "SELECT count(*) FROM governance_build_authorization")" = 1 ]
    [ "$(as postgres "SELECT auth_code = 'GBA-C1-$apr' AND status = 'active' AND NOT commit_allowed
        AND NOT requires_sovereign_esign AND scope->>'target' = 'DOT_C1_VOCAB_BUILD'
        AND request_ref = '$apr' AND expires_at > granted_at FROM governance_build_authorization")" = t ]
    [ "$(as postgres "SELECT status || ' ' || (applied_at IS NOT NULL) || ' ' || quorum_passed(apr_code)
        FROM apr_requests WHERE apr_code = '$apr'")" = "applied true true" ]
}

@test "a re-run changes nothing" {
    run -0 --separate-stderr env PGUSER=executor apr-execute < "$WORK/apr.json"
    [ "$(jq -r .unchanged <<<"$output")" = true ]
    run -0 --separate-stderr env PGUSER=executor grant-mint < "$WORK/apr.json"
    [ "$(jq -r .unchanged <<<"$output")" = true ]
    [ "$(as postgres "SELECT count(*) FROM governance_build_authorization")" = 1 ]
}

@test "rollback: revoke the grant, then unbind, each read back" {
    run -0 --separate-stderr env PGUSER=executor grant-mint --revoke --reason "rollback OPS-9" < "$WORK/apr.json"
    [ "$(as postgres "SELECT status FROM governance_build_authorization")" = revoked ]
    run -0 --separate-stderr env PGUSER=postgres handler-bind --staged-dir "$WORK/staged" \
        --action authorize_build_step --unbind
    [ -z "$(as postgres "SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step'")" ]
    run -0 --separate-stderr env PGUSER=executor grant-mint --revoke --reason again < "$WORK/apr.json"
    [ "$(jq -r .unchanged <<<"$output")" = true ]
}

@test "a refusal: one JSON line, one stderr line, the exit status" {
    run -1 --separate-stderr env PGUSER=executor grant-mint < "$WORK/apr.json"
    [ "$(jq -r .reason <<<"$output")" = apr_revoked ]
    [[ $stderr == "grant-mint: "*"(apr_revoked)" ]]
}
