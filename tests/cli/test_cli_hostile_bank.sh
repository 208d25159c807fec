#!/usr/bin/env bash
# A hostile bank (tests/cli/fake_bank.py, HTTPS with a certificate from the CA kinko was given)
# cannot reach the terminal: escape sequences in its EST text, its JSON "error" and its status
# screen's fields are printed as '?' (one cleaner for all, kinko_text_clean); and a 2 MiB
# answer is "the bank's answer is too long" (exit 4), not "cannot reach the bank" (exit 5).
. "$(dirname "$0")/cli_lib.sh"

need python3
plan 16

# no_controls WHAT: $T/out holds no C0 control but LF, no DEL, no C1 (U+0080-U+009F), no
# bidi override (U+202A-U+202E, U+2066-U+2069).
no_controls() {
	if python3 - "$T/out" <<'PY'; then ok "$1: no control characters reach the terminal"; else not_ok "$1: no control characters reach the terminal"; diag "$T/out"; fi
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
sys.exit(1 if re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", t) else 0)
PY
}

tokens_backend kinko
token_new adm
bank_new main
bank_contract main
bank_start main
CA=$(bank_ca main)
secrets_write "$T/secrets-adm" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN"
# A certificate on the token from the real bank, for the logons against the fake one.
run kinko_as adm enroll --bank "$(bank_url main)" --cacert "$CA" --admin --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "enrollment with kinko-bankd failed"; }

fake_start main escapes
run kinko_as adm enroll --bank "$FAKE_URL" --cacert "$CA" --admin --contract-id 9999999999
check_rc_out "EST: the bank's text refusal is shown, its escapes as '?'" 4 "refused ?[2J?]0;pwned??31m? by the bank"
no_controls "EST text"
run kinko_as adm logon --bank "$FAKE_URL" --cacert "$CA"
check_rc_out "JSON: the bank's error is shown, its escapes as '?'" 4 "refused ?[2J?]0;pwned??31m? by the bank"
no_controls "JSON error"
FAKE_BANK_LOGON=ok fake_start main escapes
run kinko_as adm logon --bank "$FAKE_URL" --cacert "$CA"
check_ok_out "status screen: the bank's fields are shown, their escapes as '?'" \
	"Bank?[2J?]0;pwned??31m? (bank code 0123)" "company       ACME?[2J?]0;pwned??31m?"
no_controls "status screen"

fake_start main huge
run kinko_as adm enroll --bank "$FAKE_URL" --cacert "$CA" --admin --contract-id 9999999999
check_rc_out "EST: a 2 MiB answer is too long (exit 4), not an unreachable bank" 4 \
	"the bank's answer is too long (over 256 KiB)"
if grep -q "cannot reach" "$T/out"; then not_ok "EST: not reported as unreachable"; else ok "EST: not reported as unreachable"; fi
run kinko_as adm logon --bank "$FAKE_URL" --cacert "$CA"
check_rc_out "JSON API: a 2 MiB answer is too long (exit 4), not an unreachable bank" 4 \
	"the bank's answer is too long (over 1024 KiB)"
if grep -q "cannot reach" "$T/out"; then not_ok "JSON API: not reported as unreachable"; else ok "JSON API: not reported as unreachable"; fi
# kinko certs: the CRL (at the certificate's distribution point, kinko-bankd's port) over
# its 4 MiB limit is said to be too long.
bank_stop main
fake_start main huge "${BANK_PORT[main]}"
run kinko_as adm certs
check_out "CRL: an answer over the limit is too long" "is too long (over 4096 KiB)"
bank_start main

# A pending enrollment whose Retry-After is negative, a date long past or absurd: asked again
# after 1 s (never at once), or within --max-wait (never waited out).
# pending RETRY-AFTER MAX-WAIT: enroll against the fake bank answering 202 with it.
pending() {
	FAKE_BANK_RETRY_AFTER="$1" fake_start main pending
	run kinko_as adm enroll --bank "$FAKE_URL" --cacert "$CA" --admin --contract-id 9999999999 --max-wait "$2"
	POSTS=$(wc -l <"$FAKE_PORT_FILE.posts" 2>/dev/null || echo 0)
}
for ra in "-5" "Sun, 06 Nov 1994 08:49:37 GMT"; do
	pending "$ra" 3
	check_rc_out "Retry-After '$ra': asked again after 1 s, pending after --max-wait is exit 4" 4 \
		"asking again in 1 s" "still pending after 3 s"
	if [ "$POSTS" -ge 2 ] && [ "$POSTS" -le 5 ]; then ok "Retry-After '$ra': $POSTS requests in 3 s, no busy loop"
	else not_ok "Retry-After '$ra': $POSTS requests in 3 s, no busy loop"; fi
done
t0=$SECONDS
pending 999999999 2
# The wait is what is left of --max-wait: 2 s, or 1 s when the first answer was slow (ASan).
if [ "$RC" -eq 4 ] && grep -q "asking again in [12] s" "$T/out" && grep -q "still pending after 2 s" "$T/out" &&
	[ $((SECONDS - t0)) -le 8 ]; then
	ok "Retry-After 999999999: waited only until --max-wait ($((SECONDS - t0)) s)"
else
	not_ok "Retry-After 999999999: waited only until --max-wait ($((SECONDS - t0)) s, exit $RC)"; diag "$T/out"
fi
