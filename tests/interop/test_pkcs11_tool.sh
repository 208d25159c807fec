#!/usr/bin/env bash
# OpenSC's pkcs11-tool (unmodified) against the module over an emulated token: listing,
# login, on-token key generation, signatures verified by openssl, certificate write/read,
# pkcs11-tool's own --test, and a wrong PIN.
# pkcs11-tool takes the PIN only on its command line (--pin): acceptable here, it is the
# emulator's factory test PIN of a throwaway token.
. "$(dirname "$0")/interop_lib.sh"
need pkcs11-tool
need openssl

plan 24
start_token
P=(pkcs11-tool --module "$MODULE")
cd "$T" || exit 1

# --- discovery, no login ---
run "${P[@]}" -L
check_ok_out "-L lists the slot with the token" "Slot 0" "token label        : $TOKEN_LABEL" \
	"serial num         : $SERIAL" "login required" "pin min/max        : 6/8"
run "${P[@]}" -I
check_ok_out "-I shows a PKCS#11 3.0 library by kinko" "Cryptoki version 3.0" "Manufacturer     kinko"
run "${P[@]}" -M
check_ok_out "-M lists the key generation and signature mechanisms" \
	"RSA-PKCS-KEY-PAIR-GEN, keySize={2048,3072}" "ECDSA-KEY-PAIR-GEN, keySize={256,384}" \
	"RSA-PKCS, keySize={2048,3072}, hw, sign, verify" "SHA256-RSA-PKCS-PSS" "ECDSA-SHA256"
run "${P[@]}" --login --pin "$PIN" --list-objects
if [ $RC -eq 0 ] && ! grep -q "Object;" "$T/out"; then ok "--login --list-objects on a fresh token: no object"
else not_ok "--login --list-objects on a fresh token: no object"; diag "$T/out"; fi

# --- on-token key generation: RSA-2048 in 9A (id 01), P-256 in the first retired slot (id 05) ---
run "${P[@]}" --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 01
check_ok_out "--keypairgen rsa:2048 --id 01" "Private Key Object; RSA" "ID:         01" \
	"never extractable, local" "Public Key Object; RSA 2048 bits"
run "${P[@]}" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 05
check_ok_out "--keypairgen EC:prime256v1 --id 05" "Private Key Object; EC" "ID:         05" \
	"EC_PARAMS:  06082a8648ce3d030107"
run "${P[@]}" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 01
if [ $RC -ne 0 ]; then ok "--keypairgen into the occupied id 01 is refused"
else not_ok "--keypairgen into the occupied id 01 is refused"; diag "$T/out"; fi

# --- public keys as openssl sees them ---
check "--read-object --type pubkey --id 01" "${P[@]}" --read-object --type pubkey --id 01 -o rsa.pub.der
if openssl pkey -pubin -inform DER -in rsa.pub.der -noout -text 2>&1 | grep -q "Public-Key: (2048 bit)"; then
	ok "the RSA public key parses in openssl as 2048 bits"
else not_ok "the RSA public key parses in openssl as 2048 bits"; fi
check "--read-object --type pubkey --id 05" "${P[@]}" --read-object --type pubkey --id 05 -o ec.pub.der
if openssl pkey -pubin -inform DER -in ec.pub.der -noout -text 2>&1 | grep -q "NIST CURVE: P-256"; then
	ok "the EC public key parses in openssl as P-256"
else not_ok "the EC public key parses in openssl as P-256"; fi

# --- signatures made on the token, verified by openssl ---
head -c 1000 /dev/urandom > data.bin
openssl dgst -sha256 -binary data.bin > data.sha256
# RSA-PKCS signs what it is given: a SHA-256 DigestInfo makes a normal PKCS#1 v1.5 signature.
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat data.sha256; } > data.di

verify() { openssl dgst -sha256 -verify "$1" -keyform DER -signature "$2" "${@:4}" "$3" >"$T/vout" 2>&1; }
run "${P[@]}" --login --pin "$PIN" --sign --id 01 -m RSA-PKCS -i data.di -o sig.rsa
if [ $RC -eq 0 ] && verify rsa.pub.der sig.rsa data.bin; then ok "RSA-PKCS signature verifies in openssl"
else not_ok "RSA-PKCS signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
run "${P[@]}" --login --pin "$PIN" --sign --id 01 -m SHA256-RSA-PKCS-PSS -i data.bin -o sig.pss
if [ $RC -eq 0 ] && verify rsa.pub.der sig.pss data.bin -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32; then
	ok "SHA256-RSA-PKCS-PSS signature verifies in openssl"
else not_ok "SHA256-RSA-PKCS-PSS signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
run "${P[@]}" --login --pin "$PIN" --sign --id 05 -m ECDSA-SHA256 --signature-format openssl -i data.bin -o sig.ec
if [ $RC -eq 0 ] && verify ec.pub.der sig.ec data.bin; then ok "ECDSA-SHA256 signature verifies in openssl"
else not_ok "ECDSA-SHA256 signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
run "${P[@]}" --login --pin "$PIN" --sign --id 05 -m ECDSA --signature-format openssl -i data.sha256 -o sig.ecraw
if [ $RC -eq 0 ] && verify ec.pub.der sig.ecraw data.bin; then ok "ECDSA on a SHA-256 digest verifies in openssl"
else not_ok "ECDSA on a SHA-256 digest verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi

# --- certificate for the RSA key (issued by a throwaway CA), written and read back ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj /CN=interop-ca \
	-days 2 -out ca.pem >/dev/null 2>&1
openssl pkey -pubin -inform DER -in rsa.pub.der -out rsa.pub.pem 2>/dev/null
openssl x509 -new -subj /CN=kinko-interop-rsa -force_pubkey rsa.pub.pem -CA ca.pem -CAkey ca.key -days 2 \
	-outform DER -out cert.der >/dev/null 2>&1
openssl x509 -new -subj /CN=kinko-interop-wrong -force_pubkey rsa.pub.pem -CA ca.pem -CAkey ca.key -days 2 \
	-outform DER -out wrong.der >/dev/null 2>&1
check "--write-object cert.der --type cert --id 01" \
	"${P[@]}" --login --pin "$PIN" --write-object cert.der --type cert --id 01
check "--read-object --type cert --id 01" "${P[@]}" --read-object --type cert --id 01 -o back.der
if cmp -s cert.der back.der; then ok "the certificate read back equals the one written"
else not_ok "the certificate read back equals the one written"; fi
run "${P[@]}" --list-objects --type cert
check_ok_out "--list-objects shows the certificate with id 01" "Certificate Object; type = X.509 cert" \
	"DN: CN=kinko-interop-rsa" "ID:         01"
run "${P[@]}" --login --pin "$PIN" --write-object wrong.der --type cert --id 05
if [ $RC -ne 0 ]; then ok "a certificate whose key is not the slot's key is refused"
else not_ok "a certificate whose key is not the slot's key is refused"; diag "$T/out"; fi

# --- pkcs11-tool's self test ---
run "${P[@]}" --login --pin "$PIN" --test
if [ $RC -eq 0 ] && grep -q "^No errors" "$T/out"; then ok "pkcs11-tool --test: No errors"
else not_ok "pkcs11-tool --test: No errors"; diag "$T/out" 30; fi

# --- a wrong PIN ---
run "${P[@]}" --login --pin 654321 --list-objects
if [ $RC -ne 0 ] && grep -q "CKR_PIN_INCORRECT" "$T/out"; then ok "a wrong PIN fails with CKR_PIN_INCORRECT"
else not_ok "a wrong PIN fails with CKR_PIN_INCORRECT"; diag "$T/out"; fi
run "${P[@]}" -L
check_ok_out "-L then shows the PIN count low" "user PIN count low"
run "${P[@]}" --login --pin "$PIN" --list-objects --type privkey
if [ $RC -eq 0 ] && [ "$(grep -c "Private Key Object" "$T/out")" -eq 2 ]; then
	ok "the right PIN then logs in and finds both private keys"
else not_ok "the right PIN then logs in and finds both private keys"; diag "$T/out"; fi
