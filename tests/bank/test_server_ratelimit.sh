#!/usr/bin/env bash
# kinko-bankd's rate limit of failed authentications per client address: after 10 failures (401
# to a POST) in a minute, the address's POSTs get 429 with Retry-After, before any secret is
# compared; GETs (cacerts, CRL) still answer; serve --auth-fail-limit N changes the number.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 11
unset KINKO_BANKD_AUTH_FAIL_LIMIT
new_bank "$(date -u +%F)"
csr_ec admin
start_server
codes=""
for _ in $(seq 10); do codes="$codes $(enroll 9999999999 9999 9999 "$T/admin.csr")"; done
check_quiet "10 wrong credentials from one address are each 401" equals "$codes" "$(printf ' 401%.0s' $(seq 10))"
check_quiet "the 11th POST from that address is 429" equals "$(enroll 9999999999 9999 9999 "$T/admin.csr")" 429
ra=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/Ip' "$T/hdr" | tr -d '\r')
check_quiet "the 429 carries Retry-After within the minute" awk -v r="${ra:-0}" 'BEGIN { exit !(r >= 1 && r <= 60) }'
check_quiet "the 429 says why in words" contains "$T/out" "too many failed logons or enrollments from this address; try again in"
check_quiet "the right credentials are refused too (429), nothing compared" \
	equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 429
check_quiet "the contract's failure counter was not touched" \
	bash -c "'$BANKD' contract show --dir '$BANK' --contract-id $CONTRACT | grep -qF '(0 wrong PINs)'"
check_quiet "the JSON API answers 429 in JSON" \
	equals "$(http POST /api/logon -d '{"pin":"1111"}')$(grep -c '"error"' "$T/out")" 4291
check_quiet "GET cacerts still answers 200" equals "$(http GET /.well-known/est/cacerts)" 200
grep -q ' 429 ' "$T/server.log" && ok "the 429s are logged like any answer" || not_ok "the 429s are logged like any answer"

restart_server "" --auth-fail-limit 3
codes=""
for _ in $(seq 4); do codes="$codes $(enroll 9999999999 9999 9999 "$T/admin.csr")"; done
check_quiet "--auth-fail-limit 3: the fourth try is 429" equals "$codes" " 401 401 401 429"
stop_and_check
