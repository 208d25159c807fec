#!/usr/bin/env bash
# `openssl req` with the libp11 engine (libengine-pkcs11-openssl, unmodified) making CSRs and a
# self-signed certificate signed on the token: RSA (PKCS#1 v1.5 and PSS) and P-256.
# The PIN reaches libp11 through the URI's pin-source=file: (libp11 0.4.12 reads the file's
# first line as is, without removing a newline: the file holds the bare PIN).
. "$(dirname "$0")/interop_lib.sh"
need pkcs11-tool
need_openssl_engine

plan 13
start_token
cd "$T" || exit 1
umask 077
printf '%s' "$PIN" > pin
printf '%s' 000000 > wrong-pin
P=(pkcs11-tool --module "$MODULE")

# Keys by pkcs11-tool (tested on its own in test_pkcs11_tool.sh).
"${P[@]}" --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 01 >keygen.log 2>&1 &&
	"${P[@]}" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 05 >>keygen.log 2>&1 &&
	"${P[@]}" --read-object --type pubkey --id 01 -o rsa.pub.der >>keygen.log 2>&1 &&
	"${P[@]}" --read-object --type pubkey --id 05 -o ec.pub.der >>keygen.log 2>&1 ||
	{ echo "Bail out! key generation with pkcs11-tool failed"; diag keygen.log; exit 1; }

key_uri() { echo "$TOKEN_URI;id=%$1;type=private;pin-source=file:$T/${2:-pin}"; }
# csr_checks NAME ID PUBDER [REQ OPTIONS...]: a CSR made on the token, self-signature valid,
# carrying the token's public key.
csr_checks() {
	local name="$1" id="$2" pub="$3"
	shift 3
	run openssl req -new -engine pkcs11 -keyform engine -key "$(key_uri "$id")" -subj "/CN=kinko-$name" \
		-out "$name.csr" "$@"
	if [ $RC -eq 0 ] && [ -s "$name.csr" ]; then ok "$name: openssl req makes a CSR with the token key (id $id)"
	else not_ok "$name: openssl req makes a CSR with the token key (id $id)"; diag "$T/out"; fi
	run openssl req -in "$name.csr" -verify -noout
	check_ok_out "$name: openssl req -verify accepts it" "verify OK"
	if openssl req -in "$name.csr" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null |
		cmp -s - "$pub"; then
		ok "$name: the CSR carries the token's public key"
	else not_ok "$name: the CSR carries the token's public key"; fi
}

csr_checks rsa 01 rsa.pub.der
csr_checks rsa-pss 01 rsa.pub.der -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
if openssl req -in rsa-pss.csr -noout -text 2>/dev/null | grep -q "Signature Algorithm: rsassaPss"; then
	ok "rsa-pss: the CSR is signed with RSASSA-PSS"
else not_ok "rsa-pss: the CSR is signed with RSASSA-PSS"; fi
csr_checks p256 05 ec.pub.der
if openssl req -in p256.csr -noout -text 2>/dev/null | grep -q "Signature Algorithm: ecdsa-with-SHA256"; then
	ok "p256: the CSR is signed with ecdsa-with-SHA256"
else not_ok "p256: the CSR is signed with ecdsa-with-SHA256"; fi

run openssl req -new -x509 -days 2 -engine pkcs11 -keyform engine -key "$(key_uri 05)" -subj /CN=kinko-self \
	-out self.pem
if [ $RC -eq 0 ] && openssl verify -CAfile self.pem self.pem >"$T/vout" 2>&1; then
	ok "openssl req -x509 with the token key makes a certificate that verifies"
else not_ok "openssl req -x509 with the token key makes a certificate that verifies"; diag "$T/out"; diag "$T/vout"; fi

run openssl req -new -engine pkcs11 -keyform engine -key "$(key_uri 01 wrong-pin)" -subj /CN=x -out wrong.csr
if [ $RC -ne 0 ] && grep -q "PIN incorrect" "$T/out"; then ok "a wrong PIN file fails with PIN incorrect"
else not_ok "a wrong PIN file fails with PIN incorrect"; diag "$T/out"; fi
