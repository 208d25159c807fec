#!/usr/bin/env bash
# kinko token list | info, kinko certs, kinko pin check | change | unblock, the forced first PIN
# change and the help texts: the same checks on kinko's module (emulated tokens) and on
# SoftHSM2, skipped with a reason where SoftHSM2 cannot do it (no PIN lockout, no
# "PIN must be changed" provisioning, no free-slot count).
# pkcs11-tool and softhsm2-util take PINs on their command line: test tokens only.
CLI_TMP_PREFIX=kinko-cli-token
. "$(dirname "$0")/cli_lib.sh"
need pkcs11-tool
need openssl

PER_BACKEND=38
plan $((2 * PER_BACKEND + 19))

# pkcs11-tool loads kinko's module; in a sanitizer build the module needs the sanitizer
# runtimes loaded first (kinko itself is linked with them). pkcs11-tool's own EC key export
# trips ASan inside OpenSC (a use-after-free there, on SoftHSM2 as well), so ASan reports but
# does not stop it: pkcs11-tool only prepares the token here, what is tested is kinko.
SAN_PRELOAD=""
if [ "${KINKO_SANITIZED:-0}" = 1 ]; then
	SAN_PRELOAD="$(${CC:-gcc} -print-file-name=libasan.so) $(${CC:-gcc} -print-file-name=libubsan.so)"
fi
p11t() {
	if [ -n "$SAN_PRELOAD" ] && [ "$MODULE" = "$KINKO_P11" ]; then
		LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS="detect_leaks=0:halt_on_error=0" p11tool_as "$@"
	else
		p11tool_as "$@"
	fi
}

# k ARGS...: kinko without a terminal (a missing secret fails instead of prompting).
k() { timeout -k 5 "${KINKO_TIMEOUT:-60}" setsid -w "$KINKO" --module "$MODULE" "$@"; }
NEW_PIN=13572468

# cert_for NAME ID DAYS CN: a certificate for the key with CKA_ID ID on NAME's token, issued
# by a throwaway CA, written to the token under that id with pkcs11-tool.
cert_for() {
	local name="$1" id="$2" days="$3" cn="$4" d="$T/cert-$1-$2"
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
		-subj "/CN=Test Shinkin CA" -days 400 -out "$d/ca.pem" >/dev/null 2>&1 &&
	p11t "$name" --read-object --type pubkey --id "$id" -o "$d/pub.der" >/dev/null 2>&1 &&
	openssl pkey -pubin -inform DER -in "$d/pub.der" -out "$d/pub.pem" 2>/dev/null &&
	openssl x509 -new -subj "/CN=$cn" -force_pubkey "$d/pub.pem" -CA "$d/ca.pem" \
		-CAkey "$d/ca.key" -days "$days" -outform DER -out "$d/cert.der" >/dev/null 2>&1 &&
	p11t "$name" --login --pin "$TOKEN_PIN" --write-object "$d/cert.der" --type cert \
		--id "$id" --label "kinko $cn" >/dev/null 2>&1
}

# check_json NAME FILE: the file is one JSON object.
check_json() {
	if python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(o, dict) else 1)' \
		"$2" 2>/dev/null; then ok "$1"; else not_ok "$1"; diag "$2"; fi
}

token_checks() {
	local be="$1" tok="main-$1" uri label sec="$T/secrets-$1"
	tokens_backend "$be"
	token_new "$tok"
	uri=$(token_uri "$tok")
	label="${TOK_LABEL[$tok]}"
	echo "# --- $be ---"

	# --- token list / info ---
	run k token list
	check_ok_out "$be: token list shows the token, its PIN state and URI" "$label" "PIN:" "ok" \
		"URI:             pkcs11:" "token=$(uri_escape "$label")"
	if [ "$be" = kinko ]; then
		check_out "$be: token list shows 21 free key slots (9A, 82..95)" "free key slots:  21"
	elif grep -q "free key slots" "$T/out"; then
		not_ok "$be: no free-slot count for a module that does not tell it"; diag "$T/out"
	else ok "$be: no free-slot count for a module that does not tell it"; fi
	run k --json token list
	check_json "$be: token list --json is one JSON object" "$T/stdout"
	check_out "$be: token list --json names the token" "\"label\": \"$label\"" "\"pin\": \"ok\""
	run k token info
	check_ok_out "$be: token info in detail" "$label" "PIN length:" "key pairs:       0" \
		"certificates:    0" "module:          $MODULE"
	run k --json token info
	check_json "$be: token info --json is one JSON object" "$T/stdout"

	# --- certs: empty token, then a key and a certificate put there with pkcs11-tool ---
	run k certs
	check_ok_out "$be: certs on an empty token" "no certificate with its key on the token"
	run k --json certs
	check_ok_out "$be: certs --json on an empty token" '"certificates": []'
	if p11t "$tok" --login --pin "$TOKEN_PIN" --keypairgen --key-type rsa:2048 --id 01 \
		--label "kinko key" >"$T/out" 2>&1 && cert_for "$tok" 01 12 "${CN}"; then
		ok "$be: pkcs11-tool puts an RSA key and a 12-day certificate on the token"
	else not_ok "$be: pkcs11-tool puts an RSA key and a 12-day certificate on the token"; diag "$T/out"; fi
	run k certs
	check_ok_out "$be: certs shows CN, issuer, key type and the certificate's URI" "$CN" \
		"issuer:     Test Shinkin CA" "RSA-2048, id 01" "pkcs11:" "id=%01" "type=cert"
	check_out "$be: certs warns when fewer than 30 days remain" \
		"warning:    expires in 12 days — renew with: kinko renew"
	run k --json certs
	check_json "$be: certs --json is one JSON object" "$T/stdout"
	check_out "$be: certs --json has the days left and the warning" '"days_left": 12' \
		'"warning": "expires in 12 days' "\"cn\": \"$CN\""
	cert_uri=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificates"][0]["uri"])' \
		"$T/stdout" 2>/dev/null)
	run k --token "$cert_uri" token info
	check_ok_out "$be: the certificate's URI names its token (--token)" "$label" "certificates:    1"
	if p11t "$tok" --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 05 \
		--label "kinko ec" >"$T/out" 2>&1 && cert_for "$tok" 05 200 "${CN}-ec"; then
		run k certs
		check_ok_out "$be: an EC P-256 key with a 200-day certificate, no warning for it" \
			"${CN}-ec" "EC P-256, id 05"
	else not_ok "$be: an EC P-256 key with a 200-day certificate, no warning for it"; diag "$T/out"; fi
	if [ "$(grep -c 'warning:' "$T/out")" = 1 ]; then ok "$be: only the short-lived certificate is flagged"
	else not_ok "$be: only the short-lived certificate is flagged"; diag "$T/out"; fi

	# --- pin check / wrong PIN ---
	secrets_write "$sec" "token_pin=$TOKEN_PIN"
	run k --secrets-file "$sec" pin check
	check_ok_out "$be: pin check with the right PIN" "token PIN accepted"
	secrets_write "$sec.bad" "token_pin=99990000"
	run k --secrets-file "$sec.bad" --verbose pin check
	check_rc_out "$be: a wrong PIN: exit 3, the tries the token shows, CKR with --verbose" 3 \
		"wrong token PIN" "(CKR_PIN_INCORRECT)"
	if [ "$be" = kinko ]; then
		check_out "$be: after one wrong PIN: 2 tries left" "wrong token PIN; 2 tries left"
		run k --secrets-file "$sec.bad" pin check
		check_rc_out "$be: after two wrong PINs: 1 try left" 3 "wrong token PIN; 1 try left before it locks"
		if grep -q CKR_ "$T/out"; then not_ok "$be: no CKR name without --verbose"; diag "$T/out"
		else ok "$be: no CKR name without --verbose"; fi
		run k token list
		check_ok_out "$be: token list shows the PIN state" "PIN:             1 try left"
	else
		check_out "$be: the wrong PIN is reported in user terms" "wrong token PIN"
		skip "$be: 1 try left" "SoftHSM2 has no PIN lockout"
		run k --secrets-file "$sec.bad" pin check
		if [ "$RC" -eq 3 ] && ! grep -q CKR_ "$T/out"; then ok "$be: no CKR name without --verbose"
		else not_ok "$be: no CKR name without --verbose"; diag "$T/out"; fi
		skip "$be: token list shows the PIN state" "SoftHSM2 has no PIN lockout"
	fi
	printf '%s\n' "$TOKEN_PIN" >"$T/pin-$be"
	run k --pin-file "$T/pin-$be" pin check
	check_ok_out "$be: the PIN from --pin-file" "token PIN accepted"
	run k --pin-fd 3 --json pin check 3<"$T/pin-$be"
	check_ok_out "$be: the PIN from --pin-fd, --json" '"pin": "accepted"'
	run k --pin-file /dev/null pin check
	check_rc_out "$be: an empty PIN file is a usage error" 2 "holds no PIN"

	# --- pin change ---
	secrets_write "$sec.change" "token_pin=$TOKEN_PIN" "new_pin=$NEW_PIN"
	run k --secrets-file "$sec.change" pin change
	check_ok_out "$be: pin change" "token PIN changed"
	run k --secrets-file "$sec" pin check
	check_rc_out "$be: the old PIN is refused afterwards" 3 "wrong token PIN"
	secrets_write "$sec.new" "token_pin=$NEW_PIN"
	run k --secrets-file "$sec.new" pin check
	check_ok_out "$be: the new PIN is accepted" "token PIN accepted"
	run k --secrets-file "$sec.new" pin change
	check_rc_out "$be: pin change without a terminal or new_pin: usage error" 2 \
		"no terminal to ask for the new token PIN"

	# --- lockout, unblock with the PUK (SoftHSM2: the SO PIN) ---
	if [ "$be" = kinko ]; then
		secrets_write "$sec.bad" "token_pin=99990000"
		k --secrets-file "$sec.bad" pin check >/dev/null 2>&1
		k --secrets-file "$sec.bad" pin check >/dev/null 2>&1
		run k --secrets-file "$sec.bad" pin check
		check_rc_out "$be: the third wrong PIN locks the token" 3 \
			"the token PIN is locked: unblock it with 'kinko pin unblock' (needs the PUK)"
		run k --secrets-file "$sec.new" pin check
		check_rc_out "$be: even the right PIN is refused while locked" 3 "the token PIN is locked"
		secrets_write "$sec.badpuk" "puk=11110000" "new_pin=$TOKEN_PIN"
		run k --secrets-file "$sec.badpuk" pin unblock
		check_rc_out "$be: a wrong PUK is refused with its tries" 3 "wrong PUK"
	else
		skip "$be: the third wrong PIN locks the token" "SoftHSM2 has no PIN lockout"
		skip "$be: even the right PIN is refused while locked" "SoftHSM2 has no PIN lockout"
		secrets_write "$sec.badpuk" "puk=11110000" "new_pin=$TOKEN_PIN"
		run k --secrets-file "$sec.badpuk" pin unblock
		check_rc_out "$be: a wrong SO PIN (PUK) is refused" 3 "wrong PUK"
	fi
	secrets_write "$sec.puk" "puk=$TOKEN_PUK" "new_pin=$TOKEN_PIN"
	run k --secrets-file "$sec.puk" pin unblock
	check_ok_out "$be: pin unblock with the PUK sets a new PIN" "token PIN unblocked and set"
	run k --secrets-file "$sec" pin check
	check_ok_out "$be: the PIN set by unblock is accepted" "token PIN accepted"

	# --- several tokens, --token ---
	token_new "second-$be"
	run k token info
	check_rc_out "$be: two tokens without --token: exit 2, both listed" 2 \
		"2 tokens are present: choose one with --token URI" "$label" "${TOK_LABEL[second-$be]}"
	run k --token "$(token_uri "second-$be")" certs
	check_ok_out "$be: --token picks the other token" "no certificate with its key on the token"
	run k --token "pkcs11:token=no-such-token" certs
	check_rc_out "$be: --token matching nothing: exit 3" 3 "no token matches"
	run k --token "not-a-uri" certs
	check_rc_out "$be: --token that is not a pkcs11: URI: exit 2" 2 "not a pkcs11: URI"
}

forced_change_checks() {
	local sec="$T/secrets-forced"
	echo "# --- kinko: forced first change ---"
	tokens_backend kinko
	token_new forced 777001 --pin-must-change
	run k token list
	check_ok_out "kinko: token list says the PIN must be changed" "PIN:             must be changed"
	secrets_write "$sec" "token_pin=$TOKEN_PIN"
	run k --secrets-file "$sec" pin check
	check_rc_out "kinko: forced change without a new PIN and no terminal: usage error" 2 \
		"the token PIN must be changed before first use" "--no-pin-change"
	run k --secrets-file "$sec" --no-pin-change pin check
	check_ok_out "kinko: --no-pin-change logs in without changing" "token PIN accepted"
	secrets_write "$sec.new" "token_pin=$TOKEN_PIN" "new_pin=$NEW_PIN"
	run k --secrets-file "$sec.new" pin check
	check_ok_out "kinko: the forced change takes new_pin" "token PIN changed" "token PIN accepted"
	run k token list
	check_ok_out "kinko: the PIN no longer must be changed" "PIN:             ok"
	token_stop forced
}

token_checks kinko
forced_change_checks
if have_softhsm; then
	token_checks softhsm
	for _ in 1 2 3 4 5; do skip "softhsm: forced first change" "SoftHSM2 cannot provision a PIN that must be changed"; done
else
	for _ in $(seq $((PER_BACKEND))); do skip "softhsm" "SoftHSM2 not installed"; done
fi

# --- help: complete for every subcommand ---
run "$KINKO" --help
check_ok_out "kinko --help lists every subcommand, the global options and the exit codes" \
	token certs pin enroll renew logon status logoff admin --module --token --pin-file --pin-fd \
	--secrets-file --json --verbose --no-pin-change "3  token problem" "6  verification failed"
run "$KINKO" help token
check_ok_out "kinko help token" "token list" "token info" "free key slots" "PIN state"
run "$KINKO" token --help
check_ok_out "kinko token --help is the same help" "token list" "token info"
run "$KINKO" help certs
check_ok_out "kinko help certs" "fewer than 30 days" "pkcs11: URI"
run "$KINKO" help pin
check_ok_out "kinko help pin" "pin change" "pin unblock" "pin check" "PUK" "--no-pin-change"
for sub in enroll renew logon status logoff admin; do
	run "$KINKO" help "$sub"
	if [ "$RC" -eq 0 ] && grep -qi "usage: kinko.*$sub" "$T/out" && [ "$(wc -l <"$T/out")" -ge 3 ]; then
		echo "# kinko help $sub: $(wc -l <"$T/out") lines"
	else
		echo "# kinko help $sub is missing or short"
		diag "$T/out"
		HELP_BAD=1
	fi
done
if [ -z "${HELP_BAD:-}" ]; then ok "kinko help SUB for enroll, renew, logon, status, logoff, admin"
else not_ok "kinko help SUB for enroll, renew, logon, status, logoff, admin"; fi
run "$KINKO" --version
check_ok_out "kinko --version" "kinko "
run "$KINKO" frobnicate
check_rc_out "an unknown subcommand: exit 2" 2 "no subcommand 'frobnicate'"
run "$KINKO"
check_rc_out "no subcommand: usage on stderr, exit 2" 2 "Usage: kinko"
