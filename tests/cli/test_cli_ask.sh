#!/usr/bin/env bash
# What kinko asks, and in which order, on kinko's module with two emulated tokens: the token is
# chosen (a numbered list on a terminal, --token otherwise) before any bank secret; a bank PIN or
# card digits of the wrong form are asked again on a terminal instead of throwing the logon or
# enrollment away, and are an error naming the entry when they come from a secrets file (the
# bank never sees them). The terminal is a pseudo-terminal (tests/lib/pty_drive.py).
. "$(dirname "$0")/cli_lib.sh"
need python3
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 14
tokens_backend kinko
token_new t1
token_new t2
bank_new main
bank_contract main
bank_start main
URL=$(bank_url main)
CA=$(bank_ca main)
CARD=$(bank_card main)
# kinko without --token, on a terminal (pty_drive) or not (setsid: no controlling terminal).
kinko_tty() { python3 "$DRIVE" "$T/tty.out" 60 "$@"; }
KINKO_CMD=("$KINKO" --module "$MODULE")

# --- several tokens, no terminal: --token is asked for before any secret ---
secrets_write "$T/only-token-pin" "token_pin=$TOKEN_PIN"
secrets_write "$T/tokpin" "$TOKEN_PIN"
run setsid -w "${KINKO_CMD[@]}" --secrets-file "$T/only-token-pin" enroll --bank "$URL" --cacert "$CA" \
	--admin --contract-id "$CONTRACT"
check_rc_out "two tokens, no terminal: enroll asks for --token (exit 2)" 2 "2 tokens are present"
if grep -q "PIN" "$T/out"; then not_ok "two tokens, no terminal: no bank secret was asked first"; diag "$T/out"
else ok "two tokens, no terminal: no bank secret was asked first"; fi

# --- on a terminal: the token from a numbered list, then the PINs; a short イ asked again ---
kinko_tty "Choose the token" @none "number: " "@choose=${TOK_LABEL[t2]}" "token PIN: " "$TOKEN_PIN" \
	"Contract PIN \(イ\): " "12" "try again" @none "Contract PIN \(イ\): " "$CONTRACT_PIN" \
	"confirmation PIN \(ロ\): " "$CONTRACT_CONF_PIN" -- \
	"${KINKO_CMD[@]}" enroll --bank "$URL" --cacert "$CA" --admin --contract-id "$CONTRACT"
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "enroll on a terminal: the token chosen from a list, a short contract PIN asked again" 0 \
	"certificate obtained" "CN          $CN"
choose=$(grep -n "Choose the token" "$T/out" | head -1 | cut -d: -f1)
pin=$(grep -n "PIN" "$T/out" | head -1 | cut -d: -f1)
if [ -n "$choose" ] && [ -n "$pin" ] && [ "$choose" -lt "$pin" ]; then
	ok "enroll on a terminal: the token is chosen before any PIN is asked"
else not_ok "enroll on a terminal: the token is chosen before any PIN is asked"; diag "$T/out" 30; fi
if [ "$(bank_failures main)" = 0 ]; then ok "the contract PIN of the wrong form never reached the bank"
else not_ok "the contract PIN of the wrong form never reached the bank ($(bank_failures main))"; fi

# --- logon on a terminal: wrong-form card digits asked again, not the whole logon ---
kinko_tty "Choose the token" @none "number: " "@choose=${TOK_LABEL[t2]}" "token PIN: " "$TOKEN_PIN" \
	"contract PIN \(イ\): " "$CONTRACT_PIN" "digits at [A-E][0-9] and [A-E][0-9]: " "4x" \
	"try again" @none "digits at [A-E][0-9] and [A-E][0-9]: " "@card=$CARD" -- \
	"${KINKO_CMD[@]}" logon --bank "$URL"
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "logon on a terminal: card digits of the wrong form asked again, then logged on" 0 \
	"not of the right form" "logged on as  admin"
if [ "$(bank_failures main)" = 0 ]; then ok "the card digits of the wrong form never reached the bank"
else not_ok "the card digits of the wrong form never reached the bank ($(bank_failures main))"; fi
run setsid -w "${KINKO_CMD[@]}" --token "${TOK_URI[t2]}" --secrets-file "$T/only-token-pin" logoff --bank "$URL"
check_ok_out "logoff" "Logged off"

# --- from a secrets file: an error at once, naming the entry; the bank is not asked ---
secrets_write "$T/short-pin" "token_pin=$TOKEN_PIN" "contract_pin=12"
run setsid -w "${KINKO_CMD[@]}" --token "${TOK_URI[t2]}" --secrets-file "$T/short-pin" logon --bank "$URL"
check_rc_out "a contract PIN of the wrong form in the secrets file: exit 2, the entry named" 2 \
	"contract_pin in the secrets file $T/short-pin is not of the right form"
if [ "$(bank_failures main)" = 0 ]; then ok "the secrets file's wrong-form PIN never reached the bank"
else not_ok "the secrets file's wrong-form PIN never reached the bank ($(bank_failures main))"; fi

# --- three wrong forms on a terminal: given up, exit 2 ---
kinko_tty "number: " "@choose=${TOK_LABEL[t2]}" "token PIN: " "$TOKEN_PIN" "contract PIN \(イ\): " "1" \
	"contract PIN \(イ\): " "2" "contract PIN \(イ\): " "3" -- "${KINKO_CMD[@]}" logon --bank "$URL"
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "three contract PINs of the wrong form on a terminal: exit 2" 2 "3 times"

# --- renew on a terminal: the token chosen first too ---
kinko_tty "Choose the token" @none "number: " "@choose=${TOK_LABEL[t2]}" "token PIN: " "$TOKEN_PIN" \
	"contract PIN \(イ\): " "$CONTRACT_PIN" "digits at [A-E][0-9] and [A-E][0-9]: " "@card=$CARD" -- \
	"${KINKO_CMD[@]}" renew --bank "$URL"
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "renew on a terminal: the token chosen from a list, then renewed" 0 "Choose the token" \
	"certificate renewed"

# --- admin user add: a new user PIN of the wrong form, from the secrets file: exit 2 ---
secrets_write "$T/adm" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" "card_file=$CARD" \
	"user_pin=12" "user_confirmation_pin=$USER_CONF_PIN"
run setsid -w "${KINKO_CMD[@]}" --token "${TOK_URI[t2]}" --secrets-file "$T/adm" logon --bank "$URL"
run setsid -w "${KINKO_CMD[@]}" --token "${TOK_URI[t2]}" --secrets-file "$T/adm" admin user add user09 \
	--bank "$URL"
check_rc_out "admin user add with a user PIN of the wrong form in the secrets file: exit 2, named" 2 \
	"user_pin in the secrets file $T/adm is not of the right form"
# On a terminal: asked again (twice each time, as a new PIN is).
kinko_tty "PIN \(ト\) for user user09: " "12" "again: " "12" "try again" @none \
	"PIN \(ト\) for user user09: " "$USER_PIN" "again: " "$USER_PIN" \
	"PIN \(チ\) for user user09: " "$USER_CONF_PIN" "again: " "$USER_CONF_PIN" -- \
	"${KINKO_CMD[@]}" --token "${TOK_URI[t2]}" --pin-file "$T/tokpin" admin user add user09 --bank "$URL"
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "admin user add on a terminal: a short user PIN asked again, then registered" 0 \
	"User user09 registered"
