#!/usr/bin/env bash
# kinko logon / status / admin / logoff against a real kinko-bankd, with an admin certificate
# enrolled by `kinko enroll` onto the token: first on kinko's module + emulator (RSA-2048: TLS
# client authentication signed on the token), then on SoftHSM2 (P-256). Each run: wrong bank
# PIN, logon with the customer card read from the card file kinko-bankd printed, the session
# reused by later runs (status, admin users, user add, issue) with and without --bank, refusals
# of the bank passed on with its reason, logoff, renewal (whose "new certificate logged on"
# check is kinko_bank_logon_check), and the transport failures (bank unreachable, a server that
# is not the bank).
. "$(dirname "$0")/cli_lib.sh"
need openssl
need jq
need pkcs11-tool

PER_BACKEND=32
plan $((2 * PER_BACKEND))

# status_cmd: `kinko status` when kinko_main.c dispatches it.
"$KINKO" help status >/dev/null 2>&1 && HAVE_STATUS=1 || HAVE_STATUS=0

# A CA that is not the bank's, to point --cacert at.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" \
	-subj /CN=other-ca -days 2 -out "$T/other-ca.pem" >/dev/null 2>&1 || bail "openssl req failed"

logon_suite() { # logon_suite BACKEND KEYTYPE
	local be="$1" key="$2" tok="adm-$1" bank="b-$1"
	tokens_backend "$be"
	token_new "$tok"
	bank_new "$bank"
	bank_contract "$bank"
	bank_start "$bank"
	local url ca card sec
	url=$(bank_url "$bank")
	ca=$(bank_ca "$bank")
	card=$(bank_card "$bank")
	sec="$T/secrets-$tok"
	secrets_write "$sec" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
		"contract_confirmation_pin=$CONTRACT_CONF_PIN" "user_pin=$USER_PIN" \
		"user_confirmation_pin=$USER_CONF_PIN" "card_file=$card"
	secrets_write "$T/wrongpin-$tok" "token_pin=$TOKEN_PIN" "contract_pin=0000"
	secrets_write "$T/nocard-$tok" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN"
	secrets_write "$T/badcard-$tok" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
		"card_file=$T/other-ca.pem"
	secrets_write "$T/wrongconf-$tok" "token_pin=$TOKEN_PIN" "contract_confirmation_pin=0000"
	k() { kinko_as "$tok" "$@"; }
	# The session file of this bank (one per bank and certificate: session-HOST_PORT-CERTHASH).
	local session="$KINKO_STATE_DIR/session-localhost_${BANK_PORT[$bank]}-*"
	session_file() { compgen -G "$session" | head -1; }

	run k enroll --bank "$url" --cacert "$ca" --admin --contract-id "$CONTRACT" --key "$key"
	[ "$RC" -eq 0 ] || { diag "$T/out"; bail "$be: kinko enroll of the admin certificate failed"; }
	ok "$be: the admin certificate ($key) is enrolled onto the token (kinko enroll)"

	KINKO_SECRETS="$T/wrongpin-$tok" run k logon --bank "$url"
	check_rc_out "$be: a wrong contract PIN: the bank's refusal and exit 4" 4 \
		"the bank refused the contract PIN (イ): 4 tries left"
	if [ -z "$(session_file)" ]; then ok "$be: no session is kept after a refused logon"
	else not_ok "$be: no session is kept after a refused logon"; fi

	run k logon --bank "$url"
	check_ok_out "$be: admin logon (pinned CA, card digits from the card file): the status screen" \
		"bank code $BANK_CODE" "contract ID   $CONTRACT" "logged on as  admin" "CN=$CN,OU=admin"
	if grep -qE "digits at [A-E][0-9] and [A-E][0-9]" "$T/stderr"; then
		ok "$be: the positions the bank asked for are named"
	else not_ok "$be: the positions the bank asked for are named"; diag "$T/out"; fi
	local sf
	sf=$(session_file)
	if [ -f "$sf" ] && [ "$(stat -c %a "$sf")" = 600 ] && grep -qE '^session=[0-9a-f]{32}$' "$sf"; then
		ok "$be: the session is kept in \$KINKO_STATE_DIR, mode 0600"
	else not_ok "$be: the session is kept in \$KINKO_STATE_DIR, mode 0600"; ls -l "$KINKO_STATE_DIR" | sed 's/^/# /'; fi
	# As whole words: the log's ports, pids and serials are digits too (4821 in 48213).
	if grep -qw -e "$CONTRACT_PIN" -e "$TOKEN_PIN" "$sf" "$(bank_log "$bank")"; then
		not_ok "$be: no PIN in the session file or the bank's log"
	else ok "$be: no PIN in the session file or the bank's log"; fi

	if [ "$HAVE_STATUS" = 1 ]; then
		run k status --bank "$url"
		check_ok_out "$be: kinko status in a later run reuses the session" "logged on as  admin"
	else
		skip "$be: kinko status in a later run reuses the session" "kinko_main.c does not dispatch 'status' yet"
	fi

	run k admin user add "$USER_ID" --bank "$url"
	check_ok_out "$be: admin user add registers the user (ト, チ)" "User $USER_ID registered"
	run k admin user add "$USER_ID" --bank "$url"
	check_rc_out "$be: adding the same user again is refused" 2 "already registered"
	run k admin user change "$USER_ID" --bank "$url"
	check_ok_out "$be: admin user change registers the user's PINs again" "User $USER_ID changed"

	KINKO_SECRETS="$T/wrongconf-$tok" run k admin issue "$USER_ID" --bank "$url"
	check_rc_out "$be: issue with a wrong contract confirmation PIN: refused, exit 4" 4 \
		"the bank refused the contract confirmation PIN (ロ): 4 tries left"
	run k admin issue "$USER_ID" --bank "$url"
	check_ok_out "$be: admin issue opens the user's 80-day window (ロ)" \
		"Certificate issued to user $USER_ID: the user can enroll from $(date -u +%F)"
	if bank_snapshot "$bank" | grep -q "^user|$CONTRACT|$USER_ID|[0-9]"; then
		ok "$be: the bank recorded the issuance"
	else not_ok "$be: the bank recorded the issuance"; bank_snapshot "$bank" | sed 's/^/# /'; fi

	run k admin users
	check_ok_out "$be: admin users without --bank uses the only session" "$USER_ID" "$(date -u +%F)"
	run k --json admin users --bank "$url"
	if [ "$RC" -eq 0 ] && [ "$(jq -r '.users[0].user_id' "$T/stdout" 2>/dev/null)" = "$USER_ID" ]; then
		ok "$be: admin users --json prints the bank's list as one JSON object"
	else not_ok "$be: admin users --json prints the bank's list as one JSON object"; diag "$T/out"; fi

	run k admin revoke "$USER_ID" --bank "$url"
	check_rc_out "$be: revoking a user without a certificate: the bank's reason, exit 4" 4 \
		"this user has no valid certificate to revoke"

	run k logoff --bank "$url"
	check_ok_out "$be: logoff ends the session" "Logged off"
	if [ -z "$(session_file)" ]; then ok "$be: the session file is removed at logoff"
	else not_ok "$be: the session file is removed at logoff"; fi
	run k admin users --bank "$url"
	check_rc_out "$be: after logoff, admin commands ask for a logon (exit 4)" 4 "not logged on"

	# Renewal's "the new certificate has logged on" is this file's logon check (PIN and card
	# digits with the new key, then logoff): only then does the bank revoke the old one.
	local before
	before=$(bank_snapshot "$bank" | grep -c '|active$')
	run k renew --bank "$url"
	if [ "$RC" -eq 0 ] && [ "$before" = 1 ] && [ "$(bank_snapshot "$bank" | grep -c '|active$')" = 1 ] &&
		[ "$(bank_snapshot "$bank" | grep -c '|revoked$')" = 1 ]; then
		ok "$be: renew logs on with the new certificate (card digits), the bank revokes the old one"
	else
		not_ok "$be: renew logs on with the new certificate (card digits), the bank revokes the old one"
		diag "$T/out"; bank_snapshot "$bank" | sed 's/^/# /'
	fi
	run k logon --bank "$url"
	check_ok_out "$be: logon with the renewed certificate" "logged on as  admin"
	run k logoff
	check_ok_out "$be: logoff without --bank (the only session)" "Logged off from $url"

	KINKO_SECRETS="$T/nocard-$tok" run k logon --bank "$url"
	check_rc_out "$be: the admin logon without a terminal nor card_file asks for it (exit 2)" 2 \
		"customer card: digits at"
	KINKO_SECRETS="$T/badcard-$tok" run k logon --bank "$url"
	check_rc_out "$be: a card_file that is not a customer card is refused (exit 2)" 2 \
		"is not a customer card"

	run k logon --bank "$url" --cacert "$T/other-ca.pem"
	check_rc_out "$be: a server whose certificate is not from the bank's CA: exit 6" 6 "is not the bank"

	# "Choose the certificate": a second key on the token (pkcs11-tool; RSA, as reading back an
	# EC public key is a use-after-free in pkcs11-tool 0.23 under ASan) with a certificate for
	# it from the other CA (openssl x509 -force_pubkey: no token signature needed, so this works
	# in sanitizer builds too, where openssl cannot load the instrumented module).
	local id2=99 uri
	[ "$be" = kinko ] && id2=18 # a PIV key slot (retired 95: 9D never signs)
	{ p11tool_as "$tok" --login --pin "$TOKEN_PIN" --keypairgen --key-type rsa:2048 --id "$id2" &&
		p11tool_as "$tok" --read-object --type pubkey --id "$id2" -o "$T/second.pub.der" &&
		openssl pkey -pubin -inform DER -in "$T/second.pub.der" -out "$T/second.pub.pem" &&
		openssl req -new -key "$T/other.key" -subj /CN=second -out "$T/second.csr" &&
		openssl x509 -req -in "$T/second.csr" -CA "$T/other-ca.pem" -CAkey "$T/other.key" \
			-force_pubkey "$T/second.pub.pem" -days 2 -set_serial 7 -outform DER -out "$T/second.der" &&
		p11tool_as "$tok" --login --pin "$TOKEN_PIN" --write-object "$T/second.der" --type cert \
			--id "$id2" --label second; } >"$T/write.log" 2>&1 ||
		{ diag "$T/write.log"; bail "$be: a second certificate could not be put on the token"; }
	run k logon --bank "$url"
	check_rc_out "$be: two certificates and no terminal: exit 2, asking for --cert" 2 \
		"2 certificates on the token: choose one with --cert"
	# On a terminal (script(1) gives kinko one): a numbered list to choose from.
	local cmd n
	cmd="$(printf '%q ' "$KINKO" --module "$MODULE" --token "${TOK_URI[$tok]}" --secrets-file "$sec" \
		logon --bank "$url")"
	printf '9\n' | timeout 60 script -qec "$cmd" /dev/null >"$T/tty.out" 2>&1
	n=$(sed -n "s/^ *\([0-9]\)) $CN, issued by .*, valid until 20[0-9-]*.*/\1/p" "$T/tty.out" | head -1)
	if [ -n "$n" ] && grep -q "^ *[0-9]) second, issued by other-ca" "$T/tty.out" &&
		printf '%s\n' "$n" | timeout 60 script -qec "$cmd" /dev/null >"$T/tty.out" 2>&1 &&
		grep -q "logged on as  admin" "$T/tty.out"; then
		ok "$be: on a terminal, the certificates are listed (CN, issuer, expiry) and one is chosen"
	else
		not_ok "$be: on a terminal, the certificates are listed (CN, issuer, expiry) and one is chosen"
		diag "$T/tty.out"
	fi
	uri=$(k certs 2>/dev/null | awk -v cn="$CN" '/^[^ ]/ { cur = $1 } cur == cn && $1 == "URI:" { print $2 }')
	run k logon --bank "$url" --cert "$uri"
	check_ok_out "$be: logon --cert with the URI kinko certs shows" "logged on as  admin"
	run k --json status
	if [ "$RC" -eq 0 ] && [ "$(jq -r '.logged_on.role' "$T/stdout" 2>/dev/null)" = admin ]; then
		ok "$be: a later run finds the session's certificate among two (status --json)"
	else not_ok "$be: a later run finds the session's certificate among two (status --json)"; diag "$T/out"; fi
	run k logon --bank "$url" --cert "pkcs11:id=%77%77;type=cert"
	check_rc_out "$be: --cert naming no certificate on the token: exit 3" 3 "no certificate with its key matches"
	run k logoff --bank "$url"
	bank_stop "$bank"
	run k logon --bank "$url" --cert "$uri"
	check_rc_out "$be: the bank unreachable: exit 5" 5 "cannot reach the bank at $url"
}

logon_suite kinko rsa2048
logon_suite softhsm p256
