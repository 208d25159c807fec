#!/usr/bin/env bash
# A bank that requires key attestation and a SoftHSM2 token (no attestation: the request
# carries none): kinko enroll is refused with the bank's rule in the user's words, in English
# and in Japanese, exit 4 as for any refusal of the bank, and the token is left as it was.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need pkcs11-tool
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 6
attest_maker "$T/maker"
BANK_ATTEST_ROOT="$T/maker/attestation-ca.pem"
flow_start softhsm
unset KINKO_EMU_SOCKETS
enroll_in() {
	local lang="$1"
	shift
	LANG="$lang" LC_ALL="" LANGUAGE="" k_admin enroll "${BANK_OPTS[@]}" --admin \
		--contract-id "$CONTRACT" "$@"
}

run enroll_in C
check_rc_out "SoftHSM2 under required: refused (exit 4), the bank's rule in the user's words" \
	4 "the bank refused: key refused: the key was not generated on a bank token" \
	"the request carries no attestation; this contract requires one"
check_out "the new key was removed from the token" \
	"the new key was removed from the token: it is as it was before"
check_quiet "the token holds no key and no certificate afterwards" \
	test "$(token_objects admin | grep -cE '^(Private Key|Public Key|Certificate) Object')" = 0
check_quiet "the bank issued no certificate" \
	test "$(bank_snapshot main | grep -c '^cert')" = 0
run enroll_in C --json
if [ "$RC" -eq 4 ] && grep -qF '"code"' "$T/stdout" && grep -qF 'bank_refused' "$T/stdout"; then
	ok "--json: the refusal's code is bank_refused"
else
	not_ok "--json: the refusal's code is bank_refused"; diag "$T/out"
fi
if kit_ja_locale; then
	run enroll_in ja_JP.UTF-8
	check_rc_out "in Japanese: the bank's rule in Japanese, exit 4" 4 \
		"銀行が認めるトークンで生成された鍵ではありません"
else
	skip "in Japanese: the bank's rule in Japanese, exit 4" "ja_JP.UTF-8 not installed"
fi
