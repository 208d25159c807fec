#!/usr/bin/env bash
# The exact tries left of the token PIN and PUK on kinko's module, read from its vendor PIN
# counters (pkcs11/kinko-pkcs11.h): the first wrong PIN says "2 tries left", the second
# "1 try left" (singular), --json carries tries_left; the same through p11-kit's RPC
# (p11-kit server --provider + p11-kit-client.so); on SoftHSM2, which has no such object and
# no lockout, the wording stays the flags' one, without a number.
CLI_TMP_PREFIX=kinko-cli-pintries
. "$(dirname "$0")/cli_lib.sh"
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 8
tokens_backend kinko
token_new tries
k() { kinko_as tries "$@"; }
secrets_write "$T/bad" "token_pin=99990000"
secrets_write "$T/badpuk" "puk=00000000" "new_pin=24681357"

run k --secrets-file "$T/bad" pin check
check_rc_out "kinko: the first wrong PIN says the exact tries left" 3 \
	"wrong token PIN; 2 tries left before it locks"
run k --secrets-file "$T/bad" --json pin check
if [ "$RC" -eq 3 ] && grep -qE '"tries_left": ?1' "$T/out" && grep -qF '1 try left' "$T/out" &&
	! grep -qF '1 tries' "$T/out"; then
	ok "kinko: the second says 1 try left (singular), tries_left 1 in the JSON"
else
	not_ok "kinko: the second says 1 try left (singular), tries_left 1 in the JSON"; diag "$T/out"
fi
run k pin check
check_ok_out "kinko: the right PIN restores the tries" "token PIN accepted"
run k --secrets-file "$T/bad" pin check
check_rc_out "kinko: ...so the next wrong PIN has 2 tries left again" 3 "2 tries left"
run k --secrets-file "$T/badpuk" pin unblock
check_rc_out "kinko: a wrong PUK says the PUK's exact tries left" 3 "wrong PUK; 2 tries left"

run k pin check
check_ok_out "kinko: the right PIN again" "token PIN accepted"

# Through p11-kit's RPC: the vendor attributes travel as they are.
P11_MODULE_DIR=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)
CLIENT="${P11_MODULE_DIR:-/usr/lib/x86_64-linux-gnu/pkcs11}/p11-kit-client.so"
if [ "${KINKO_SANITIZED:-0}" = 1 ]; then
	skip "p11-kit-client.so: the exact tries left" "sanitizer build: p11-kit cannot load the instrumented module"
elif ! command -v p11-kit >/dev/null 2>&1 || [ ! -f "$CLIENT" ]; then
	skip "p11-kit-client.so: the exact tries left" "p11-kit or p11-kit-client.so not installed"
else
	KINKO_EMU_SOCKETS="$KINKO_EMU_SOCKETS" p11-kit server -f --provider "$KINKO_P11" -n "$T/p11kit.sock" \
		"$(token_uri tries)" >"$T/server.log" 2>&1 &
	SRV=$!
	CLEANUP_HOOK='proc_stop "$SRV"'
	proc_wait_for 10 test -S "$T/p11kit.sock"
	P11_KIT_SERVER_ADDRESS="unix:path=$T/p11kit.sock" timeout -k 5 60 setsid -w "$KINKO" \
		--module "$CLIENT" --token "$(token_uri tries)" --secrets-file "$T/bad" pin check >"$T/out" 2>&1
	RC=$?
	check_rc_out "p11-kit-client.so: the exact tries left" 3 "wrong token PIN; 2 tries left before it locks"
	proc_stop "$SRV"
	CLEANUP_HOOK=""
fi

if have_softhsm; then
	tokens_backend softhsm
	token_new soft
	run kinko_as soft --secrets-file "$T/bad" pin check
	if [ "$RC" -eq 3 ] && grep -qF "wrong token PIN: more than 1 try left (the token does not say how many)" "$T/out" &&
		! grep -qE 'PIN; [0-9]+ tr(y|ies) left' "$T/out"; then
		ok "softhsm: a wrong PIN in the flags' words, no number the module cannot know"
	else
		not_ok "softhsm: a wrong PIN in the flags' words, no number the module cannot know"; diag "$T/out"
	fi
else
	skip "softhsm: a wrong PIN in the flags' words" "SoftHSM2 not installed"
fi
