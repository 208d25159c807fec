#!/usr/bin/env bash
# GnuTLS's own tools (gnutls-bin, unmodified) with token keys named by pkcs11: URIs, for an
# RSA-2048 and a P-256 key that kinko-bankd certified through `kinko enroll`: certtool makes a
# PKCS#10 request signed on the token that OpenSSL accepts, and gnutls-cli logs on to the bank
# over mTLS (POST /api/logon, then the customer-card digits) with the certificate and key on the
# token. Both tools load kinko's module alone (--provider: no p11-kit system module joins in);
# the token PIN reaches them in GNUTLS_PIN, their non-interactive way, never on a command line.
. "$(dirname "$0")/../cli/cli_lib.sh"
need certtool
need gnutls-cli
need openssl
need jq
need pkcs11-tool
[ "${KINKO_SANITIZED:-0}" != 1 ] ||
	skip_all "sanitizer build: unmodified tools cannot load an ASan-instrumented module"

CONTRACT2=2222222222
plan 14
tokens_backend kinko
token_new admin
bank_main_serve "$CONTRACT2"
BANK_PORT_MAIN=${BANK_PORT[main]}
cd "$T" || exit 1

# One token, two admins' certificates: contract A with RSA-2048 (the first free slot, 9A, CKA_ID
# 01), the second contract with P-256 (the next one, retired slot 82, CKA_ID 05).
run kinko_as admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT" --key rsa2048
check_ok_out "kinko enroll: the bank certifies an RSA-2048 key on the token (CKA_ID 01)" "CKA_ID      01"
run kinko_as admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT2" --key p256
check_ok_out "kinko enroll: the bank certifies a P-256 key on the token (CKA_ID 05)" "CKA_ID      05"

TOKEN="$(token_uri admin)"
printf 'cn = "kinko-gnutls"\n' >csr.tmpl

# csr_checks NAME ID: certtool makes a CSR with the token key ID; OpenSSL verifies its
# self-signature, and it carries the key of the token's certificate.
csr_checks() {
	local name="$1" id="$2"
	GNUTLS_PIN="$TOKEN_PIN" run timeout 30 setsid -w certtool --provider "$MODULE" --generate-request \
		--load-privkey "$TOKEN;id=%$id;type=private" --template csr.tmpl --outfile "$name.csr"
	if [ "$RC" -eq 0 ] && [ -s "$name.csr" ]; then ok "$name: certtool --generate-request signs a CSR with the token key"
	else not_ok "$name: certtool --generate-request signs a CSR with the token key"; diag "$T/out"; fi
	run openssl req -in "$name.csr" -verify -noout
	check_ok_out "$name: openssl req -verify accepts it" "verify OK"
	p11tool_as admin --read-object --type cert --id "$id" -o "$name.cert.der" >/dev/null 2>&1
	if [ -s "$name.cert.der" ] &&
		cmp -s <(openssl req -in "$name.csr" -noout -pubkey 2>/dev/null) \
			<(openssl x509 -inform DER -in "$name.cert.der" -noout -pubkey 2>/dev/null); then
		ok "$name: the CSR carries the key of the token's certificate"
	else not_ok "$name: the CSR carries the key of the token's certificate"; fi
}

# tls_post ID PATH JSON: gnutls-cli with the token's certificate and key ID POSTs JSON to the
# bank; the HTTP answer in $T/stdout, gnutls-cli's own lines in $T/gnutls.log. Its stdin stays
# open (a sleeper) until the bank has answered and closed: on EOF gnutls-cli would close first.
tls_post() {
	local id="$1" path="$2" json="$3" fd pid
	exec {fd}< <(printf 'POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$path" "${#json}" "$json"
	exec sleep 30)
	pid=$!
	GNUTLS_PIN="$TOKEN_PIN" run timeout 20 setsid -w gnutls-cli --provider "$MODULE" --logfile "$T/gnutls.log" \
		--x509cafile "$BANK_CA" --x509certfile "$TOKEN;id=%$id;type=cert" \
		--x509keyfile "$TOKEN;id=%$id;type=private" -p "$BANK_PORT_MAIN" localhost <&"$fd"
	exec {fd}<&-
	kill "$pid" 2>/dev/null
	sed -n '/^\r\{0,1\}$/,$p' "$T/stdout" >"$T/body"
}

# logon_checks NAME ID CONTRACT: the admin's logon of the manual over gnutls-cli: the contract
# PIN (イ) starts it, the digits of the customer card at the two positions the bank names end
# it with a session for that contract's admin certificate.
logon_checks() {
	local name="$1" id="$2" contract="$3" lid pos digits
	tls_post "$id" /api/logon "{\"pin\":\"$CONTRACT_PIN\"}"
	lid=$(jq -r '.logon_id // empty' "$T/body" 2>/dev/null)
	pos=$(jq -r '.otp.positions | join(" ")' "$T/body" 2>/dev/null)
	if [ "$RC" -eq 0 ] && grep -q "^HTTP/1.1 200" "$T/stdout" && [ -n "$lid" ] && [ -n "$pos" ] &&
		grep -q "Handshake was completed" "$T/gnutls.log"; then
		ok "$name: gnutls-cli completes mTLS with the token's key; the bank asks for the card digits"
	else
		not_ok "$name: gnutls-cli completes mTLS with the token's key; the bank asks for the card digits"
		diag "$T/out"; diag "$T/gnutls.log" 5; diag "$(bank_log main)" 5
	fi
	digits=$(card_digits "$(bank_card main "$contract")" "$pos")
	tls_post "$id" /api/logon/otp "{\"logon_id\":\"$lid\",\"digits\":\"$digits\"}"
	if [ "$RC" -eq 0 ] && [ "$(jq -r '.status.logged_on.role' "$T/body" 2>/dev/null)" = admin ] &&
		[ "$(jq -r '.status.contract_id' "$T/body" 2>/dev/null)" = "$contract" ] &&
		[ -n "$(jq -r '.session // empty' "$T/body" 2>/dev/null)" ]; then
		ok "$name: the card digits over gnutls-cli give the admin's session of contract $contract"
	else not_ok "$name: the card digits over gnutls-cli give the admin's session of contract $contract"; diag "$T/out"; fi
}

csr_checks rsa 01
logon_checks rsa 01 "$CONTRACT"
csr_checks p256 05
logon_checks p256 05 "$CONTRACT2"
if grep -q "POST /api/logon/otp 200 ${CONTRACT}${BANK_CODE}" "$(bank_log main)" &&
	grep -q "POST /api/logon/otp 200 ${CONTRACT2}${BANK_CODE}" "$(bank_log main)"; then
	ok "the bank logged both logons with the token certificates' CNs"
else not_ok "the bank logged both logons with the token certificates' CNs"; diag "$(bank_log main)"; fi

# A wrong PIN in GNUTLS_PIN: certtool stops at the one refused C_Login (it does not ask again
# with the same PIN) and writes nothing.
GNUTLS_PIN=00000000 run timeout 30 setsid -w certtool --provider "$MODULE" --generate-request \
	--load-privkey "$TOKEN;id=%01;type=private" --template csr.tmpl --outfile wrong.csr
if [ "$RC" -ne 0 ] && [ ! -s wrong.csr ]; then ok "certtool with a wrong GNUTLS_PIN fails and writes no CSR"
else not_ok "certtool with a wrong GNUTLS_PIN fails and writes no CSR"; diag "$T/out"; fi
