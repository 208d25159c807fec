#!/usr/bin/env bash
# kinko enroll, focused: on kinko's module + emulator and on SoftHSM2 (the same checks), against
# a real kinko-bankd. The certificate lands on the token next to its key (same CKA_ID, same
# public key, CN = contract ID + bank code), the key type is the one asked for, the bank's CA is
# kept for later runs; and every failure after the key generation leaves the token as it began:
# wrong bank PIN, a bank whose TLS certificate is from another CA, bank unreachable, still
# pending after --max-wait. A pending (202) enrollment waits and succeeds once the bank approves.
. "$(dirname "$0")/cli_lib.sh"

need pkcs11-tool
need openssl
need jq
CHECKS=28
BACKENDS="kinko softhsm"
plan $((CHECKS * 2))

bank_up main other
URL=$(bank_url main)
CA=$(bank_ca main)

# enroll_as NAME ARGS...: kinko enroll with NAME's token and the secrets file $T/s-NAME.
enroll_as() {
	local name="$1"
	shift
	KINKO_SECRETS="$T/s-$name" kinko_as "$name" enroll "$@"
}
# admin_secrets NAME [CONTRACT-PIN]: token PIN, イ, ロ.
admin_secrets() {
	secrets_write "$T/s-$1" "token_pin=$TOKEN_PIN" "contract_pin=${2:-$CONTRACT_PIN}" \
		"contract_confirmation_pin=$CONTRACT_CONF_PIN"
}
# cert_file NAME FILE: the token's only certificate, as DER, into FILE; prints its CKA_ID.
cert_file() {
	local id
	id=$(token_objects_public "$1" | awk -F'ID: ' '/Certificate Object/ { print $2 }' | tr -d ' ')
	[ -n "$id" ] && p11tool_as "$1" --read-object --type cert --id "$id" -o "$2" >/dev/null 2>&1
	printf '%s' "$id"
}
# spki_of_token NAME ID: the token's public key with that CKA_ID, as DER SubjectPublicKeyInfo.
spki_of_token() {
	p11tool_as "$1" --read-object --type pubkey --id "$2" -o "$T/pub.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$T/pub.der" -outform DER 2>/dev/null | od -An -tx1
}
spki_of_cert() { openssl x509 -inform DER -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | od -An -tx1; }
# no_keygen WHAT: the last run checked the bank before the token made a key: no generation
# progress, nothing to remove.
no_keygen() {
	if grep -q "generating the" "$T/out" || grep -q "new key was removed" "$T/out"; then
		not_ok "$1: the bank is checked before a key is generated"; diag "$T/out"
	else ok "$1: the bank is checked before a key is generated"; fi
}
# unchanged NAME WHAT: the token's objects equal the snapshot $T/before-NAME.
unchanged() {
	token_objects "$1" >"$T/after-$1"
	check_same "$2: the token is as it was before (pkcs11-tool -O)" "$T/before-$1" "$T/after-$1"
}

backend_checks() {
	local b="$1" p="$2"
	local c1="${p}000000001" c2="${p}000000002" c3="${p}000000003" c4="${p}000000004"
	tokens_backend "$b"
	token_new "$b-a"
	token_new "$b-r"
	token_new "$b-m"
	token_new "$b-x"
	bank_contract main "$c1"
	bank_contract main "$c2"
	bank_contract main "$c3" "" manual
	bank_contract other "$c4"
	for n in a r m x; do admin_secrets "$b-$n"; done

	# Admin enrollment, default key type (P-256), CA given once.
	rm -f "$KINKO_STATE_DIR"/banks/*
	run enroll_as "$b-a" --bank "$URL" --admin --contract-id "$c1" --cacert "$CA"
	check_ok_out "$b: admin enrollment succeeds and prints the CN as the manual's check" \
		"CN          ${c1}$BANK_CODE" "(contract ID $c1 + bank code $BANK_CODE"
	check_out "$b: progress is shown while the token generates the key" "generating the P-256 key on the token"
	local id
	id=$(cert_file "$b-a" "$T/a.der")
	if [ -n "$id" ] && token_objects "$b-a" | grep "Private Key Object" | grep -q "ID: $id"; then
		ok "$b: the certificate is on the token with its key's CKA_ID ($id)"
	else
		not_ok "$b: the certificate is on the token with its key's CKA_ID"; token_objects "$b-a" | sed 's/^/# /'
	fi
	if [ -n "$id" ] && [ "$(spki_of_token "$b-a" "$id")" = "$(spki_of_cert "$T/a.der")" ]; then
		ok "$b: the certificate carries the token's public key"
	else
		not_ok "$b: the certificate carries the token's public key"
	fi
	run openssl x509 -inform DER -in "$T/a.der" -noout -subject -text -nameopt RFC2253
	check_out "$b: the certificate's CN is contract ID + bank code" "CN=${c1}$BANK_CODE"
	check_out "$b: --key default is P-256" "prime256v1"
	run openssl verify -CAfile "$CA" -purpose sslclient <(openssl x509 -inform DER -in "$T/a.der")
	check_ok_out "$b: the certificate chains to the bank's CA for client authentication" "OK"
	local pinned
	pinned=$(ls "$KINKO_STATE_DIR"/banks/*.pem 2>/dev/null | head -1)
	if [ -n "$pinned" ] && cmp -s "$pinned" "$CA"; then ok "$b: the bank's CA is kept for later runs"
	else not_ok "$b: the bank's CA is kept for later runs"; fi

	# Wrong bank PIN: refused by the bank, the new key removed. The CA comes from the pin now.
	token_objects "$b-r" >"$T/before-$b-r"
	admin_secrets "$b-r" 0000
	run enroll_as "$b-r" --bank "$URL" --admin --contract-id "$c2" --key rsa2048
	check_rc_out "$b: a wrong contract PIN is the bank's refusal (exit 4), with its reason" 4 \
		"the bank refused the contract PIN (イ): 4 tries left"
	check_out "$b: the user is told the new key was removed" "the new key was removed from the token"
	unchanged "$b-r" "$b: wrong bank PIN"

	# RSA-2048 on request (with the right PIN), and --json.
	admin_secrets "$b-r"
	run enroll_as "$b-r" --json --bank "$URL" --admin --contract-id "$c2" --key rsa2048
	check_ok_out "$b: enrollment with --key rsa2048 succeeds" "\"cn\":\"${c2}$BANK_CODE\""
	if jq -e --arg code "$BANK_CODE" '.command == "enroll" and .key == "rsa2048" and .bank_code == $code
		and (.uri | startswith("pkcs11:"))' "$T/stdout" >/dev/null 2>&1; then
		ok "$b: --json gives one object: key, bank code, URI"
	else
		not_ok "$b: --json gives one object: key, bank code, URI"; diag "$T/stdout"
	fi
	cert_file "$b-r" "$T/r.der" >/dev/null
	run openssl x509 -inform DER -in "$T/r.der" -noout -text
	check_out "$b: the certificate's key is RSA-2048" "Public-Key: (2048 bit)"

	# A bank whose TLS certificate is from another CA than --cacert's: nothing kept.
	token_objects "$b-x" >"$T/before-$b-x"
	run enroll_as "$b-x" --bank "$(bank_url other)" --admin --contract-id "$c4" --cacert "$CA"
	check_rc_out "$b: a bank whose TLS certificate is not from the given CA fails the check (exit 6)" 6 \
		"the bank's TLS certificate is not from the CA in $CA"
	no_keygen "$b: bank of another CA"
	unchanged "$b-x" "$b: bank of another CA"

	# No CA known for a bank: usage error before the token is touched.
	run enroll_as "$b-x" --bank "$(bank_url other)" --admin --contract-id "$c4"
	check_rc_out "$b: without --cacert nor a kept CA, enroll asks for --cacert (exit 2)" 2 "give --cacert FILE"
	echo "not a certificate" >"$T/junk.pem"
	run enroll_as "$b-x" --bank "$(bank_url other)" --admin --contract-id "$c4" --cacert "$T/junk.pem"
	check_rc_out "$b: a --cacert that holds no certificate is refused before the token is used (exit 2)" 2 \
		"holds no CA certificate"

	# Bank unreachable: a port nobody listens on (the other bank, stopped after this backend).
	local t1=$SECONDS
	run enroll_as "$b-x" --bank "https://localhost:$UNUSED_PORT" --admin --contract-id "$c4" --cacert "$CA" --key rsa2048
	check_rc_out "$b: an unreachable bank is exit 5 with a plain message" 5 "cannot reach the bank at https://localhost:$UNUSED_PORT"
	no_keygen "$b: bank unreachable"
	if [ $((SECONDS - t1)) -le 3 ]; then ok "$b: an unreachable bank fails fast ($((SECONDS - t1)) s)"
	else not_ok "$b: an unreachable bank fails fast ($((SECONDS - t1)) s)"; fi
	unchanged "$b-x" "$b: bank unreachable"

	# Manual approval: 202 + Retry-After. First give up after --max-wait 1, then approve while
	# kinko waits.
	token_objects "$b-m" >"$T/before-$b-m"
	run enroll_as "$b-m" --bank "$URL" --admin --contract-id "$c3" --max-wait 1
	check_rc_out "$b: still pending after --max-wait is the bank's refusal (exit 4)" 4 \
		"enrollment pending" "still pending after 1 s"
	unchanged "$b-m" "$b: still pending"
	# The bank asks to come back in 60 s; kinko asks again every 10 s at most, so an approval
	# given 2 s in is seen at the next try, long before --max-wait.
	( sleep 2; "$BANKD" contract approve --dir "$(bank_dir main)" --contract-id "$c3" >/dev/null 2>&1 ) &
	local approver=$! t0=$SECONDS
	run enroll_as "$b-m" --bank "$URL" --admin --contract-id "$c3" --max-wait 40
	wait "$approver"
	check_ok_out "$b: a pending enrollment says it waits for the bank's approval, then succeeds" \
		"waiting for the bank's approval" "asking again in 10 s" "CN          ${c3}$BANK_CODE"
	if [ $((SECONDS - t0)) -ge 8 ] && [ $((SECONDS - t0)) -le 14 ]; then
		ok "$b: after the approval kinko completes at the next try, 10 s after the first"
	else not_ok "$b: after the approval kinko completes at the next try, 10 s after the first ($((SECONDS - t0)) s)"; fi
	if grep -c "POST /.well-known/est/simpleenroll 202" "$(bank_log main)" | grep -qv '^0$'; then
		ok "$b: the bank did answer 202"
	else
		not_ok "$b: the bank did answer 202"; diag "$(bank_log main)"
	fi
}

bank_unused_port

backends_check enrollment 1 2
