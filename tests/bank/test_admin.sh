#!/usr/bin/env bash
# kinko-bankd admin operations inside an admin session, driven by curl: register / change
# users, issue (the user's 80-day window on both sides), revoke, list; who may call them;
# users before issuance; user lockout; SQL metacharacters in user IDs.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 28
TODAY=$(date -u +%F)
APPLIED=$(day_plus "$TODAY" -10)
admin_bank "$APPLIED"

check_quiet "admin operations without a session are 401" equals "$(http GET /api/admin/users "${A[@]}")" 401
logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN" >/dev/null
put_user() { http POST /api/admin/users "${A[@]}" -b "$JAR" -d "{\"user_id\":\"$1\",\"user_pin\":\"$2\",\"user_confirmation_pin\":\"$3\"}"; }
op() { http POST "/api/admin/users/$1/$2" "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$3\"}"; }
check_quiet "a user ID with SQL metacharacters is refused (400)" equals "$(put_user "taro'--" 3333 4444)" 400
check_quiet "a user PIN under 4 characters is refused (400)" equals "$(put_user taro 33 4444)" 400
check_quiet "the admin registers a user (200)" equals "$(put_user taro 3333 4444)" 200
check_quiet "the user list shows the user, not yet issued" \
	sh -c "[ \"\$1\" = 200 ] && grep -q '\"issued\":null' '$T/out' && grep -q '\"user_id\":\"taro\"' '$T/out'" _ "$(http GET /api/admin/users "${A[@]}" -b "$JAR")"
csr_ec taro
check_quiet "a user certificate before the admin's issuance is refused (403)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 403
check_quiet "that refusal names the rule" contains "$T/out" "the admin has not issued a certificate to this user yet"
check_quiet "issuing with a wrong confirmation PIN is 401" equals "$(op taro issue 9999)" 401
check_quiet "the 401 counts the tries" contains "$T/out" "wrong contract confirmation PIN (ロ); 4 tries left"
check_quiet "issuing to an unknown user is 404" equals "$(op jiro issue "$CONF")" 404
check_quiet "SQL metacharacters in the path are 404" equals "$(op "x'%20OR%201=1%20--" issue "$CONF")" 404
check_quiet "the database still has exactly the one user" equals "$("$BANKD" contract show --dir "$BANK" --contract-id "$CONTRACT" | grep -c '^user ')" 1
check_quiet "the admin issues a certificate to the user (200)" equals "$(op taro issue "$CONF")" 200
check_quiet "the answer gives the window: today to day 80" \
	contains "$T/out" "\"issued\":\"$TODAY\",\"user_id\":\"taro\",\"window_last_day\":\"$(day_plus "$TODAY" 79)\""

# The user's window, both sides of day 80 after the issuance.
restart_server "$(day_plus "$TODAY" 80)"
check_quiet "the user's enrollment on day 81 after issuance is refused (403)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 403
check_quiet "the refusal counts from the admin's issuance" contains "$T/out" "within 80 days of the admin's issuance to this user (day 1 = $TODAY"
restart_server "$(day_plus "$TODAY" 79)"
check_quiet "the user's enrollment on day 80 succeeds (200)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 200
certs_of "$T/out" "$T/taro.crt"
# The user's certificate starts on that day: the user logs on then.
http POST /api/logon --cert "$T/taro.crt" --key "$T/taro.key" -c "$T/jar.taro" -d '{"pin":"3333"}' >/dev/null
check_quiet "a user's session cannot do admin operations (403)" \
	equals "$(http GET /api/admin/users --cert "$T/taro.crt" --key "$T/taro.key" -b "$T/jar.taro")" 403
# Back to today: the clock jump ended the admin's session; the admin logs on again.
restart_server
logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN" >/dev/null
check_quiet "the user list shows the user's active certificate" \
	sh -c "[ \"\$1\" = 200 ] && grep -q '\"state\":\"active\"' '$T/out'" _ "$(http GET /api/admin/users "${A[@]}" -b "$JAR")"
check_quiet "revoking the user's certificate is 200" equals "$(op taro revoke "$CONF")" 200
# The serial as the bank's JSON gives it; an empty one (openssl printing nothing) is a failure.
SERIAL=$(openssl x509 -in "$T/taro.crt" -noout -serial | cut -d= -f2)
check_quiet "the revocation names the serial" \
	sh -c '[ -n "$2" ] && grep -qF -- "\"revoked\":[\"$2\"]" "$1"' _ "$T/out" "$SERIAL"
check_quiet "revoking again is 409 (nothing left to revoke)" equals "$(op taro revoke "$CONF")" 409
check_quiet "after revocation the user may enroll again in the window (200)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 200

# User lockout at enrollment, and the admin's re-registration that clears it.
put_user hanako 5555 6666 >/dev/null
op hanako issue "$CONF" >/dev/null
csr_ec hanako
for i in 1 2 3 4; do enroll "$CONTRACT/hanako" 0000 6666 "$T/hanako.csr" >/dev/null; done
check_quiet "the fifth wrong user PIN locks the user (403)" equals "$(enroll "$CONTRACT/hanako" 0000 6666 "$T/hanako.csr")" 403
check_quiet "the user lock is said in plain words" contains "$T/out" "user locked after 5 wrong PINs"
put_user hanako 5557 6667 >/dev/null
check_quiet "after the admin registers new PINs the user enrolls (200)" equals "$(enroll "$CONTRACT/hanako" 5557 6667 "$T/hanako.csr")" 200
http POST /api/logoff "${A[@]}" -b "$JAR" >/dev/null
check_quiet "after logoff admin operations are 401" equals "$(http GET /api/admin/users "${A[@]}" -b "$JAR")" 401
stop_and_check
