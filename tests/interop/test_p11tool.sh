#!/usr/bin/env bash
# GnuTLS p11tool (unmodified) with the module as its provider: token and object listing with
# pkcs11: URLs, login with GNUTLS_PIN, on-token key generation, certificate write/export, and
# test signatures verified by GnuTLS against the token's public keys.
. "$(dirname "$0")/interop_lib.sh"
need p11tool
need openssl

plan 13
start_token
cd "$T" || exit 1
P=(p11tool --provider "$MODULE")
# p11tool reads the PIN from GNUTLS_PIN (never from its command line).
export GNUTLS_PIN="$PIN"
URL_PREFIX="pkcs11:model=PIV;manufacturer=kinko;serial=$SERIAL;token=kinko%20PIV%20%23$SERIAL"

run "${P[@]}" --list-tokens
check_ok_out "--list-tokens shows the token's URL" "URL: $URL_PREFIX" "Label: $TOKEN_LABEL" \
	"Flags: RNG, Requires login" "Serial: $SERIAL"

# Keys generated on the token by GnuTLS's own templates.
run "${P[@]}" --login --generate-privkey rsa --bits 2048 --label rsa --id 01 --outfile rsa.pub.pem "$TOKEN_URI"
if [ $RC -eq 0 ] && openssl pkey -pubin -in rsa.pub.pem -noout -text 2>/dev/null | grep -q "(2048 bit)"; then
	ok "--generate-privkey rsa --bits 2048 --id 01"
else not_ok "--generate-privkey rsa --bits 2048 --id 01"; diag "$T/out"; fi
run "${P[@]}" --login --generate-privkey ecdsa --curve secp256r1 --label ec --id 05 --outfile ec.pub.pem "$TOKEN_URI"
if [ $RC -eq 0 ] && openssl pkey -pubin -in ec.pub.pem -noout -text 2>/dev/null | grep -q "NIST CURVE: P-256"; then
	ok "--generate-privkey ecdsa --curve secp256r1 --id 05"
else not_ok "--generate-privkey ecdsa --curve secp256r1 --id 05"; diag "$T/out"; fi

# A certificate for the EC key from a throwaway CA, written by p11tool.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj /CN=interop-ca \
	-days 2 -out ca.pem >/dev/null 2>&1
openssl x509 -new -subj /CN=kinko-interop-ec -force_pubkey ec.pub.pem -CA ca.pem -CAkey ca.key -days 2 \
	-out cert.pem >/dev/null 2>&1
check "--write --load-certificate --id 05" \
	"${P[@]}" --login --write --load-certificate cert.pem --label cert --id 05 "$TOKEN_URI"

# Listing without login: certificate and public keys, no private key.
run "${P[@]}" --list-all "$TOKEN_URI"
if [ $RC -eq 0 ] && ! grep -q "type=private" "$T/out"; then
	check_out "--list-all shows certificate and public keys with URLs, no private key" \
		"URL: $URL_PREFIX;id=%05;object=Retired%20Key%201;type=cert" \
		"URL: $URL_PREFIX;id=%01;object=PIV%20Authentication;type=public" \
		"URL: $URL_PREFIX;id=%05;object=Retired%20Key%201;type=public" "Type: Public key (RSA-2048)"
else not_ok "--list-all shows certificate and public keys with URLs, no private key"; diag "$T/out"; fi
run "${P[@]}" --list-all-certs "$TOKEN_URI"
check_ok_out "--list-all-certs shows the certificate" \
	"URL: $URL_PREFIX;id=%05;object=Retired%20Key%201;type=cert" "Type: X.509 Certificate (EC/ECDSA-SECP256R1)"
run "${P[@]}" --list-privkeys "$TOKEN_URI"
if grep -q "No matching objects found" "$T/out" && ! grep -q "type=private" "$T/out"; then
	ok "--list-privkeys without login shows no private key"
else not_ok "--list-privkeys without login shows no private key"; diag "$T/out"; fi
run "${P[@]}" --login --list-privkeys "$TOKEN_URI"
check_ok_out "--login --list-privkeys shows both private keys, sensitive" \
	"URL: $URL_PREFIX;id=%01;object=PIV%20Authentication;type=private" \
	"URL: $URL_PREFIX;id=%05;object=Retired%20Key%201;type=private" \
	"Type: Private key (RSA-2048)" "Type: Private key (EC/ECDSA-SECP256R1)" \
	"Flags: CKA_PRIVATE; CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE;"

# The certificate and a public key exported by URL.
run "${P[@]}" --export "$TOKEN_URI;id=%05;type=cert" --outfile back.pem
if [ $RC -eq 0 ] && cmp -s <(openssl x509 -in back.pem -outform DER 2>/dev/null) \
	<(openssl x509 -in cert.pem -outform DER 2>/dev/null); then
	ok "--export of the certificate equals the one written"
else not_ok "--export of the certificate equals the one written"; diag "$T/out"; fi
run "${P[@]}" --export-pubkey "$TOKEN_URI;id=%01;type=public" --outfile rsa.pub2.pem
if [ $RC -eq 0 ] && cmp -s rsa.pub.pem rsa.pub2.pem; then ok "--export-pubkey equals the key generation's output"
else not_ok "--export-pubkey equals the key generation's output"; diag "$T/out"; fi

# Signatures on the token, checked by GnuTLS with the private key's parameters and the
# token's public key.
for k in "01 RSA-SHA256" "05 ECDSA-SHA256"; do
	set -- $k
	run "${P[@]}" --login --test-sign "$TOKEN_URI;id=%$1;type=private"
	check_ok_out "--test-sign id $1 ($2)" "Signing using $2... ok" \
		"Verifying against public key in the token... ok"
done

GNUTLS_PIN=654321 run "${P[@]}" --login --list-privkeys "$TOKEN_URI"
if [ $RC -ne 0 ] && grep -q "Wrong PIN" "$T/out"; then ok "a wrong GNUTLS_PIN is reported as a wrong PIN"
else not_ok "a wrong GNUTLS_PIN is reported as a wrong PIN"; diag "$T/out"; fi
