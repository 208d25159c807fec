#!/usr/bin/env bash
# Key attestation end to end with kinko's module: a bank that trusts the token maker's CA
# requires attestation (its contracts' default). The seed flow and both renewals on emulated
# tokens the maker certified pass, kinko enroll and renew putting the attestation in the
# request, and the bank records each certificate's token serial. A token without attestation
# key is refused with the bank's rule, its new key removed, and kinko asks it nothing more
# than before (no ATTEST, no GET DATA 5FFF01).
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need_p11tool_on_kinko
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan $((FLOW_TESTS_all + FLOW_TESTS_renewal + 7))
attest_maker "$T/maker"
TOKEN_ATTEST_CA="$T/maker"
BANK_ATTEST_ROOT="$T/maker/attestation-ca.pem"
tokens_backend kinko
token_new admin
token_new user
TOKEN_ATTEST_CA="" token_new bare
OTHER=2222222222
bank_main_serve "$OTHER"
contract_show() { "$BANKD" contract show --dir "$(bank_dir main)" --contract-id "$1"; }
token_serial() { printf '%s' "${TOK_LABEL[$1]#kinko PIV #}"; }

contract_show "$CONTRACT" >"$T/show"
check_quiet "a bank trusting a token maker requires attestation for a new contract" \
	grep -qF "attestation required" "$T/show"
flow_all
contract_show "$CONTRACT" >"$T/show"
check_quiet "contract show names the token serial of the admin's and of the user's certificate" \
	sh -c 'grep -qF ", token $2" "$1" && grep -qF ", token $3" "$1"' _ \
	"$T/show" "$(token_serial admin)" "$(token_serial user)"
flow_renewal
check_quiet "the renewed certificates name their token serials too (four attested certificates)" \
	test "$(contract_show "$CONTRACT" | grep -cE ", token ($(token_serial admin)|$(token_serial user))")" = 4

# The token without attestation key enrolls as the admin of the other contract.
secrets_write "$T/secrets-bare" "token_pin=$TOKEN_PIN" "puk=$TOKEN_PUK" "new_pin=$TOKEN_PIN" \
	"contract_pin=$CONTRACT_PIN" "contract_confirmation_pin=$CONTRACT_CONF_PIN" \
	"card_file=$(bank_card main "$OTHER")"
bare_enroll() {
	LC_ALL="" LANGUAGE="" KINKO_DEBUG=apdu k_party bare enroll "${BANK_OPTS[@]}" --admin \
		--contract-id "$OTHER"
}
LANG=C run bare_enroll
cp "$T/stderr" "$T/bare.trace"
check_rc_out "a token without attestation key is refused (exit 4): the bank's rule in the user's words" \
	4 "the bank refused: key refused: the key was not generated on a bank token" \
	"the request carries no attestation"
check_out "its new key was removed from the token" \
	"the new key was removed from the token: it is as it was before"
check_quiet "the token holds no key and no certificate afterwards" \
	test "$(token_objects bare | grep -cE '^(Private Key|Certificate) Object')" = 0
# The commands the trace shows: "apdu N > CLA INS P1 P2 [lc=N DATA]" in hex. The count of
# APDUs sent must include no ATTEST (INS F9) and no GET DATA (CB) of 5FFF01.
sent=$(grep -cE 'apdu [0-9]+ > ' "$T/bare.trace")
if [ "$sent" -eq 0 ] || grep -qiE 'apdu [0-9]+ > [0-9A-F]{2}F9' "$T/bare.trace" ||
	grep -qiE 'apdu [0-9]+ > [0-9A-F]{2}CB3FFF.*5C035FFF01' "$T/bare.trace"; then
	not_ok "no ATTEST and no GET DATA 5FFF01 for a token without attestation key"
	echo "# $sent APDUs sent"
	grep -iE 'apdu [0-9]+ > [0-9A-F]{2}(F9|CB)' "$T/bare.trace" | head -5 | sed 's/^/# /'
else
	ok "no ATTEST and no GET DATA 5FFF01 for a token without attestation key"
fi
