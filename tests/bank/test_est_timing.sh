#!/usr/bin/env bash
# kinko-bankd: an EST request for an unknown contract or user ID takes as long as one for a known
# contract with wrong PINs (both run two scrypt derivations), so the time of a 401 does not tell
# which IDs exist. 9 requests each, interleaved, the server's time only (after the TLS
# handshake); the paths are compared by their fastest request, the cost a busy machine cannot
# hide or inflate (medians drifted past 2x under load).
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 7
# Each address may fail 10 times a minute; this test fails 36 times.
export KINKO_BANKD_AUTH_FAIL_LIMIT=0
N=9
new_bank "$(date -u +%F)"
csr_ec admin
start_server

# server_ms USER PASS CONF: milliseconds from the end of the TLS handshake to the last byte.
server_ms() {
	curl -s --cacert "$BANK/ca.crt" -o /dev/null -w '%{time_appconnect} %{time_total}\n' \
		-X POST -u "$1:$2" -H "Kinko-Confirmation-PIN: $3" -H 'Content-Type: application/pkcs10' \
		--data-binary @"$T/admin.csr" "$URL/.well-known/est/simpleenroll" |
		awk '{ printf "%.3f\n", ($2 - $1) * 1000 }'
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fastest() { sort -n "$1" | head -n 1; }
# within LO HI A B: A/B between LO and HI.
within() { awk -v lo="$1" -v hi="$2" -v a="$3" -v b="$4" 'BEGIN { exit !(b > 0 && a / b >= lo && a / b <= hi) }'; }

for i in $(seq "$N"); do
	server_ms "$CONTRACT" 9999 9999 >> "$T/known"
	server_ms 9999999999 9999 9999 >> "$T/unknown"
	server_ms "9999999999/u1" 9999 9999 >> "$T/unknown_user_contract"
	server_ms "$CONTRACT/u1" 9999 9999 >> "$T/unknown_user"
	curl -s --cacert "$BANK/ca.crt" -o /dev/null -w '%{time_appconnect} %{time_total}\n' \
		"$URL/.well-known/est/cacerts" | awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' >> "$T/cacerts"
	# The fifth wrong answer would lock the contract, and a locked one answers at once.
	[ $((i % 4)) = 0 ] && "$BANKD" contract unlock --dir "$BANK" --contract-id "$CONTRACT" >/dev/null
done
known=$(median "$T/known")
unknown=$(median "$T/unknown")
unknown_uc=$(median "$T/unknown_user_contract")
unknown_u=$(median "$T/unknown_user")
cacerts=$(median "$T/cacerts")
echo "# medians (ms): known contract, wrong PINs $known; unknown contract $unknown;" \
	"unknown contract/user $unknown_uc; known contract, unknown user $unknown_u; cacerts $cacerts"

check_quiet "a known contract's wrong PINs cost scrypt (median over 3x cacerts')" within 3 1000000 "$known" "$cacerts"
echo "# fastest (ms): known $(fastest "$T/known"); unknown contract $(fastest "$T/unknown");" \
	"unknown contract/user $(fastest "$T/unknown_user_contract"); unknown user $(fastest "$T/unknown_user")"
check_quiet "an unknown contract ID takes as long as a known one with wrong PINs (0.5-2x)" \
	within 0.5 2 "$(fastest "$T/unknown")" "$(fastest "$T/known")"
check_quiet "an unknown contract ID with a user ID takes as long (0.5-2x)" \
	within 0.5 2 "$(fastest "$T/unknown_user_contract")" "$(fastest "$T/known")"
check_quiet "an unknown user ID of a known contract takes as long (0.5-2x)" \
	within 0.5 2 "$(fastest "$T/unknown_user")" "$(fastest "$T/known")"
code=$(enroll 9999999999 9999 9999 "$T/admin.csr")
check_quiet "an unknown ID is a 401 with WWW-Authenticate" \
	bash -c "[ $code = 401 ] && grep -qF 'WWW-Authenticate: Basic' '$T/hdr'"
check_quiet "an unknown ID's 401 names no secret and no tries (there is no counter to tell of)" \
	bash -c "! grep -qiE '^Kinko-(Wrong-Secret|Tries-Left)' '$T/hdr' && grep -qF 'wrong contract ID, user ID or PIN' '$T/out'"
stop_and_check
