#!/usr/bin/env bats
# Ledger checkpoints: readback verifies the chain from the saved head on
# (fully without one, and with --full), catches a truncated tail, an edited
# checkpoint row and a changed checkpoint hash, skips an edit below the
# checkpoint unless --full; signed checkpoints are verified before they are
# trusted; ledger-witness refuses a replay, a fork and a forged signature.
# Each test tampers with a copy of one template database.
# Each @test runs in its own subshell, and bats' run sets $stderr:
# shellcheck disable=SC2030,SC2031,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
    load own_cluster
    use_built_tools readback gov-migrate
    export PATH="$BIN:$ROOT/bin:$PATH"
    start_own_cluster ledger_template
    # 40 events after the schema's own: enough rows below and above a checkpoint.
    psql -X -q -v ON_ERROR_STOP=1 \
        -c "SELECT count(gov_ledger_append('note', NULL, NULL, jsonb_build_object('n', n))) FROM generate_series(1, 40) n" >/dev/null
    KEYS=$BATS_FILE_TMPDIR/keys
    mkdir -p "$KEYS"
    ssh-keygen -q -t ed25519 -N '' -C witness -f "$KEYS/ledger"
    ssh-keygen -q -t ed25519 -N '' -C intruder -f "$KEYS/intruder"
    echo "ledger@example namespaces=\"aprkit-ledger\" $(cat "$KEYS/ledger.pub")" >"$KEYS/allowed_signers"
    export KEYS
}

teardown_file() {
    load own_cluster
    stop_own_cluster
}

setup() {
    export PGDATABASE=ledger_$BATS_TEST_NUMBER
    createdb -T ledger_template "$PGDATABASE"
    cd "$BATS_TEST_TMPDIR" || return 1
}

# tamper SQL...: statements run with the guard triggers off, as a superuser could.
tamper() {
    local args=() sql
    for sql; do args+=(-c "$sql"); done
    psql -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" "${args[@]}"
}

# head_at SEQ: "SEQ HASH" of that row.
head_at() { psql -X -At -c "SELECT seq || ' ' || hash FROM gov_ledger WHERE seq = $1"; }

last_seq() { psql -X -At -c "SELECT max(seq) FROM gov_ledger"; }

@test "a first run without a saved head verifies every row and says so; the next starts from the head it saved" {
    : >saved.head
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head --write-ledger-head saved.head
    [[ ${lines[-1]} == *'"ledger_verification":"full verification: no saved head"'* ]]
    [ "$(cat saved.head)" = "$(head_at "$(last_seq)")" ]
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head
    [[ ${lines[-1]} == *"\"ledger_verification\":\"incremental verification from the saved head at seq $(last_seq)\""* ]]
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head --full --format tap
    [[ $output == *"# ledger: full verification: --full"* ]]
    # The other checklists that include the chain say it as well.
    run -1 --separate-stderr readback --checklist post-grant --ledger-head saved.head --param apr=none --param target=none \
        --param handler_ref=none --param handler_file=/nonexistent --param grants_before=0
    [[ ${lines[-1]} == *"\"ledger_verification\":\"incremental verification from the saved head at seq $(last_seq)\""* ]]
}

@test "an edit below the checkpoint is not read again by the incremental run, and --full names it" {
    # Seq 45 and 50 are notes: no governed row depends on them.
    head_at 50 >saved.head
    tamper "UPDATE gov_ledger SET payload = '{\"n\": 999}' WHERE seq = 45"
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head
    run -1 --separate-stderr readback --checklist ledger --ledger-head saved.head --full
    [[ $stderr == *"ledger_chain_intact: expected = intact, found hash_mismatch at seq 45"* ]]
    # --full needs no saved head at all (cron's nightly line).
    run -1 --separate-stderr readback --checklist ledger --full
    [[ $stderr == *"ledger_chain_intact: expected = intact, found hash_mismatch at seq 45"* ]]
    [[ ${lines[-1]} == *'"ledger_verification":"full verification: --full"'* ]]
}

@test "an edited checkpoint row is caught: it no longer re-hashes from its predecessor" {
    head_at 30 >saved.head
    tamper "UPDATE gov_ledger SET payload = '{\"n\": 999}' WHERE seq = 30"
    run -1 --separate-stderr readback --checklist ledger --ledger-head saved.head
    [[ $stderr == *"ledger_chain_intact: expected = intact, found hash_mismatch at seq 30"* ]]
    # Its predecessor's hash changed instead: the link into the checkpoint breaks.
    dropdb "$PGDATABASE" && createdb -T ledger_template "$PGDATABASE"
    tamper "UPDATE gov_ledger SET hash = repeat('a', 64) WHERE seq = 29"
    run -1 --separate-stderr readback --checklist ledger --ledger-head saved.head
    [[ $stderr == *"found prev_hash_mismatch at seq 30"* ]]
}

@test "a checkpoint row rewritten with another hash is named, and so is the head" {
    head_at 30 >saved.head
    tamper "UPDATE gov_ledger SET payload = '{\"n\": 999}' WHERE seq = 30" \
        "UPDATE gov_ledger SET hash = repeat('b', 64) WHERE seq = 30"
    run -1 --separate-stderr readback --checklist ledger --ledger-head saved.head
    [[ $stderr == *"ledger_chain_intact: expected = intact, found checkpoint_changed at seq 30"* ]]
    [[ $stderr == *"ledger_head_matches_saved: expected = ok, found seq 30 has another hash than the saved head"* ]]
}

@test "a truncated tail is caught by the chain from the checkpoint, whose row is gone" {
    head_at "$(last_seq)" >saved.head
    cp saved.head head.before
    seq=$(last_seq)
    tamper "DELETE FROM gov_ledger WHERE seq > $((seq - 3))" \
        "UPDATE gov_ledger_head SET (seq, hash) = (SELECT seq, hash FROM gov_ledger ORDER BY seq DESC LIMIT 1)"
    run -1 --separate-stderr readback --checklist ledger --ledger-head saved.head --write-ledger-head saved.head
    [[ $stderr == *"found checkpoint_missing at seq $seq (the ledger ends at seq $((seq - 3)))"* ]]
    cmp saved.head head.before
}

@test "a signed checkpoint is verified before it is trusted; a forged one is refused, nothing saved" {
    : >saved.head
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head --write-ledger-head signed --sign-key "$KEYS/ledger"
    jq -e --argjson seq "$(last_seq)" 'select(.seq == $seq and (.origin | startswith("aprkit-ledger/")) and (.time | test("Z$")))' \
        <(head -n 1 signed)
    grep -qx -- '-----BEGIN SSH SIGNATURE-----' signed
    # The cron pattern: verify the signed head, then save the new one signed.
    run -0 --separate-stderr readback --checklist ledger --ledger-head signed --allowed-signers "$KEYS/allowed_signers" \
        --write-ledger-head signed --sign-key "$KEYS/ledger"
    # The note changed after signing: refused before the database is read.
    sed '1s/"seq":[0-9]*/"seq":1/' signed >forged
    cp forged forged.before
    run -65 --separate-stderr readback --checklist ledger --ledger-head forged --allowed-signers "$KEYS/allowed_signers" \
        --write-ledger-head forged
    [[ $output == *'"reason":"bad_ledger_head"'* ]]
    [[ $stderr == *"forged: bad signature: the checkpoint note is not what ledger@example signed"* ]]
    cmp forged forged.before
    # Signed by a key the allowed signers do not list.
    run -0 --separate-stderr readback --checklist ledger --ledger-head saved.head --write-ledger-head other --sign-key "$KEYS/intruder"
    run -65 --separate-stderr readback --checklist ledger --ledger-head other --allowed-signers "$KEYS/allowed_signers"
    [[ $stderr == *"other: bad signature: its key is none of the signers allowed"* ]]
    # A plain head where a signed one is asked for.
    run -65 --separate-stderr readback --checklist ledger --ledger-head saved.head --allowed-signers "$KEYS/allowed_signers"
    [[ $stderr == *"saved.head is not a signed checkpoint"* ]]
    # Without --allowed-signers, a signed head reads as the plain one.
    run -0 --separate-stderr readback --checklist ledger --ledger-head signed
    run -64 --separate-stderr readback --checklist ledger --sign-key "$KEYS/ledger"
}

@test "the witness keeps the latest checkpoint, moves only forwards, and refuses a replay, a fork and a forgery" {
    mkdir witness
    git -C witness init -q
    : >saved.head
    readback --checklist ledger --ledger-head saved.head --write-ledger-head c1 --sign-key "$KEYS/ledger" >/dev/null
    run -0 --separate-stderr ledger-witness --dir witness --allowed-signers "$KEYS/allowed_signers" c1
    [[ $output == *'"previous_seq":null,"unchanged":false'* ]]
    cmp c1 witness/checkpoint
    psql -X -q -c "SELECT gov_ledger_append('note', NULL, NULL, '{}')" >/dev/null
    readback --checklist ledger --ledger-head c1 --write-ledger-head c2 --sign-key "$KEYS/ledger" >/dev/null
    run -0 --separate-stderr ledger-witness --dir witness --allowed-signers "$KEYS/allowed_signers" c2
    run -0 --separate-stderr ledger-witness --dir witness --allowed-signers "$KEYS/allowed_signers" c2
    [[ $output == *'"unchanged":true'* ]]
    [ "$(git -C witness rev-list --count HEAD)" -eq 2 ]

    # A replay of the older checkpoint.
    run -1 --separate-stderr ledger-witness --dir witness --allowed-signers "$KEYS/allowed_signers" c1
    [[ $output == *'"reason":"checkpoint_replayed"'* ]]
    [[ $stderr == *"below the kept checkpoint at seq"* ]]
    # Another hash at the kept seq: a ledger rewritten from there on.
    tamper "UPDATE gov_ledger SET payload = '{\"n\": 1}' WHERE seq = (SELECT max(seq) FROM gov_ledger)" \
        "UPDATE gov_ledger SET hash = repeat('c', 64) WHERE seq = (SELECT max(seq) FROM gov_ledger)"
    printf '%s\n' "$(head_at "$(last_seq)")" >fork
    run -1 --separate-stderr ledger-witness --dir witness fork
    [[ $output == *'"reason":"checkpoint_forked"'* ]]
    # A forged signature.
    sed '1s/"seq":[0-9]*/"seq":99999/' c2 >forged
    run -65 --separate-stderr ledger-witness --dir witness --allowed-signers "$KEYS/allowed_signers" forged
    [[ $stderr == *"bad signature"* ]]
    # A later checkpoint of a ledger that does not verify from the kept one.
    psql -X -q -c "SELECT gov_ledger_append('note', NULL, NULL, '{}')" >/dev/null
    printf '%s\n' "$(head_at "$(last_seq)")" >later
    run -1 --separate-stderr ledger-witness --dir witness later
    [[ $output == *'"reason":"ledger_unverified"'* ]]
    # None of the refusals moved the kept checkpoint.
    cmp c2 witness/checkpoint
    [ "$(git -C witness rev-list --count HEAD)" -eq 2 ]
}
