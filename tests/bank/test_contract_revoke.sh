#!/usr/bin/env bash
# kinko-bankd contract revoke: the staff's way out for a stuck certificate. It revokes the valid
# certificates of the admin or of one user with a CRL reason, publishes the CRL, ends the
# holder's sessions, says what it did, and the holder may enroll again within the 80-day rules.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 27
TODAY=$(date -u +%F)
APPLIED=$(day_plus "$TODAY" -10)
admin_bank "$APPLIED"
db() { sqlite3 "$BANK/bank.db" "$1"; }
sessions_of() { db "SELECT count(*) FROM session WHERE contract_id = '$CONTRACT' AND user_id = '$1'"; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
# revoke ARGS...: the command against the running server's directory; output in $T/rv (stdout
# and stderr), the exit code printed.
revoke() {
	"$BANKD" contract revoke --dir "$BANK" "$@" >"$T/rv" 2>&1
	echo $?
}
# crl_entry SERIAL: the CRL's entry for a serial, with its reason (the server's GET /crl).
crl_entry() {
	http GET /crl >/dev/null
	openssl crl -inform DER -in "$T/out" -noout -text | grep -A4 "Serial Number: $1"
}

logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN" >/dev/null
ADMIN_SERIAL=$(serial_of "$T/admin.crt")

check_quiet "usage: an unknown --reason is refused (exit 2)" equals "$(revoke --contract-id "$CONTRACT" --reason whim)" 2
check_quiet "the refusal lists the reasons" \
	contains "$T/rv" "keyCompromise, superseded, cessationOfOperation or unspecified"
check_quiet "no such contract (exit 3)" equals "$(revoke --contract-id 999)" 3
check_quiet "no such user (exit 3)" equals "$(revoke --contract-id "$CONTRACT" --user-id jiro)" 3
check_quiet "that refusal names the user" contains "$T/rv" "no user jiro in contract $CONTRACT"
check_quiet "the admin's certificate is still valid after the refusals" \
	equals "$(http POST /api/logon "${A[@]}" -d "{\"pin\":\"$PIN\"}")" 200

check_quiet "contract revoke revokes the admin's certificate (exit 0)" equals "$(revoke --contract-id "$CONTRACT")" 0
check_quiet "it says which certificate, whose, and the reason (cessationOfOperation by default)" \
	contains "$T/rv" "revoked certificate $ADMIN_SERIAL of the admin of contract $CONTRACT (CRL reason cessationOfOperation)"
check_quiet "it says the sessions ended and the CRL was published" contains "$T/rv" "ended the admin's sessions and published a new CRL"
check_quiet "it says until when the admin may enroll again" \
	contains "$T/rv" "the admin may enroll again until $(day_plus "$APPLIED" 79) (day 80 after the application date $APPLIED)"
check_quiet "the CRL lists the certificate with reason Cessation Of Operation" \
	sh -c "echo \"\$1\" | grep -q 'Cessation Of Operation'" _ "$(crl_entry "$ADMIN_SERIAL")"
check_quiet "the admin's sessions are gone" equals "$(sessions_of '')" 0
check_quiet "the revoked certificate can no longer log on (403)" equals "$(http POST /api/logon "${A[@]}" -d "{\"pin\":\"$PIN\"}")" 403
check_quiet "revoking again finds no valid certificate (exit 3)" equals "$(revoke --contract-id "$CONTRACT")" 3
check_quiet "that refusal says so" contains "$T/rv" "the admin of contract $CONTRACT has no valid certificate to revoke"

csr_ec admin2 P-384
check_quiet "a new admin enrollment is accepted within the window (200)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin2.csr")" 200
certs_of "$T/out" "$T/admin2.crt"
A=(--cert "$T/admin2.crt" --key "$T/admin2.key")
JAR="$T/jar.admin2.crt"
check_quiet "the new certificate logs on" equals "$(logon_admin "$T/admin2.crt" "$T/admin2.key" "$T/card" "$PIN")" 200

# A user: issued, enrolled, logged on; revoked by the staff with reason keyCompromise.
http POST /api/admin/users "${A[@]}" -b "$JAR" -d '{"user_id":"taro","user_pin":"3333","user_confirmation_pin":"4444"}' >/dev/null
http POST /api/admin/users/taro/issue "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}" >/dev/null
csr_ec taro
enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr" >/dev/null
certs_of "$T/out" "$T/taro.crt"
U=(--cert "$T/taro.crt" --key "$T/taro.key")
http POST /api/logon "${U[@]}" -d '{"pin":"3333"}' >/dev/null
TARO_SERIAL=$(serial_of "$T/taro.crt")
check_quiet "contract revoke --user-id --reason keyCompromise (exit 0)" \
	equals "$(revoke --contract-id "$CONTRACT" --user-id taro --reason keyCompromise)" 0
check_quiet "it names the user's certificate and the reason" \
	contains "$T/rv" "revoked certificate $TARO_SERIAL of user taro of contract $CONTRACT (CRL reason keyCompromise)"
check_quiet "the CRL lists the user's certificate with reason Key Compromise" \
	sh -c "echo \"\$1\" | grep -q 'Key Compromise'" _ "$(crl_entry "$TARO_SERIAL")"
check_quiet "the user's sessions are gone, the admin's stay" equals "$(sessions_of taro) $(sessions_of '')" "0 1"
check_quiet "the user's revoked certificate can no longer log on (403)" equals "$(http POST /api/logon "${U[@]}" -d '{"pin":"3333"}')" 403
csr_ec taro2
check_quiet "the user enrolls again within the window (200)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro2.csr")" 200

# A renewed admin certificate and its superseded predecessor are both revoked; past day 80 the
# admin cannot enroll again and the command says so.
csr_ec admin3
http POST /.well-known/est/simplereenroll "${A[@]}" -H 'Content-Type: application/pkcs10' --data-binary @"$T/admin3.csr" >/dev/null
DAY81=$(day_plus "$APPLIED" 80)
check_quiet "on day 81 contract revoke revokes the superseded and the new certificate (exit 0)" \
	sh -c "[ \"\$1\" = 0 ] && [ \"\$(grep -c '^revoked certificate ' '$T/rv')\" = 2 ]" _ \
	"$(KINKO_BANKD_NOW="$DAY81" revoke --contract-id "$CONTRACT")"
check_quiet "it says the admin's window has closed" \
	contains "$T/rv" "the admin cannot enroll again: the 80-day window after the application date $APPLIED ended on $(day_plus "$APPLIED" 79)"
restart_server "$DAY81"
csr_ec admin4
check_quiet "a new admin enrollment on day 81 is refused by the 80-day rule (403)" \
	sh -c "[ \"\$1\" = 403 ] && grep -qF 'within 80 days' '$T/out'" _ "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin4.csr")"
stop_and_check
