#!/usr/bin/env bash
# Ctrl-C at a no-echo prompt: kinko ends at once (130) and gives the terminal its echo back —
# at a plain token-PIN prompt, and at renew's bank-PIN prompt (after the new certificate, where
# renew's own signal catcher had swallowed it until Enter). kinko's module, emulated tokens, a
# pseudo-terminal (tests/lib/pty_drive.py).
. "$(dirname "$0")/cli_lib.sh"
need python3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 5
tokens_backend kinko
token_new adm
bank_main_serve
URL=$BANK_URL
# kinko_tty TIMEOUT EXPECT SEND ...: on a terminal; the echo state it left in $T/echo.
kinko_tty() {
	local t="$1"
	shift
	PTY_DRIVE_ECHO_FILE="$T/echo" python3 "$DRIVE" "$T/out" "$t" "$@"
}

# --- a token-PIN prompt ---
start=$(date +%s)
kinko_tty 20 "token PIN: " @ctrl-c -- "$KINKO" --module "$MODULE" --token "${TOK_URI[adm]}" pin check
RC=$?
check_rc_out "Ctrl-C at the token PIN prompt: kinko ends with 130" 130 "token PIN"
if [ "$(cat "$T/echo" 2>/dev/null)" = on ]; then ok "the terminal's echo is back after Ctrl-C at the token PIN prompt"
else not_ok "the terminal's echo is back after Ctrl-C at the token PIN prompt (echo $(cat "$T/echo" 2>/dev/null))"; fi

# --- renew: the logon with the new certificate asks the contract PIN (イ) ---
secrets_write "$T/s" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card main)"
KINKO_SECRETS="$T/s" run kinko_as adm enroll --bank "$URL" --admin --contract-id "$CONTRACT" --cacert "$(bank_ca main)"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "enrollment failed"; }
secrets_write "$T/tok" "token_pin=$TOKEN_PIN"
start=$(date +%s)
kinko_tty 20 "contract PIN \(イ\): " @ctrl-c -- "$KINKO" --module "$MODULE" --token "${TOK_URI[adm]}" \
	--secrets-file "$T/tok" renew --bank "$URL"
RC=$?
took=$(($(date +%s) - start))
check_rc_out "Ctrl-C at renew's contract PIN prompt: kinko ends with 130" 130 "contract PIN"
if [ "$took" -lt 15 ]; then ok "renew ends at once on Ctrl-C (${took} s), not at the next Enter"
else not_ok "renew ends at once on Ctrl-C (took ${took} s)"; fi
if [ "$(cat "$T/echo" 2>/dev/null)" = on ]; then ok "the terminal's echo is back after Ctrl-C at renew's prompt"
else not_ok "the terminal's echo is back after Ctrl-C at renew's prompt (echo $(cat "$T/echo" 2>/dev/null))"; fi
