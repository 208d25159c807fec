#!/usr/bin/env bash
# kinko enroll and kinko logon with the token in a PC/SC reader (a vsmartcard-vpcd reader of a
# private pcscd, tests/lib/pcsc.sh) instead of on the emulator socket, for the emulator
# profiles in PROFILES (kinko, yubikey, piv): kinko's module reaches the token only through pcscd
# here (no emulator socket, no USB), kinko-bankd issues the admin certificate to a key
# generated on it, and the logon's TLS client signature is made on it.
. "$(dirname "$0")/../cli/cli_lib.sh"
# shellcheck source=tests/lib/pcsc.sh
. "$(dirname "$0")/../lib/pcsc.sh"
need jq
need openssl
[ "${KINKO_SANITIZED:-0}" != 1 ] ||
	skip_all "sanitizer build: pcscd's client library in an ASan-instrumented kinko is the plain build's test"

PROFILES=(kinko yubikey piv)
plan $((${#PROFILES[@]} * 4))
pcsc_need
pcsc_ports 1 || bail "no free port for a vpcd reader"
PORT=${PCSC_FREE_PORTS[0]}
CLEANUP_HOOK="pcsc_stop"
pcsc_start "$T/pcsc" "kinko cli:$PORT" || { diag "$T/pcsc/pcscd.log"; bail "the private pcscd did not start"; }
READER=$(pcsc_reader "$PORT")
tokens_backend kinko

for prof in "${PROFILES[@]}"; do
	tok="adm-$prof" bank="b-$prof" d="$T/tok-adm-$prof"
	mkdir -p "$d"
	secrets_write "$d/pin" "$TOKEN_PIN"
	secrets_write "$d/puk" "$TOKEN_PUK"
	emu_init "$d/state" "$d/init.log" --serial "$((RANDOM + 100000))" --pin-file "$d/pin" \
		--puk-file "$d/puk" --profile "$prof" || bail "kinko-token-emu --init --profile $prof failed: $(cat "$d/init.log")"
	pcsc_emu "$d/state" "$PORT" "$d/emu.log" || { diag "$d/emu.log"; bail "the $prof card never showed in $READER"; }
	# The token as kinko's module names it through PC/SC: its URI from `kinko token list`.
	run timeout 60 "$KINKO" --module "$MODULE" --json token list
	uri=$(jq -r '.tokens[0].uri // empty' "$T/stdout" 2>/dev/null)
	if [ "$RC" -eq 0 ] && [ -n "$uri" ] && [ "$(jq '.tokens | length' "$T/stdout")" = 1 ] &&
		[ "$(jq -r '.tokens[0].slot' "$T/stdout")" = "$READER" ]; then
		ok "$prof: kinko token list shows the one token with its reader's name ($READER)"
	else not_ok "$prof: kinko token list shows the one token with its reader's name ($READER)"; diag "$T/out"; fi
	TOK_URI[$tok]="${uri:-pkcs11:}"

	bank_new "$bank"
	bank_contract "$bank"
	bank_start "$bank"
	party_secrets admin "$(bank_card "$bank")" >/dev/null
	cp "$T/secrets-admin" "$T/secrets-$tok"
	run kinko_as "$tok" enroll --bank "$(bank_url "$bank")" --cacert "$(bank_ca "$bank")" --admin \
		--contract-id "$CONTRACT"
	if [ "$RC" -eq 0 ]; then ok "$prof: kinko enroll puts the admin certificate on the token in the reader"
	else not_ok "$prof: kinko enroll puts the admin certificate on the token in the reader"; diag "$T/out"; fi
	run kinko_as "$tok" logon --bank "$(bank_url "$bank")"
	check_ok_out "$prof: kinko logon signs on the token in the reader: the status screen" \
		"logged on as  admin" "CN=$CN,OU=admin"
	run kinko_as "$tok" logoff --bank "$(bank_url "$bank")"
	check_ok_out "$prof: kinko logoff ends the session" "Logged off"
	bank_stop "$bank"
	proc_stop "$EMU_SERVE_PID"
	proc_wait_for 10 pcsc_card_absent "$READER" || bail "$READER still shows the $prof card"
done
