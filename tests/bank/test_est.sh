#!/usr/bin/env bash
# kinko-bankd EST enrollment driven by curl and openssl: cacerts, simpleenroll, every refusal
# (credentials, lockout, windows on both sides, malformed and oversized requests, weak keys,
# SQL metacharacters), manual approval (202), TLS 1.1 refused, clean stop.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 40
APPLIED=$(date -u -d '-100 days' +%F)
new_bank "$APPLIED"
check_quiet "init writes the keys and the database with mode 0600" \
	equals "$(stat -c %a "$BANK/ca.key") $(stat -c %a "$BANK/server.key") $(stat -c %a "$BANK/bank.db")" "600 600 600"
check_quiet "contract add prints the 5x10 customer card once" equals "$(grep -cE '^  [A-E]( [0-9]){10}$' "$T/card")" 5

# Day 81 after the application date: refused.
start_server "$(day_plus "$APPLIED" 80)"
check_quiet "cacerts answers 200" equals "$(http GET /.well-known/est/cacerts)" 200
check_quiet "cacerts is application/pkcs7-mime certs-only" contains "$T/hdr" "application/pkcs7-mime; smime-type=certs-only"
certs_of "$T/out" "$T/cacerts.pem"
check_quiet "cacerts holds the bank's CA" contains "$T/cacerts.pem" "CN = kinko-bankd CA 0123"
csr_ec admin
check_quiet "admin enrollment on day 81 is refused (403)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 403
check_quiet "the refusal names the 80-day rule and the last day" \
	contains "$T/out" "within 80 days of the contract's application date (day 1 = $APPLIED, last day $(day_plus "$APPLIED" 79))"

# The day before the application date: refused.
restart_server "$(day_plus "$APPLIED" -1)"
check_quiet "admin enrollment before the application date is refused (403)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 403

# Day 80: credentials and request checks, then issuance.
restart_server "$(day_plus "$APPLIED" 79)"
check_quiet "a wrong contract PIN is 401" equals "$(enroll "$CONTRACT" 9999 "$CONF" "$T/admin.csr")" 401
check_quiet "401 carries WWW-Authenticate Basic" contains "$T/hdr" 'WWW-Authenticate: Basic realm="kinko-bankd"'
check_quiet "the 401 names the contract PIN and the tries left" contains "$T/out" "wrong contract PIN (イ); 4 tries left"
check_quiet "a wrong confirmation PIN is 401" equals "$(enroll "$CONTRACT" "$PIN" 9999 "$T/admin.csr")" 401
check_quiet "a missing confirmation PIN header is 401" \
	equals "$(http POST /.well-known/est/simpleenroll -u "$CONTRACT:$PIN" -H 'Content-Type: application/pkcs10' --data-binary @"$T/admin.csr")" 401
check_quiet "SQL metacharacters as contract ID are 401" equals "$(enroll "' OR 1=1 --" x "$CONF" "$T/admin.csr")" 401
check_quiet "SQL metacharacters left the database intact" equals "$("$BANKD" contract list --dir "$BANK" | wc -l)" 1
printf 'not base64 at all!' > "$T/bad.csr"
check_quiet "a body that is not base64 is 400" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/bad.csr")" 400
head -c 300 /dev/urandom | base64 > "$T/junk.csr"
check_quiet "base64 that is not DER PKCS#10 is 400" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/junk.csr")" 400
# Flip every bit of the signature's last byte: the request no longer proves possession.
# (Writing a fixed 00 left one CSR in 256 unchanged, and the test failed by chance.)
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[-1] ^= 0xFF; open(sys.argv[2], "wb").write(d)' \
	"$T/admin.der" "$T/broken.der"
base64 < "$T/broken.der" > "$T/broken.csr"
check_quiet "a CSR whose signature does not verify is 400" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/broken.csr")" 400
check_quiet "another Content-Type is 415" \
	equals "$(http POST /.well-known/est/simpleenroll -u "$CONTRACT:$PIN" -H "Kinko-Confirmation-PIN: $CONF" -H 'Content-Type: text/plain' --data-binary @"$T/admin.csr")" 415
head -c 20000 /dev/zero | tr '\0' 'A' > "$T/big.csr"
check_quiet "a body over 16 KiB is 413" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/big.csr")" 413
csr_rsa weak 1024
check_quiet "an RSA-1024 key is refused (403)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/weak.csr")" 403
check_quiet "the refusal says the key is too weak" contains "$T/out" "key too weak: RSA >= 2048 or ECDSA P-256/P-384 required"
csr_ec p521 P-521
check_quiet "a P-521 key is refused (403)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/p521.csr")" 403
# Two wrong PINs so far: a success resets the count.
check_quiet "admin enrollment on day 80 succeeds (200)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 200
certs_of "$T/out" "$T/admin.crt"
openssl x509 -in "$T/admin.crt" -noout -subject -nameopt RFC2253 > "$T/subject"
check_quiet "the CN is contract ID + bank code, whatever the CSR asked" contains "$T/subject" "CN=${CONTRACT}${BANK_CODE}"
check_quiet "O is the company, OU is admin" contains "$T/subject" 'OU=admin,O=ACME Trading \<K.K.\>'
openssl x509 -in "$T/admin.crt" -noout -text > "$T/admin.txt"
check_quiet "the certificate is for TLS client authentication" contains "$T/admin.txt" "TLS Web Client Authentication"
check_quiet "the certificate names the CRL" contains "$T/admin.txt" "URI:https://localhost:$PORT/crl"
check_quiet "the serial is 128 bits of randomness (at least 120 significant)" \
	test "$(openssl x509 -in "$T/admin.crt" -noout -serial | cut -d= -f2 | wc -c)" -ge 31
check_quiet "the certificate is valid for one year" \
	equals "$(openssl x509 -in "$T/admin.crt" -noout -enddate | cut -d= -f2 | awk '{print $4}')" "$(date -u -d "$(day_plus "$APPLIED" 79) + 1 year" +%Y)"
check_quiet "a second enrollment for the same ID is refused (403)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 403
check_quiet "that refusal says to renew" contains "$T/out" "a certificate is already active for this ID; renew it instead"

# Lockout on a second contract, and manual approval (202) on it.
add_contract 2000000001 "$APPLIED" manual 5555 6666 "$T/card2"
for i in 1 2 3 4; do enroll 2000000001 0000 6666 "$T/admin.csr" >/dev/null; done
check_quiet "the fifth wrong PIN locks the contract (403)" equals "$(enroll 2000000001 0000 6666 "$T/admin.csr")" 403
check_quiet "the lock is said in plain words" contains "$T/out" "contract locked after 5 wrong PINs; the bank must unlock it"
check_quiet "a locked contract refuses even the right PINs" equals "$(enroll 2000000001 5555 6666 "$T/admin.csr")" 403
"$BANKD" contract unlock --dir "$BANK" --contract-id 2000000001
csr_ec admin2 P-384
check_quiet "after unlock, a manual-approval contract answers 202 with Retry-After" \
	sh -c "[ \"\$1\" = 202 ] && grep -q '^Retry-After: ' '$T/hdr'" _ "$(enroll 2000000001 5555 6666 "$T/admin2.csr")"
"$BANKD" contract approve --dir "$BANK" --contract-id 2000000001
check_quiet "after contract approve, the same request gets its certificate (200)" equals "$(enroll 2000000001 5555 6666 "$T/admin2.csr")" 200

# TLS below 1.2 is refused; 1.2 works with the same client.
if openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >"$T/tls11" 2>&1 ||
	! grep -q 'alert protocol version' "$T/tls11"; then
	not_ok "TLS 1.1 is refused"
else
	check_quiet "TLS 1.1 is refused" sh -c "openssl s_client -connect 127.0.0.1:$PORT -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' </dev/null >/dev/null 2>&1"
fi

stop_and_check
if grep -qE "$PIN|$CONF|5555|6666|Basic|Authorization" "$T/server.log"; then
	not_ok "the log holds no PINs and no credentials"
else
	ok "the log holds no PINs and no credentials"
fi
