#!/usr/bin/env bash
# kinko-bankd logon over mTLS driven by curl: certificate checks, PIN and customer-card OTP,
# lockout and unlock, sessions (cookie flags, binding to the certificate, idle expiry, logoff),
# revoked certificates, renewal (simplereenroll) and the CRL, the HTML screens.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 53
APPLIED=$(date -u -d '-10 days' +%F)
admin_bank "$APPLIED"

check_quiet "logon without a client certificate is refused (403)" equals "$(http POST /api/logon -d '{"pin":"1111"}')" 403
check_quiet "the refusal asks for the bank's certificate" contains "$T/out" "a client certificate issued by this bank is required"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/self.key" -out "$T/self.crt" \
	-subj "/CN=${CONTRACT}${BANK_CODE}" -days 30 2>/dev/null
check_quiet "a certificate from another CA is refused (403)" \
	equals "$(http POST /api/logon --cert "$T/self.crt" --key "$T/self.key" -d '{"pin":"1111"}')" 403
check_quiet "that refusal says so" contains "$T/out" "not issued by this bank"
check_quiet "malformed JSON is 400" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":')" 400
check_quiet "a wrong PIN is 401" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"9999"}')" 401
check_quiet "the 401 names the contract PIN and the tries left" contains "$T/out" "wrong contract PIN (イ); 4 tries left"
check_quiet "the right PIN asks for the customer card (200)" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"1111"}')" 200
check_quiet "two card positions between A0 and E9 are named" \
	sh -c "grep -qE '\"positions\":\\[\"[A-E][0-9]\",\"[A-E][0-9]\"\\]' '$T/out'"
LID=$(json_get logon_id)
POS=$(sed -n 's/.*"positions":\["\(..\)","\(..\)"\].*/\1 \2/p' "$T/out")
GOOD=$(card_digits "$T/card" "$POS")
BAD=$(printf '%02d' $(( (10#$GOOD + 1) % 100 )))
check_quiet "wrong card digits are 401" \
	equals "$(http POST /api/logon/otp "${A[@]}" -d "{\"logon_id\":\"$LID\",\"digits\":\"$BAD\"}")" 401
check_quiet "a logon gets one OTP answer only" \
	equals "$(http POST /api/logon/otp "${A[@]}" -d "{\"logon_id\":\"$LID\",\"digits\":\"$GOOD\"}")" 401
check_quiet "the admin logs on with PIN and card digits (200)" equals "$(logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN")" 200
check_quiet "the session cookie is Secure, HttpOnly, SameSite=Strict" contains "$T/hdr" "Secure; HttpOnly; SameSite=Strict"
check_quiet "the logon answer carries the status screen (company)" contains "$T/out" '"company":"ACME Trading <K.K.>"'
JAR="$T/jar.admin.crt"
check_quiet "status with the session is 200" equals "$(http GET /api/status "${A[@]}" -b "$JAR")" 200
check_quiet "status says the admin is logged on" contains "$T/out" '"logged_on":{"role":"admin"}'
check_quiet "status gives the certificate's expiry" contains "$T/out" "\"not_after\":\"$(date -u -d '+1 year' +%Y)"
check_quiet "status without a session is 401" equals "$(http GET /api/status "${A[@]}")" 401
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k2.key" -out "$T/k2.crt" -subj /CN=x -days 3 2>/dev/null
check_quiet "the session presented with another certificate is refused (403)" \
	equals "$(http GET /api/status --cert "$T/k2.crt" --key "$T/k2.key" -b "$JAR")" 403
check_quiet "HTML status screen shows the company, HTML-escaped" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF 'ACME Trading &lt;K.K.&gt;' '$T/out'" _ "$(http GET /status "${A[@]}" -b "$JAR")"
check_quiet "HTML logon page offers the PIN form for the certificate" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF 'name=\"pin\"' '$T/out'" _ "$(http GET / "${A[@]}")"
check_quiet "logoff is 200" equals "$(http POST /api/logoff "${A[@]}" -b "$JAR")" 200
check_quiet "the session is gone after logoff (401)" equals "$(http GET /api/status "${A[@]}" -b "$JAR")" 401

# Idle expiry: log on at T0, come back 10 minutes and 1 second later.
T0=$(( $(date +%s) + 60 ))
restart_server "$T0"
logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN" >/dev/null
restart_server $(( T0 + 600 ))
check_quiet "a session idle for 10 minutes still works" equals "$(http GET /api/status "${A[@]}" -b "$JAR")" 200
restart_server $(( T0 + 1201 ))
check_quiet "a session idle for more than 10 minutes has expired (401)" equals "$(http GET /api/status "${A[@]}" -b "$JAR")" 401
check_quiet "the expiry is said" contains "$T/out" "session expired"
restart_server

# Logon lockout and the bank's unlock.
for i in 1 2 3 4; do http POST /api/logon "${A[@]}" -d '{"pin":"0000"}' >/dev/null; done
check_quiet "the fifth wrong logon PIN locks the contract (403)" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"0000"}')" 403
check_quiet "the lock is said in plain words" contains "$T/out" "contract locked after 5 wrong PINs; the bank must unlock it"
check_quiet "a locked contract refuses the right PIN" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"1111"}')" 403
check_quiet "contract unlock succeeds" "$BANKD" contract unlock --dir "$BANK" --contract-id "$CONTRACT"
check_quiet "after unlock the admin logs on again" equals "$(logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN")" 200

# A user: registered and issued by the admin, enrolled, logs on with the user PIN alone.
http POST /api/admin/users "${A[@]}" -b "$JAR" -d '{"user_id":"taro","user_pin":"3333","user_confirmation_pin":"4444"}' >/dev/null
http POST /api/admin/users/taro/issue "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}" >/dev/null
csr_rsa taro 2048
check_quiet "the user enrolls (200)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 200
certs_of "$T/out" "$T/taro.crt"
U=(--cert "$T/taro.crt" --key "$T/taro.key")
check_quiet "the user's CN is contract ID + bank code, OU the user ID" \
	sh -c "openssl x509 -in '$T/taro.crt' -noout -subject -nameopt RFC2253 | grep -q 'CN=${CONTRACT}${BANK_CODE},OU=taro,'"
check_quiet "the user logs on with the user PIN (200, no OTP)" \
	sh -c "[ \"\$1\" = 200 ] && grep -q '\"role\":\"user\",\"user_id\":\"taro\"' '$T/out'" _ "$(http POST /api/logon "${U[@]}" -c "$T/jar.taro" -d '{"pin":"3333"}')"
# The HTML forms, each from its page: the page's csrf value and cookie go with it.
http GET / "${U[@]}" -c "$T/jar.html.taro" >/dev/null
check_quiet "the HTML logon form logs the user on (303 to /status with the cookie)" \
	sh -c "[ \"\$1\" = 303 ] && grep -q '^Location: /status' '$T/hdr' && grep -q '^Set-Cookie: kinko_session=' '$T/hdr'" _ "$(http POST /logon "${U[@]}" -b "$T/jar.html.taro" --data-urlencode pin=3333 --data-urlencode "csrf=$(html_csrf)")"
http GET / "${A[@]}" -c "$T/jar.html.admin" >/dev/null
check_quiet "the HTML logon form asks the admin for the card digits" \
	sh -c "[ \"\$1\" = 200 ] && grep -q 'name=\"logon_id\"' '$T/out' && grep -q 'name=\"digits\"' '$T/out'" _ "$(http POST /logon "${A[@]}" -b "$T/jar.html.admin" --data-urlencode pin=1111 --data-urlencode "csrf=$(html_csrf)")"
HLID=$(sed -n 's/.*name="logon_id" value="\([0-9a-f]*\)".*/\1/p' "$T/out")
HPOS=$(sed -n 's/.*data-positions="\(..\),\(..\)".*/\1 \2/p' "$T/out")
HBAD=$(printf '%02d' $(( (10#$(card_digits "$T/card" "$HPOS") + 1) % 100 )))
check_quiet "the HTML card-digits form names wrong card digits and the tries left (401)" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'wrong card digits; log on again (4 tries left)' '$T/out'" _ \
	"$(http POST /logon/otp "${A[@]}" -b "$T/jar.html.admin" --data-urlencode "logon_id=$HLID" --data-urlencode "digits=$HBAD" --data-urlencode "csrf=$(html_csrf)")"
check_quiet "the HTML PIN form names the contract PIN (イ)" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF 'Contract PIN (イ)' '$T/out'" _ "$(http GET / "${A[@]}")"
http GET / "${U[@]}" -b "$T/jar.html.taro" >/dev/null
check_quiet "the HTML logon form names the wrong user PIN (ト) and the tries left (401)" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'wrong user PIN (ト); 4 tries left' '$T/out'" _ "$(http POST /logon "${U[@]}" -b "$T/jar.html.taro" --data-urlencode pin=0000 --data-urlencode "csrf=$(html_csrf)")"
check_quiet "the admin's session is refused with the user's certificate (403)" \
	equals "$(http GET /api/status "${U[@]}" -b "$JAR")" 403
TARO_SERIAL=$(openssl x509 -in "$T/taro.crt" -noout -serial | cut -d= -f2)
http POST /api/admin/users/taro/revoke "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}" >/dev/null
check_quiet "a revoked certificate is refused at logon (403)" equals "$(http POST /api/logon "${U[@]}" -d '{"pin":"3333"}')" 403
check_quiet "the refusal says revoked" contains "$T/out" "revoked"
check_quiet "revocation ended the user's session" equals "$(http GET /api/status "${U[@]}" -b "$T/jar.taro")" 401

# Renewal: new key over mTLS with the current certificate.
check_quiet "renewal with the same key is refused (403)" \
	equals "$(http POST /.well-known/est/simplereenroll "${A[@]}" -H 'Content-Type: application/pkcs10' --data-binary @"$T/admin.csr")" 403
csr_ec admin_new P-384
check_quiet "renewal with a new key over mTLS is 200" \
	equals "$(http POST /.well-known/est/simplereenroll "${A[@]}" -H 'Content-Type: application/pkcs10' --data-binary @"$T/admin_new.csr")" 200
certs_of "$T/out" "$T/admin_new.crt"
N=(--cert "$T/admin_new.crt" --key "$T/admin_new.key")
check_quiet "the renewed certificate has the same subject" \
	equals "$(openssl x509 -in "$T/admin_new.crt" -noout -subject)" "$(openssl x509 -in "$T/admin.crt" -noout -subject)"
check_quiet "the old certificate still logs on until the new one has" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"1111"}')" 200
check_quiet "the new certificate logs on" equals "$(logon_admin "$T/admin_new.crt" "$T/admin_new.key" "$T/card" "$PIN")" 200
check_quiet "then the old certificate is refused (403)" equals "$(http POST /api/logon "${A[@]}" -d '{"pin":"1111"}')" 403
check_quiet "and the old certificate's session ends with it (403)" equals "$(http GET /api/status "${A[@]}" -b "$JAR")" 403
OLD_SERIAL=$(openssl x509 -in "$T/admin.crt" -noout -serial | cut -d= -f2)
http GET /crl >/dev/null
openssl crl -inform DER -in "$T/out" -noout -text > "$T/crl.txt" 2>&1
check_quiet "the CRL verifies with the CA" openssl crl -inform DER -in "$T/out" -CAfile "$BANK/ca.crt" -noout
check_quiet "the CRL lists the revoked user certificate and the superseded admin certificate" \
	sh -c "grep -q 'Serial Number: $TARO_SERIAL' '$T/crl.txt' && grep -q 'Serial Number: $OLD_SERIAL' '$T/crl.txt' && grep -q Superseded '$T/crl.txt'"
stop_and_check
