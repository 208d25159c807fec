#!/usr/bin/env bash
# NSS's own tools (libnss3-tools, unmodified) on kinko's module in a fresh NSS database: modutil
# adds the module, certutil lists the token's certificates, cmsutil signs a CMS message with an
# RSA-2048 and a P-256 token key and verifies it, and decrypts a CMS enveloped message for the
# 9D (Key Management) RSA certificate on the token. The PIN reaches NSS by its password file
# (-f), never on a command line.
. "$(dirname "$0")/interop_lib.sh"
need certutil
need modutil
need cmsutil
need openssl
need pkcs11-tool

plan 13
start_token
cd "$T" || exit 1
umask 077
printf '%s\n' "$PIN" >pin
printf '%s\n' 000000 >wrong-pin

# Keys and certificates by pkcs11-tool and a throwaway CA (interop_lib.sh's kinko_keypair): RSA
# in 9A (CKA_ID 01), P-256 in the first retired slot (05), RSA in 9D (03) for decryption. No
# extended key usage, so NSS accepts them for S/MIME.
if ! { kinko_keypair 01 rsa:2048 nss-rsa && kinko_keypair 05 EC:prime256v1 nss-p256 &&
	kinko_keypair 03 rsa:2048 nss-dec; }; then
	echo "Bail out! key generation with pkcs11-tool failed"; diag "$T/kp.out"; exit 1
fi
openssl x509 -inform DER -in nss-dec.cert.der -out nss-dec.pem 2>/dev/null ||
	{ echo "Bail out! cannot read the 9D certificate"; exit 1; }

DB="sql:$T/db"
mkdir db
certutil -N -d "$DB" --empty-password >db.log 2>&1 ||
	{ echo "Bail out! certutil -N could not create an NSS database"; diag db.log; exit 1; }
run timeout 30 modutil -dbdir "$DB" -add kinko -libfile "$MODULE" -force
run timeout 30 modutil -dbdir "$DB" -list kinko
check_ok_out "modutil adds kinko's module to a fresh NSS database" "kinko PIV #$SERIAL"

run timeout 30 certutil -L -h all -d "$DB" -f pin
check_ok_out "certutil -L -h all lists the token's RSA, P-256 and 9D certificates" \
	"$TOKEN_LABEL:PIV Authentication" "$TOKEN_LABEL:Retired Key 1" "$TOKEN_LABEL:Key Management"

# The CA that issued the token's certificates, trusted in the database, so the signer's chain
# verifies.
certutil -A -d "$DB" -n interop-ca -t C,C,C -a -i ca.pem >>db.log 2>&1 ||
	{ echo "Bail out! certutil -A could not add the CA"; diag db.log; exit 1; }
printf 'signed on a kinko token\n' >msg.txt

# cms_checks NAME NICKNAME: cmsutil -S signs msg.txt with the token key of NICKNAME, cmsutil -D
# verifies the signature and gives the content back, and OpenSSL agrees on its own.
cms_checks() {
	local name="$1" nick="$2"
	run timeout 30 cmsutil -S -d "$DB" -f pin -N "$nick" -i msg.txt -o "$name.p7"
	if [ "$RC" -eq 0 ] && [ -s "$name.p7" ]; then ok "$name: cmsutil -S signs with the token key \"$nick\""
	else not_ok "$name: cmsutil -S signs with the token key \"$nick\""; diag "$T/out"; fi
	run timeout 30 cmsutil -D -d "$DB" -f pin -h 1 -i "$name.p7"
	check_ok_out "$name: cmsutil -D verifies the signature (GoodSignature) and outputs the content" \
		"signer0.status=GoodSignature" "signed on a kinko token"
	run openssl cms -verify -binary -inform DER -in "$name.p7" -CAfile ca.pem -purpose any
	if [ "$RC" -eq 0 ] && cmp -s "$T/stdout" msg.txt; then ok "$name: openssl cms -verify accepts the token's signature"
	else not_ok "$name: openssl cms -verify accepts the token's signature"; diag "$T/out"; fi
}
cms_checks rsa "$TOKEN_LABEL:PIV Authentication"
cms_checks p256 "$TOKEN_LABEL:Retired Key 1"

# The verification can fail: a database that does not trust the CA says so.
mkdir db-untrusted
certutil -N -d "sql:$T/db-untrusted" --empty-password >>db.log 2>&1
run timeout 30 cmsutil -D -d "sql:$T/db-untrusted" -h 1 -i p256.p7
check_out "cmsutil -D in a database without the CA: SigningCertNotTrusted" "signer0.status=SigningCertNotTrusted"

run timeout 30 cmsutil -S -d "$DB" -f wrong-pin -N "$TOKEN_LABEL:PIV Authentication" -i msg.txt -o wrong.p7
if [ "$RC" -ne 0 ] && [ ! -s wrong.p7 ]; then ok "cmsutil -S with a wrong PIN file signs nothing"
else not_ok "cmsutil -S with a wrong PIN file signs nothing"; diag "$T/out"; fi

# Decryption on the token: an enveloped message for the 9D certificate (RSA key transport,
# PKCS#1 v1.5), decrypted by cmsutil -D. CKM_RSA_PKCS has CKF_DECRYPT and no CKF_UNWRAP, so NSS
# takes the content key out with C_Decrypt (not C_UnwrapKey) and imports it into its own token;
# the debug trace keeps what it called.
printf 'for the key management key only\n' >secret.txt
openssl cms -encrypt -binary -aes-128-cbc -in secret.txt -outform DER -out env.p7 nss-dec.pem >env.log 2>&1 ||
	{ echo "Bail out! openssl cms -encrypt failed"; diag env.log; exit 1; }
KINKO_DEBUG=p11 run timeout 30 cmsutil -D -d "$DB" -f pin -i env.p7
if [ "$RC" -eq 0 ] && cmp -s "$T/stdout" secret.txt; then
	ok "cmsutil -D decrypts the enveloped message with the 9D key on the token"
else not_ok "cmsutil -D decrypts the enveloped message with the 9D key on the token"; diag "$T/out" 25; fi
if grep -q "C_Decrypt -> CKR_OK" "$T/stderr"; then ok "NSS decrypted the content key with C_Decrypt on the token"
else not_ok "NSS decrypted the content key with C_Decrypt on the token"; grep -E "C_(Unwrap|Decrypt)" "$T/stderr" | diag /dev/stdin; fi

run timeout 30 cmsutil -D -d "sql:$T/db-untrusted" -i env.p7
if [ "$RC" -ne 0 ] && ! grep -qF "for the key management key only" "$T/stdout"; then
	ok "without the token the enveloped message stays closed"
else not_ok "without the token the enveloped message stays closed"; diag "$T/out"; fi
