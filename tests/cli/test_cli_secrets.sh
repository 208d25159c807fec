#!/usr/bin/env bash
# Secrets never on the command line, and secrets files that others can read:
# - `kinko --pin 1234 ...` (--pin=, --puk, --password, --so-pin...): PINs are never taken on the
#   command line, and how to give them; exit 2; the value is never repeated.
# - `kinko pin check 1234`: a PIN is never an argument (not "say 'check', 'change' or ...").
# - --secrets-file / --pin-file readable by group or others: one warning naming the file and
#   `chmod 600`; none for a 0600 file.
# - After the forced first PIN change with the PIN from such a file: the file still holds the
#   old PIN.
CLI_TMP_PREFIX=kinko-cli-secrets
. "$(dirname "$0")/cli_lib.sh"

plan 16

tokens_backend kinko
token_new forced 778001 --pin-must-change
token_new plain
k() { timeout -k 5 60 setsid -w "$KINKO" --module "$MODULE" "$@"; }
FORCED="pkcs11:serial=778001"
PLAIN=$(token_uri plain)

# no_value NAME: the last run's output never repeats the secret 4711-0815.
no_value() {
	if grep -q "4711" "$T/out"; then not_ok "$1"; diag "$T/out"; else ok "$1"; fi
}

run k --pin 4711-0815 token list
check_rc_out "--pin VALUE: PINs are never taken on the command line, how to give them; exit 2" 2 \
	"never taken on the command line" "--pin-file" "--pin-fd" "--secrets-file"
no_value "--pin VALUE: the value is not repeated"
run k --token "$PLAIN" certs --pin=4711-0815
check_rc_out "--pin=VALUE after the subcommand: the same, exit 2" 2 "never taken on the command line"
run k enroll --bank https://localhost:1 --puk 4711-0815
check_rc_out "--puk VALUE: the same, exit 2" 2 "never taken on the command line" "puk="
run k --password=4711-0815 logon --bank https://localhost:1
check_rc_out "--password=VALUE: the same, exit 2" 2 "never taken on the command line"
no_value "--password=VALUE: the value is not repeated"
run k --json --so-pin 4711-0815 token list
check_rc_out "--so-pin with --json: exit 2, JSON error" 2 '"exit":2' "never taken on the command line"
run k --token "$PLAIN" pin check 4711-0815
check_rc_out "pin check PIN: a PIN is never an argument, how to give it; exit 2" 2 \
	"never an argument" "--pin-file"
if grep -q "say 'check'" "$T/out"; then not_ok "pin check PIN: not \"say 'check', ...\""; diag "$T/out"
else ok "pin check PIN: not \"say 'check', ...\""; fi
no_value "pin check PIN: the value is not repeated"

# --- permissions ---
secrets_write "$T/open.secrets" "token_pin=$TOKEN_PIN" "new_pin=$TOKEN_PIN"
chmod 644 "$T/open.secrets"
run k --token "$PLAIN" --secrets-file "$T/open.secrets" pin change
check_ok_out "a secrets file readable by others: a warning naming it and chmod 600" \
	"$T/open.secrets" "chmod 600"
if [ "$(grep -c "chmod 600" "$T/out")" -eq 1 ]; then ok "the warning is given once (two secrets read)"
else not_ok "the warning is given once (two secrets read)"; diag "$T/out"; fi
secrets_write "$T/pin.txt" "$TOKEN_PIN"
chmod 640 "$T/pin.txt"
run k --token "$PLAIN" --pin-file "$T/pin.txt" pin check
check_ok_out "a PIN file readable by the group: a warning" "$T/pin.txt" "chmod 600"
chmod 600 "$T/pin.txt" "$T/open.secrets"
run k --token "$PLAIN" --pin-file "$T/pin.txt" pin check
if [ "$RC" -eq 0 ] && ! grep -q "chmod" "$T/out"; then ok "a 0600 PIN file: no warning"
else not_ok "a 0600 PIN file: no warning"; diag "$T/out"; fi

# --- forced first change with the PIN from a file ---
secrets_write "$T/forced.secrets" "token_pin=$TOKEN_PIN" "new_pin=13572468"
run k --token "$FORCED" --secrets-file "$T/forced.secrets" pin check
check_ok_out "forced change from a secrets file: the file still holds the old PIN" \
	"token PIN changed" "$T/forced.secrets" "still holds the old PIN"
run k --token "$FORCED" --secrets-file "$T/forced.secrets" token info
if grep -q "still holds" "$T/out"; then not_ok "no such note without a PIN change"; diag "$T/out"
else ok "no such note without a PIN change"; fi
