#!/usr/bin/env bash
# kinko's PKCS#11 layer (tools/kinko/kinko_p11*.c) through kinko-p11-check: on-token key
# generation (RSA-2048, P-256), public keys, signatures verified by OpenSSL, certificate write
# and delete, key removal; on kinko's module also "token full" after filling all free slots,
# each where the CLI (from kinko-pkcs11.h) counted one free.
CLI_TMP_PREFIX=kinko-cli-p11
. "$(dirname "$0")/cli_lib.sh"

CHECK="$B/tests/cli/kinko-p11-check"
[ -x "$CHECK" ] || bail "$CHECK not built"
# Steps kinko-p11-check prints: login, PIN kept, 7 per key type, close; fill adds 7.
STEPS=$((1 + 1 + 2 * 7 + 1))
plan $((2 * STEPS + 8))

# p11_check BACKEND STEPS ARGS...: the program's PASS/FAIL lines as TAP; missing steps fail.
p11_check() {
	local be="$1" want="$2" n=0 line
	shift 2
	timeout -k 5 120 "$CHECK" "$@" >"$T/check.out" 2>"$T/check.err"
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) ok "$be: ${line#PASS }"; n=$((n + 1)) ;;
		"FAIL "*) not_ok "$be: ${line#FAIL }"; n=$((n + 1)); diag "$T/check.err" 5 ;;
		esac
	done <"$T/check.out"
	while [ "$n" -lt "$want" ]; do
		not_ok "$be: step $((n + 1)) did not run"
		n=$((n + 1))
	done
	[ -s "$T/check.err" ] && diag "$T/check.err" 10
	return 0
}

tokens_backend kinko
token_new main
secrets_write "$T/secrets" "token_pin=$TOKEN_PIN"
p11_check kinko $((STEPS + 7)) "$MODULE" "$T/secrets" fill
cp "$T/check.err" "$T/out"
check_out "kinko: the full token is reported in the user's terms" "the token is full: no free key slot"

if have_softhsm; then
	tokens_backend softhsm
	token_new main-softhsm
	p11_check softhsm "$STEPS" "$MODULE" "$T/secrets"
else
	for _ in $(seq "$STEPS"); do skip "softhsm" "SoftHSM2 not installed"; done
fi
