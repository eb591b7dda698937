#!/usr/bin/env bats
# The owner runbook end to end on the embedded default, its round trip with
# the rollback, and each stop condition injected: the condition is named, the
# exit status is 3 (2 for the quorum block), and the governed state and the
# handler files are as they were before the run.

# shellcheck disable=SC2154  # bats sets output, stderr and lines
bats_require_minimum_version 1.5.0

setup() {
    load runbook_helpers
    runbook_setup
}

teardown() { runbook_teardown; }

@test "runbook, rollback, runbook again; a second rollback changes nothing" {
    local_cluster
    before=$(governed_state)
    run -1 --separate-stderr "$ROOT/bin/prewrite-gate" --local
    [[ $stderr == *W7_handler_bound_and_implemented* ]]

    run -0 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"owner-runbook: steps 1 to 8 done"* ]]
    # A first run has no saved head yet: the chain is verified from seq 1.
    [[ $output == *'{"ok":true,"checklist":"post-grant","items":15,"passed":15,"failed":0,"ledger_verification":"full verification: no saved head"}'* ]]
    [[ $output == *'"item":"W7_handler_bound_and_implemented","ok":true'* ]]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization WHERE status = 'active'")" -eq 1 ]
    [ "$(sql "SELECT handler_ref FROM apr_action_types WHERE action_code = 'authorize_build_step'")" = apr-execute:authorize_build_step ]

    run -0 --separate-stderr "$ROOT/bin/rollback" --local
    [ "$(governed_state)" = "$before" ]

    # The second run's reason holds what a JSON string must escape: it
    # reaches every APR of the run as it was given.
    reason=$'say "why" \\ in C:\\path\nand a second line'
    APRKIT_REASON=$reason run -0 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"owner-runbook: steps 1 to 8 done"* ]]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization")" -eq 2 ]
    [ "$(sql "SELECT reason FROM apr_requests WHERE action_code = 'authorize_build_step' ORDER BY created_at DESC LIMIT 1")" = "$reason" ]
    [ "$(sql "SELECT reason FROM apr_requests WHERE action_code = 'patch_ops_code' ORDER BY created_at DESC LIMIT 1")" \
        = "$reason: install the authorize_build_step handler" ]

    run -0 --separate-stderr "$ROOT/bin/rollback" --local
    [ "$(governed_state)" = "$before" ]
    data=$(all_data)
    run -0 --separate-stderr "$ROOT/bin/rollback" --local
    [ "$(all_data)" = "$data" ]
    [ "$(governed_state)" = "$before" ]
}

@test "a re-run after the last step changes nothing but the checks" {
    local_cluster
    run -0 "$ROOT/bin/owner-runbook" --local
    grants=$(sql "SELECT count(*) FROM governance_build_authorization")
    aprs=$(sql "SELECT count(*) FROM apr_requests")
    run -0 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"step 1"*"done already"* ]]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization")" -eq "$grants" ]
    [ "$(sql "SELECT count(*) FROM apr_requests")" -eq "$aprs" ]
}

@test "stop: a candidate that fails bash -n is named, exit 3, nothing written" {
    local_cluster
    printf '#!/usr/bin/env bash\nif then fi\n' >"$APRKIT_STATE_DIR/bad-candidate"
    before=$(governed_state) data=$(all_data)
    APRKIT_CANDIDATE=$APRKIT_STATE_DIR/bad-candidate run -3 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"STOP: syntax_check_failed"* ]]
    [ "$(governed_state)" = "$before" ]
    [ "$(all_data)" = "$data" ]
}

@test "stop: a negative fixture that mints in the disposable database is named, exit 3, rolled back" {
    local_cluster
    echo "CREATE OR REPLACE FUNCTION apr_session_is_privileged() RETURNS boolean LANGUAGE sql AS 'SELECT false';" \
        >"$APRKIT_STATE_DIR/remove-a-check.sql"
    before=$(governed_state)
    APRKIT_HARNESS_SQL=$APRKIT_STATE_DIR/remove-a-check.sql run -3 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"STOP: negative_fixture_minted: fixture privileged_session minted a row"* ]]
    [ "$(governed_state)" = "$before" ]
    [ "$(sql "SELECT handler_ref IS NULL FROM apr_action_types WHERE action_code = 'authorize_build_step'")" = t ]
}

@test "stop: a second grant row after the single APR is named, exit 3, revoked" {
    local_cluster
    # Another APR's grant row appears beside the run's own, for the same
    # target; expired, since the database keeps a second active grant for one
    # target out (the unique index of migration 007).
    other=$(printf '{"request_type":"authorize_build_step","action_code":"authorize_build_step","proposed_action":{"target":"DOT_C1_VOCAB_BUILD","manifest_hash":"%064d","ttl_seconds":60},"session_code":"S-X","reason":"other"}' 0 \
        | PGUSER=proposer apr-propose | grep -o 'APR-[0-9]*' | head -n 1)
    sql "SET session_replication_role = replica; UPDATE apr_requests SET status = 'approved' WHERE apr_code = '$other'"
    sql "CREATE FUNCTION second_grant() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
           IF NEW.request_ref <> '$other' THEN
             INSERT INTO governance_build_authorization (auth_code, request_ref, status, scope, expires_at)
             VALUES ('GBA-C1-$other', '$other', 'expired', NEW.scope, NEW.expires_at);
           END IF; RETURN NULL; END \$\$;
         CREATE TRIGGER second_grant AFTER INSERT ON governance_build_authorization
           FOR EACH ROW EXECUTE FUNCTION second_grant();"
    before=$(governed_state)
    run -3 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"STOP: duplicate_grant: more than one grant after the single APR"* ]]
    [ "$(governed_state)" = "$before" ]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization WHERE status = 'active'")" -eq 0 ]
}

@test "stop: a trigger that drops the handler_ref update is named, exit 3, rolled back" {
    local_cluster
    sql "CREATE FUNCTION drop_handler_ref() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
           NEW.handler_ref := OLD.handler_ref; RETURN NEW; END \$\$;
         CREATE TRIGGER drop_handler_ref BEFORE UPDATE ON apr_action_types
           FOR EACH ROW EXECUTE FUNCTION drop_handler_ref();"
    before=$(governed_state)
    run -3 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"STOP: handler_ref_not_persisted"* ]]
    [ "$(governed_state)" = "$before" ]
}

@test "a missing vote is an expected block: exit 2, the APR and the command named, nothing forced" {
    local_cluster
    before=$(governed_state)
    APRKIT_LOCAL_APPROVERS=owner1 run -2 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"waiting on quorum: APR-000001 needs 1 more approval"* ]]
    [[ $stderr == *"apr-quorum --apr APR-000001 --vote approve"* ]]
    [ "$(governed_state)" = "$before" ]
    [ "$(sql "SELECT status FROM apr_requests WHERE apr_code = 'APR-000001'")" = proposed ]

    # The missing vote arrives; the runbook goes on where it stopped.
    PGUSER=owner2 run -0 apr-quorum --apr APR-000001 --vote approve
    run -0 --separate-stderr "$ROOT/bin/owner-runbook" --local
    [[ $stderr == *"owner-runbook: steps 1 to 8 done"* ]]
}

@test "a readback item changed behind the tools' back fails readback and names it" {
    local_cluster
    run -0 "$ROOT/bin/owner-runbook" --local
    # A superuser going behind the functions: past the writer guard too.
    sql "SET aprkit.writer = on; UPDATE governance_build_authorization SET commit_allowed = true"
    apr=$(sql "SELECT request_ref FROM governance_build_authorization")
    run -1 --separate-stderr readback --checklist post-grant --param apr="$apr" \
        --param target=DOT_C1_VOCAB_BUILD --param handler_ref=apr-execute:authorize_build_step \
        --param handler_file="$APRKIT_STATE_DIR/handlers/authorize_build_step" --param grants_before=0
    [[ $stderr == *grant_commit_allowed* ]]
    [[ $output == *'"item":"grant_commit_allowed","ok":false'* ]]
}

# A failure of psql or of a tool keeps its own meaning: never "waiting on
# votes" (2), never a stop condition (3).

# not_local: the settings of a real server, on the local cluster.
not_local() {
    APRKIT_MANIFEST_HASH=$(printf manifest | sha256sum | cut -c1-64)
    export APR_HANDLERS_DIR=$APRKIT_STATE_DIR/handlers APRKIT_MANIFEST_HASH
}

@test "a refused login at step 1 exits 69 and names it, never waiting on votes; nothing written" {
    local_cluster
    not_local
    sql "CREATE ROLE cannot_log_in NOLOGIN"
    data=$(all_data) cluster=$(cluster_roles_and_databases) files=$(handler_files)

    PGUSER=no_such_role run -69 --separate-stderr "$ROOT/bin/owner-runbook"
    [[ $stderr == *'role "no_such_role" does not exist'* ]]
    [[ $stderr == *"owner-runbook: step 1 failed (exit 69): the database is unreachable or refused the login"* ]]
    [[ $stderr != *"waiting on"* && $stderr != *STOP* && $stderr != *"step 2"* ]]

    PGUSER=cannot_log_in run -69 --separate-stderr "$ROOT/bin/owner-runbook"
    [[ $stderr == *'role "cannot_log_in" is not permitted to log in'* ]]
    [[ $stderr == *"step 1 failed (exit 69)"* ]]
    [[ $stderr != *"waiting on"* && $stderr != *STOP* && $stderr != *"step 2"* ]]

    [ "$(all_data)" = "$data" ]
    [ "$(cluster_roles_and_databases)" = "$cluster" ]
    [ "$(handler_files)" = "$files" ]
}

@test "an admin without CREATEDB at step 3 exits 70 and names the privilege; no stop, no rollback, nothing written" {
    local_cluster
    run -0 "$ROOT/bin/owner-runbook" --local   # a grant, a binding, a patched file: what a rollback would undo
    not_local
    sql "CREATE ROLE no_createdb LOGIN NOCREATEDB"
    before=$(governed_state) data=$(all_data) cluster=$(cluster_roles_and_databases)

    PGUSER=no_createdb run -70 --separate-stderr "$ROOT/bin/owner-runbook" --from 3 --to 3
    [[ $stderr == *"permission denied to create database"* ]]
    [[ $stderr == *"it needs the CREATEDB privilege"* ]]
    [[ $stderr == *"owner-runbook: step 3 failed (exit 70)"* ]]
    [[ $stderr != *STOP* && $stderr != *"a stop condition"* && $stderr != *"rolling back"* && $stderr != *"step R1"* ]]

    [ "$(governed_state)" = "$before" ]
    [ "$(all_data)" = "$data" ]
    [ "$(cluster_roles_and_databases)" = "$cluster" ]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization WHERE status = 'active'")" -eq 1 ]
}

@test "rollback against an unreachable database exits 69 and says nothing was undone; nothing written" {
    local_cluster
    run -0 "$ROOT/bin/owner-runbook" --local
    before=$(governed_state) data=$(all_data) files=$(handler_files)
    nowhere=$APRKIT_STATE_DIR/nowhere   # an empty directory: no server's socket
    mkdir "$nowhere"

    PGHOST=$nowhere APRKIT_ADMIN=postgres APRKIT_EXECUTOR=executor APR_HANDLERS_DIR=$APRKIT_STATE_DIR/handlers \
        run -69 --separate-stderr "$ROOT/bin/rollback"
    [[ $stderr == *"cannot connect to the database as postgres"* ]]
    [[ $stderr == *"rollback: rollback stopped at step R1 (exit 69): nothing was revoked, unbound or restored"* ]]
    [[ $stderr != *"nothing to revoke"* && $stderr != *"unbound already"* && $stderr != *"step R2"* ]]
    [[ $stderr != *"rollback complete"* ]]

    [ "$(governed_state)" = "$before" ]
    [ "$(all_data)" = "$data" ]
    [ "$(handler_files)" = "$files" ]
    [ "$(sql "SELECT count(*) FROM governance_build_authorization WHERE status = 'active'")" -eq 1 ]
}

@test "usage errors exit 64" {
    run -64 "$ROOT/bin/owner-runbook" --from 9
    run -64 "$ROOT/bin/rollback" --bogus
    run -64 "$ROOT/bin/prewrite-gate" --bogus
    run -0 "$ROOT/bin/owner-runbook" --help
    [[ $output == *"owner-runbook [--local]"* ]]
}
