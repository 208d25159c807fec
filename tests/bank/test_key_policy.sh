#!/usr/bin/env bash
# kinko-bankd's key policy at enrollment and renewal: EC keys on a named curve only (a CSR with
# explicit curve parameters used to get a certificate that then failed verification, and the
# contract was stuck), RSA with the public exponent 65537 only (e = 3 used to be accepted).
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 10
APPLIED=$(date -u -d '-10 days' +%F)
new_bank_served "$APPLIED"

# csr_of_key NAME: NAME.csr (base64 DER) for the key already in NAME.key.
csr_of_key() {
	openssl req -new -key "$T/$1.key" -subj "/CN=x" -outform DER -out "$T/$1.der"
	base64 < "$T/$1.der" > "$T/$1.csr"
}
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$T/explicit.key"
csr_of_key explicit
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
	-out "$T/e3.key" 2>/dev/null
csr_of_key e3

# refused_for CODE TEXT: the last answer was CODE and its body says TEXT (each refusal is checked
# with its reason, so a refusal for another rule does not count).
refused_for() { [ "$1" = 403 ] && grep -qF -- "$2" "$T/out"; }
check_quiet "an EC key with explicit curve parameters is refused at enrollment (403, named-curve rule)" \
	refused_for "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/explicit.csr")" \
	"key refused: ECDSA keys must name their curve (P-256 or P-384), not spell out its parameters"
check_quiet "an RSA key with public exponent 3 is refused at enrollment (403, exponent rule)" \
	refused_for "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/e3.csr")" \
	"key refused: the RSA public exponent must be 65537"
check_quiet "no certificate was recorded for the refused keys" \
	sh -c "! '$BANKD' contract show --dir '$BANK' --contract-id $CONTRACT | grep -q '^certificate '"

csr_ec admin P-256
check_quiet "a P-256 key on its named curve is still issued (200)" equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr")" 200
certs_of "$T/out" "$T/admin.crt"
check_quiet "the issued certificate verifies against the bank's CA" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$BANK/ca.crt" "$T/admin.crt"
A=(--cert "$T/admin.crt" --key "$T/admin.key")
reenroll() {
	http POST /.well-known/est/simplereenroll "${A[@]}" -H 'Content-Type: application/pkcs10' --data-binary @"$1"
}
check_quiet "renewal to an EC key with explicit curve parameters is refused (403, named-curve rule)" \
	refused_for "$(reenroll "$T/explicit.csr")" "not spell out its parameters"
check_quiet "renewal to an RSA key with public exponent 3 is refused (403, exponent rule)" \
	refused_for "$(reenroll "$T/e3.csr")" "the RSA public exponent must be 65537"
csr_rsa renewed 2048
check_quiet "renewal to RSA-2048 with exponent 65537 is accepted (200)" equals "$(reenroll "$T/renewed.csr")" 200
certs_of "$T/out" "$T/renewed.crt"
check_quiet "the renewed certificate verifies against the bank's CA" \
	openssl verify -x509_strict -purpose sslclient -CAfile "$BANK/ca.crt" "$T/renewed.crt"
stop_and_check
