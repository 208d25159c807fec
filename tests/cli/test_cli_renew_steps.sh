#!/usr/bin/env bash
# kinko renew, step by step, on kinko's module + emulator and on SoftHSM2 against a real kinko-bankd:
# a new key and certificate (same CN) replace the old ones after a logon with the new one, and
# take the old one's CKA_ID (on kinko's token 01: the logon slot 9A), and log on there; a
# bank out of reach leaves the token as it was; a failed logon with the new certificate keeps
# both (the bank would not renew the old one again).
. "$(dirname "$0")/cli_lib.sh"

need pkcs11-tool
need openssl
need sqlite3
CHECKS=13
plan $((CHECKS * 2))

bank_up main
URL=$(bank_url main)
bank_unused_port

# renew_secrets NAME CONTRACT [CONTRACT-PIN]: token PIN, イ, ロ and the contract's card.
renew_secrets() {
	secrets_write "$T/s-$1" "token_pin=$TOKEN_PIN" "contract_pin=${3:-$CONTRACT_PIN}" \
		"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card main "$2")"
}
as() {
	local name="$1"
	shift
	KINKO_SECRETS="$T/s-$name" kinko_as "$name" "$@"
}
# ids NAME CLASS: the CKA_IDs of the token's objects of that class ("Certificate", "Private Key").
ids() { token_objects "$1" | awk -F'ID: ' -v c="$2 Object" 'index($0, c) == 1 { print $2 }' | tr -d ' ' | sort | tr '\n' ' '; }
cert_status() { sqlite3 -readonly "$(bank_dir main)/bank.db" "SELECT status FROM cert WHERE contract_id = '$1' ORDER BY issued_at, serial" | sort | tr '\n' ' '; }

backend_checks() {
	local b="$1" p="$2"
	local c1="${p}100000001" c2="${p}100000002"
	tokens_backend "$b"
	token_new "$b-1"
	token_new "$b-2"
	bank_contract main "$c1"
	bank_contract main "$c2"
	renew_secrets "$b-1" "$c1"
	renew_secrets "$b-2" "$c2"

	run as "$b-1" enroll --bank "$URL" --admin --contract-id "$c1" --cacert "$(bank_ca main)"
	check_ok_out "$b: enrollment before the renewal" "CN          ${c1}$BANK_CODE"
	local old_id
	old_id=$(ids "$b-1" Certificate)
	p11tool_as "$b-1" --read-object --type cert --id "$old_id" -o "$T/old.der" >/dev/null 2>&1
	token_objects "$b-1" >"$T/before"

	# The bank out of reach: nothing changes on the token.
	run as "$b-1" renew --bank "https://localhost:$UNUSED_PORT" --cacert "$(bank_ca main)"
	check_rc_out "$b: renewal with the bank out of reach is exit 5" 5 "cannot reach the bank"
	token_objects "$b-1" >"$T/after"
	check_same "$b: ...and the token is as it was before" "$T/before" "$T/after"

	run as "$b-1" renew --bank "$URL"
	check_ok_out "$b: renewal logs on with the new certificate, then removes the old one" \
		"logging on with the new certificate" "the old key and certificate were removed" "certificate renewed"
	local new_id
	new_id=$(ids "$b-1" Certificate)
	if [ -n "$new_id" ] && [ "$new_id" = "$old_id" ] && [ "$(ids "$b-1" "Private Key")" = "$new_id" ] &&
		[ "$(ids "$b-1" "Public Key")" = "$new_id" ]; then
		ok "$b: one certificate and one key pair on the token, under the old CKA_ID ($old_id)"
	else
		not_ok "$b: one certificate and one key pair on the token, under the old CKA_ID ($old_id)"
		token_objects "$b-1" | sed 's/^/# /'
	fi
	if [ "$b" != kinko ] || [ "$new_id" = "01 " ]; then
		ok "$b: ...which is CKA_ID 01 (slot 9A, PIV authentication) on kinko's token"
	else
		not_ok "$b: ...which is CKA_ID 01 (slot 9A, PIV authentication) on kinko's token"
		token_objects "$b-1" | sed 's/^/# /'
	fi
	p11tool_as "$b-1" --read-object --type cert --id "$new_id" -o "$T/new.der" >/dev/null 2>&1
	local old_subj new_subj old_pub new_pub
	old_subj=$(openssl x509 -inform DER -in "$T/old.der" -noout -subject 2>&1)
	new_subj=$(openssl x509 -inform DER -in "$T/new.der" -noout -subject 2>&1)
	old_pub=$(openssl x509 -inform DER -in "$T/old.der" -noout -pubkey 2>&1)
	new_pub=$(openssl x509 -inform DER -in "$T/new.der" -noout -pubkey 2>&1)
	if [ "$old_subj" = "$new_subj" ] && [[ "$new_subj" == *"CN = ${c1}$BANK_CODE"* ]]; then
		ok "$b: the new certificate has the same subject (CN = contract ID + bank code)"
	else
		not_ok "$b: the new certificate has the same subject"; echo "# $old_subj / $new_subj"
	fi
	if [ -n "$new_pub" ] && [ "$old_pub" != "$new_pub" ]; then ok "$b: ...and a new key"
	else not_ok "$b: ...and a new key"; fi
	if [ "$(cert_status "$c1")" = "active revoked " ]; then ok "$b: the bank revoked the old certificate"
	else not_ok "$b: the bank revoked the old certificate ($(cert_status "$c1"))"; fi
	run as "$b-1" logon --bank "$URL"
	check_ok_out "$b: the moved key and certificate log on" "$c1"
	as "$b-1" logoff --bank "$URL" >/dev/null 2>&1

	# The logon with the new certificate fails (wrong contract PIN): both stay on the token.
	run as "$b-2" enroll --bank "$URL" --admin --contract-id "$c2"
	check_ok_out "$b: second contract enrolled" "CN          ${c2}$BANK_CODE"
	renew_secrets "$b-2" "$c2" 0000
	run as "$b-2" renew --bank "$URL"
	check_rc_out "$b: a failed logon with the new certificate keeps both, and says what to do" 4 \
		"the new certificate is on the token but logging on with it failed; the old one is kept" "kinko logon --cert"
	set -- $(ids "$b-2" Certificate)
	if [ $# -eq 2 ] && [ "$(ids "$b-2" "Private Key")" = "$(ids "$b-2" Certificate)" ]; then
		ok "$b: ...two certificates with their keys on the token"
	else
		not_ok "$b: ...two certificates with their keys on the token"; token_objects "$b-2" | sed 's/^/# /'
	fi
}

backends_check renewal 3 4
