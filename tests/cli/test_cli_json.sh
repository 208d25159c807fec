#!/usr/bin/env bash
# --json: every subcommand's failure is one JSON object on stdout,
# {"error": {"message": ..., ...}, "exit": N} with N the exit status, and the expert detail
# (CKR_* name, HTTP status) as fields; stderr keeps the human line.
CLI_TMP_PREFIX=kinko-cli-json
. "$(dirname "$0")/cli_lib.sh"
need python3

# json_error NAME [FIELD=VALUE...]: stdout of the last run is exactly one JSON object with
# error.message and exit == $RC (and every given error field with that value; rc=N: the
# exit status must be N).
json_error() {
	local name="$1" why
	shift
	why=$(python3 - "$T/stdout" "$RC" "$@" <<'PY'
import json, sys
try:
    o = json.loads(open(sys.argv[1]).read())
except ValueError as e:
    print("stdout is not one JSON object: %s" % e); sys.exit(0)
rc = int(sys.argv[2])
if not isinstance(o, dict) or not isinstance(o.get("error"), dict):
    print("no error object"); sys.exit(0)
if o.get("exit") != rc:
    print("exit %r, status %d" % (o.get("exit"), rc)); sys.exit(0)
if not isinstance(o["error"].get("message"), str) or not o["error"]["message"]:
    print("no error.message"); sys.exit(0)
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    if k == "rc":
        if rc != int(v):
            print("exit status %d, expected %s" % (rc, v)); sys.exit(0)
        continue
    if str(o["error"].get(k)) != v:
        print("error.%s is %r, expected %s" % (k, o["error"].get(k), v)); sys.exit(0)
PY
)
	if [ "$RC" -ne 0 ] && [ -z "$why" ] && [ -s "$T/stderr" ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "# exit $RC; ${why:-stderr empty}"
		diag "$T/out"
	fi
}

plan 22

tokens_backend kinko
token_new main
bank_new b
bank_contract b
bank_start b
# j ARGS...: kinko --json on the test token, without a terminal.
j() { timeout -k 5 60 setsid -w "$KINKO" --json --module "$MODULE" "$@"; }
# A port where no bank listens: one the bank had, now closed.
bank_stop b
DEAD="https://localhost:${BANK_PORT[b]}"
wrong="$T/wrong"; secrets_write "$wrong" token_pin=99999999 contract_pin=0000 contract_confirmation_pin=0000 \
	card_digits=00

run j; json_error "no subcommand"
run j frobnicate; json_error "unknown subcommand"
run j --module; json_error "global option without its value"
run j --pin-fd x token list; json_error "--pin-fd with a non-number"
run j help nosuch; json_error "help of an unknown subcommand"
run j --module "$T/nonexistent.so" token list; json_error "module that does not load"
run j token frob; json_error "token: unknown word"
run j --token 'pkcs11:token=nosuch' token info; json_error "token info: no such token" rc=3
run j certs extra; json_error "certs with an argument"
run j --token 'pkcs11:token=nosuch' certs; json_error "certs: no such token"
run j pin; json_error "pin without a word"
run j --secrets-file "$wrong" pin check; json_error "pin check: wrong PIN carries the CKR name" \
	rc=3 ckr=CKR_PIN_INCORRECT
run j pin check; json_error "pin check without a terminal or secrets"
run j enroll; json_error "enroll without --bank"
good=$(party_secrets admin)
run j --secrets-file "$good" enroll --bank "$DEAD" --admin --contract-id "$CONTRACT" \
	--cacert "$(bank_ca b)"; json_error "enroll: bank unreachable" rc=5
run j renew --frob; json_error "renew: unknown option"
run j --secrets-file "$good" renew --bank "$DEAD"; json_error "renew: bank unreachable or nothing to renew"
run j logon; json_error "logon without --bank"
run j --secrets-file "$good" logon --bank "$DEAD" --cacert "$(bank_ca b)"; json_error "logon: bank unreachable"
run j status --bank "$DEAD"; json_error "status without a session"
run j logoff --bank "$DEAD"; json_error "logoff without a session"
run j admin frob; json_error "admin: unknown operation"
