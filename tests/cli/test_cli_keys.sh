#!/usr/bin/env bash
# kinko key delete URI (a key, its public key and certificate; confirmation on a terminal,
# --yes otherwise; refused without a match) and kinko pin change --puk (the PUK / SO PIN),
# on kinko's module and on SoftHSM2. pkcs11-tool prepares the tokens (test PINs on its
# command line: test tokens only).
CLI_TMP_PREFIX=kinko-cli-keys
. "$(dirname "$0")/cli_lib.sh"
need python3
need openssl
need_p11tool_on_kinko

PER_BACKEND=18
plan $((2 * PER_BACKEND + 2))

k() { timeout -k 5 60 setsid -w "$KINKO" --module "$MODULE" "$@"; }
NEW_PUK=97531864

# with_cert NAME ID CN: a self-issued certificate for the key ID, written to the token.
with_cert() {
	local d="$T/cert-$1-$2"
	mkdir -p "$d"
	token_ec_pub_der "$1" "$2" "$d/pub.der" &&
	openssl pkey -pubin -inform DER -in "$d/pub.der" -out "$d/pub.pem" 2>/dev/null &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
		-subj "/CN=Test CA" -days 30 -out "$d/ca.pem" >/dev/null 2>&1 &&
	openssl x509 -new -subj "/CN=$3" -force_pubkey "$d/pub.pem" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-days 30 -outform DER -out "$d/cert.der" >/dev/null 2>&1 &&
	p11tool_as "$1" --login --pin "$TOKEN_PIN" --write-object "$d/cert.der" --type cert --id "$2" \
		--label "kinko $3" >/dev/null 2>&1
}
# pty_answer ANSWER ARGS...: kinko under a pseudo-terminal (tests/lib/pty_drive.py), ANSWER
# typed at its "[y/N]" question; what the terminal showed in $T/out, RC its exit status.
pty_answer() {
	local answer="$1"
	shift
	python3 "$DRIVE" "$T/out" 60 '\[y/N\]' "$answer" -- "$KINKO" --module "$MODULE" "$@"
	RC=$?
}
# ids NAME: the CKA_IDs of the token's objects (all classes), sorted, one line.
ids() { token_objects "$1" | sed -n 's/.*ID: *\([0-9a-f]*\).*/\1/p' | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }

key_checks() {
	local be="$1" tok="k-$1" sec="$T/sec-$1" uriA uriB before
	tokens_backend "$be"
	token_new "$tok"
	echo "# --- $be ---"
	secrets_write "$sec" "token_pin=$TOKEN_PIN"
	if p11tool_as "$tok" --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 01 \
		--label "kinko key A" >"$T/out" 2>&1 && with_cert "$tok" 01 "holder-a" &&
		p11tool_as "$tok" --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 05 \
		--label "kinko key B" >"$T/out" 2>&1; then
		ok "$be: key A with a certificate, key B without one (pkcs11-tool)"
	else not_ok "$be: key A with a certificate, key B without one (pkcs11-tool)"; diag "$T/out"; fi
	run k --token "$(token_uri "$tok")" --secrets-file "$sec" --json certs
	uriA=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificates"][0]["uri"])' "$T/stdout" 2>/dev/null)
	uriB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys_without_certificate"][0]["uri"])' "$T/stdout" 2>/dev/null)
	echo "# A: $uriA"
	echo "# B: $uriB"
	kt() { k --token "$(token_uri "$tok")" --secrets-file "$sec" "$@"; }
	before=$(ids "$tok")

	run kt key delete
	check_rc_out "$be: key delete without a URI: usage, exit 2" 2 "key delete"
	run kt key delete 'pkcs11:id=%99' --yes
	check_rc_out "$be: a URI matching no key: refused, exit 3" 3 "no key on the token matches"
	run kt key delete 'pkcs11:type=private' --yes
	check_rc_out "$be: a URI without id= or object=: refused, exit 2" 2 "id=" "object="
	run kt key delete "$uriB"
	check_rc_out "$be: no terminal and no --yes: refused, exit 2" 2 "--yes"
	if [ "$(ids "$tok")" = "$before" ]; then ok "$be: nothing was removed by the refusals"
	else not_ok "$be: nothing was removed by the refusals"; echo "# $before -> $(ids "$tok")"; fi

	pty_answer n --token "$(token_uri "$tok")" --secrets-file "$sec" key delete "$uriB"
	check_rc_out "$be: on a terminal, answering n removes nothing (exit 1)" 1 "[y/N]" "id 05" \
		"nothing removed"
	if [ "$(ids "$tok")" = "$before" ]; then ok "$be: key B is still there"
	else not_ok "$be: key B is still there"; fi
	pty_answer y --token "$(token_uri "$tok")" --secrets-file "$sec" key delete "$uriB"
	check_rc_out "$be: on a terminal, y removes key B and says what" 0 "removed" "private key" "public key"
	if ids "$tok" | grep -q " 05"; then not_ok "$be: key B is gone from the token"; echo "# $(ids "$tok")"
	else ok "$be: key B is gone from the token"; fi
	if ids "$tok" | grep -q " 01"; then ok "$be: key A is untouched"; else not_ok "$be: key A is untouched"; fi

	run kt --json key delete "$uriA" --yes
	check_rc_out "$be: --yes removes key A, its public key and certificate (--json)" 0 '"removed"' \
		'"certificate"' 'holder-a'
	if [ -z "$(ids "$tok")" ]; then ok "$be: the token is empty"; else not_ok "$be: the token is empty"; echo "# $(ids "$tok")"; fi

	# --- pin change --puk ---
	secrets_write "$sec.puk" "puk=$TOKEN_PUK" "new_puk=$NEW_PUK"
	run k --token "$(token_uri "$tok")" --secrets-file "$sec.puk" pin change --puk
	check_rc_out "$be: pin change --puk changes the PUK" 0 "PUK changed"
	run k --token "$(token_uri "$tok")" --secrets-file "$sec.puk" --verbose pin change --puk
	check_rc_out "$be: the old PUK no longer works: wrong PUK, exit 3" 3 "wrong PUK"
	secrets_write "$sec.unblock" "puk=$NEW_PUK" "new_pin=$TOKEN_PIN"
	run k --token "$(token_uri "$tok")" --secrets-file "$sec.unblock" pin unblock
	check_rc_out "$be: the new PUK unblocks (resets) the PIN" 0 "unblocked"
	secrets_write "$sec.back" "puk=$NEW_PUK" "new_puk=$TOKEN_PUK"
	run k --token "$(token_uri "$tok")" --secrets-file "$sec.back" --json pin change --puk
	check_rc_out "$be: and changes it back (--json)" 0 '"puk": "changed"'
	secrets_write "$sec.short" "puk=$TOKEN_PUK" "new_puk=12"
	run k --token "$(token_uri "$tok")" --secrets-file "$sec.short" pin change --puk
	check_rc_out "$be: a new PUK of a wrong length: refused in words, exit 3" 3 "new PUK"
}

key_checks kinko
if have_softhsm; then
	key_checks softhsm
else
	for _ in $(seq "$PER_BACKEND"); do skip "softhsm" "SoftHSM2 not installed"; done
fi

run "$KINKO" help key
check_ok_out "kinko help key: delete, URI, --yes" "key delete" "URI" "--yes"
run "$KINKO" help pin
check_ok_out "kinko help pin: change --puk, new_puk" "pin change --puk" "new_puk"
