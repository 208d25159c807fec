#!/usr/bin/env bash
# Java 17 (Debian's openjdk-17-jdk-headless, unmodified) through its SunPKCS11 provider, with
# keys that kinko-bankd certified through `kinko enroll`: keytool -list shows the key entries by
# their labels, jarsigner signs a jar with the RSA-2048 and the P-256 key and jarsigner -verify
# accepts it (and refuses it tampered), java/KinkoLogon.java (KeyStore "PKCS11" of the provider,
# KeyManagerFactory, SSLContext, java.net.http) logs on to the bank's /api/logon over TLS 1.3 and
# 1.2 with each, all four in one JVM, and java/KinkoProviderOps.java uses the provider's digest,
# verification, RSA decryption and ECDH (both compiled here into the temp dir). The token PIN
# reaches the JDK in a file (-storepass:file; the programs read one), never on a command line.
# Every JVM runs with KINKO_DEBUG=p11: the module must refuse the JDK nothing the test did not
# provoke.
. "$(dirname "$0")/../cli/cli_lib.sh"
need java
need javac
need jar
need keytool
need jarsigner
need python3
need pkcs11-tool
[ "${KINKO_SANITIZED:-0}" != 1 ] ||
	skip_all "sanitizer build: the JVM cannot load an ASan-instrumented module"

CONTRACT2=2345678901 CONTRACT3=3456789012
JAVA_SRC="$(cd "$(dirname "$0")" && pwd)/java"
plan 24
tokens_backend kinko
token_new admin
bank_main_serve "$CONTRACT2" "$CONTRACT3"
cd "$T" || exit 1
umask 077
PINFILE="${TOK_DIR[admin]}/pin"
printf '00000000\n' >wrong-pin
# The admins' secrets as kinko reads them; the second contract's names its own customer card.
sed "s|^card_file=.*|card_file=$(bank_card main "$CONTRACT2")|" "$T/secrets-admin" >secrets-admin2

# One token, three admins' certificates: contract A with RSA-2048 (the first free slot, 9A,
# label "PIV Authentication": signs only), the second contract with P-256 (retired slot 82,
# "Retired Key 1": signs and derives), the third with RSA-2048 (retired 83, "Retired Key 2":
# signs and decrypts).
run kinko_as admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT" --key rsa2048
check_ok_out "kinko enroll: the bank certifies an RSA-2048 key on the token (CKA_ID 01)" "CKA_ID      01"
run kinko_as admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT2" --key p256
check_ok_out "kinko enroll: the bank certifies a P-256 key on the token (CKA_ID 05)" "CKA_ID      05"
run kinko_as admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT3" --key rsa2048
check_ok_out "kinko enroll: the bank certifies a second RSA-2048 key on the token (CKA_ID 06)" "CKA_ID      06"
RSA="PIV Authentication" EC="Retired Key 1" RSA2="Retired Key 2"

# SunPKCS11's configuration: kinko's module (by its absolute path, the only kind SunPKCS11
# takes), its first slot (the one token) by the slot list's index; keytool's names the slot by
# its id instead, where the JDK asks C_GetSlotInfo and C_GetTokenInfo before any C_GetSlotList.
printf 'name = kinko\nlibrary = %s\nslotListIndex = 0\n' "$(readlink -f "$MODULE")" >p11.cfg
sed 's/^slotListIndex = 0$/slot = 0/' p11.cfg >p11-slot.cfg
STORE=(-keystore NONE -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 -providerArg p11.cfg)
# Short runs: the JVM starts faster with its client compiler alone and the serial collector.
JVM_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
JDK_TOOL_OPTS=("${JVM_OPTS[@]/#/-J}")
# jdk RUN-NAME COMMAND...: a JDK tool under a time limit, in English, with the module's trace on
# stderr ($T/out, kept as p11-RUN-NAME.log); its wall time is added to JVM_MS.
JVM_MS=0 JVM_TIMES=""
jdk() {
	local name="$1" t0
	shift
	t0=$(date +%s%N)
	LC_ALL=C KINKO_DEBUG=p11 run timeout 60 "$@"
	t0=$((($(date +%s%N) - t0) / 1000000))
	JVM_MS=$((JVM_MS + t0)) JVM_TIMES="$JVM_TIMES $name ${t0}ms"
	grep "^kinko p11: C_" "$T/out" >"p11-$name.log"
}

jdk javac javac "${JDK_TOOL_OPTS[@]}" -d classes "$JAVA_SRC/KinkoLogon.java" "$JAVA_SRC/KinkoProviderOps.java"
if [ "$RC" -ne 0 ] || ! jar "${JDK_TOOL_OPTS[@]}" cf client.jar -C classes . >>"$T/out" 2>&1; then
	echo "Bail out! javac or jar cannot build the Java client"; diag "$T/out"; exit 1
fi

jdk keytool keytool "${JDK_TOOL_OPTS[@]}" -list "${STORE[@]/%p11.cfg/p11-slot.cfg}" -storepass:file "$PINFILE"
check_ok_out "keytool -list shows the token's three keys by their labels" "Your keystore contains 3 entries" \
	"$RSA, PrivateKeyEntry" "$EC, PrivateKeyEntry" "$RSA2, PrivateKeyEntry"
# The entries' certificates are the token's: keytool's SHA-256 fingerprints against the
# certificates pkcs11-tool reads.
fps=""
for id in 01 05 06; do
	p11tool_as admin --read-object --type cert --id "$id" -o "cert-$id.der" >/dev/null 2>&1
	fps="$fps $(openssl x509 -inform DER -in "cert-$id.der" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')"
done
# shellcheck disable=SC2086  # one fingerprint per word
set -- $fps
if [ $# -eq 3 ]; then check_ok_out "keytool's entries carry the token's certificates (SHA-256 fingerprints)" "$@"
else not_ok "keytool's entries carry the token's certificates (SHA-256 fingerprints)"; echo "# read $# certificates"; fi
jdk keytool-wrong keytool "${JDK_TOOL_OPTS[@]}" -list "${STORE[@]}" -storepass:file wrong-pin
if [ "$RC" -ne 0 ] && grep -q "C_Login -> CKR_PIN_INCORRECT" "$T/out"; then
	ok "keytool -list with a wrong PIN fails: the module refused the login"
else not_ok "keytool -list with a wrong PIN fails: the module refused the login"; diag "$T/out"; fi

# jar_checks NAME ALIAS SUBJECT ALGORITHM: jarsigner signs the client's jar with the token key
# ALIAS, and jarsigner -verify accepts the signature by SUBJECT with ALGORITHM.
jar_checks() {
	local name="$1" alias="$2" subject="$3" alg="$4"
	jdk "jarsigner-$name" jarsigner "${JDK_TOOL_OPTS[@]}" "${STORE[@]}" -storepass:file "$PINFILE" -signedjar "$name.jar" client.jar "$alias"
	check_ok_out "$name: jarsigner signs a jar with the token key ($alias)" "jar signed."
	jdk "verify-$name" jarsigner "${JDK_TOOL_OPTS[@]}" -verify -verbose "$name.jar"
	check_ok_out "$name: jarsigner -verify accepts it" "jar verified." "Signed by \"$subject" "Signature algorithm: $alg"
}
jar_checks rsa "$RSA" "CN=${CONTRACT}${BANK_CODE}, OU=admin" "SHA256withRSA, 2048-bit key"
jar_checks p256 "$EC" "CN=${CONTRACT2}${BANK_CODE}, OU=admin" "SHA256withECDSA, 256-bit key"
# One class changed after signing: its digest no longer matches the signed manifest.
python3 - rsa.jar tampered.jar <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as dst:
    for i in src.infolist():
        data = src.read(i.filename)
        dst.writestr(i, data + b"\0" if i.filename == "KinkoLogon.class" else data)
EOF
jdk verify-tampered jarsigner "${JDK_TOOL_OPTS[@]}" -verify tampered.jar
if [ "$RC" -ne 0 ] && grep -q "digest error for KinkoLogon.class" "$T/out"; then
	ok "jarsigner -verify refuses the signed jar with a class changed"
else not_ok "jarsigner -verify refuses the signed jar with a class changed"; diag "$T/out"; fi

# The admin's logon of the manual from Java, with each key over each protocol, in one JVM.
jdk logon java "${JVM_OPTS[@]}" -cp classes KinkoLogon p11.cfg "$PINFILE" "$BANK_URL" "$BANK_CA" \
	TLSv1.3 "$RSA" "$T/secrets-admin" TLSv1.2 "$RSA" "$T/secrets-admin" \
	TLSv1.3 "$EC" secrets-admin2 TLSv1.2 "$EC" secrets-admin2
for l in "TLSv1.3 $RSA" "TLSv1.2 $RSA" "TLSv1.3 $EC" "TLSv1.2 $EC"; do
	check_out "logon $l: the Java client's mTLS logon gets the admin's session, then logs off" \
		"logon $l: ok ${l%% *} "
done
if [ "$(grep -c "POST /api/logon/otp 200 ${CONTRACT}${BANK_CODE}" "$(bank_log main)")" = 2 ] &&
	[ "$(grep -c "POST /api/logon/otp 200 ${CONTRACT2}${BANK_CODE}" "$(bank_log main)")" = 2 ]; then
	ok "the bank logged two logons for each token certificate's CN"
else not_ok "the bank logged two logons for each token certificate's CN"; diag "$(bank_log main)"; fi

# The provider's own services (java/KinkoProviderOps.java), each checked against the JDK's
# software: a digest, verification with a certificate's public key (a session object), RSA
# decryption with the key of a slot that decrypts, and none with 9A's, which only signs; ECDH
# with the P-256 key. The provider's KeyAgreement reads the derived secret's CKA_VALUE, which
# the module keeps sensitive unless the template says otherwise: its configuration asks.
cp p11.cfg p11-derive.cfg
printf 'attributes(generate, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {\n  CKA_SENSITIVE = false\n}\n' >>p11-derive.cfg
jdk ops java "${JVM_OPTS[@]}" -cp classes KinkoProviderOps p11-derive.cfg "$PINFILE" digest "verify:$RSA" \
	"verify:$EC" "decrypt:$RSA2" "decrypt:$RSA" "derive:$EC"
check_out "MessageDigest SHA-256 of the provider (C_DigestInit) equals the JDK's" "op digest: ok SHA-256 "
for a in "$RSA" "$EC"; do
	check_out "$a: the provider verifies the token's signature with the certificate's public key (a session object)" \
		"op verify:$a: ok "
done
check_out "$RSA2: the provider's RSA/ECB/PKCS1Padding and NoPadding decrypt on the token what software and the provider encrypted" \
	"op decrypt:$RSA2: ok "
if grep -q "op decrypt:$RSA: failed: " "$T/out" && grep -q "C_DecryptInit -> CKR_KEY_FUNCTION_NOT_PERMITTED" "$T/out"; then
	ok "$RSA: the provider's decryption with 9A's key is refused (CKR_KEY_FUNCTION_NOT_PERMITTED)"
else not_ok "$RSA: the provider's decryption with 9A's key is refused (CKR_KEY_FUNCTION_NOT_PERMITTED)"; diag "$T/out"; fi
check_out "$EC: the provider's ECDH on the token (C_DeriveKey, a secret not sensitive) equals the JDK's" \
	"op derive:$EC: ok "
jdk ops-sensitive java "${JVM_OPTS[@]}" -cp classes KinkoProviderOps p11.cfg "$PINFILE" "derive:$EC"
if grep -q "op derive:$EC: failed: " "$T/out" && grep -q "C_GetAttributeValue -> CKR_ATTRIBUTE_SENSITIVE" "$T/out"; then
	ok "$EC: without that configuration the derived secret stays sensitive (CKR_ATTRIBUTE_SENSITIVE)"
else not_ok "$EC: without that configuration the derived secret stays sensitive (CKR_ATTRIBUTE_SENSITIVE)"; diag "$T/out"; fi

# What the JDK asked of the module, beyond the refusals the test provoked, each in its run:
# the wrong PIN, the signature over other data, 9A's decryption, the sensitive secret.
grep -Hv -- "-> CKR_OK " p11-*.log | grep -Ev "^(p11-keytool-wrong\.log:kinko p11: C_Login -> CKR_PIN_INCORRECT|\
p11-ops\.log:kinko p11: C_(VerifyFinal -> CKR_SIGNATURE_INVALID|DecryptInit -> CKR_KEY_FUNCTION_NOT_PERMITTED)|\
p11-ops-sensitive\.log:kinko p11: C_GetAttributeValue -> CKR_ATTRIBUTE_SENSITIVE) " >p11-refused.log
if [ ! -s p11-refused.log ]; then ok "the module answered every call of the JDK's runs with CKR_OK"
else not_ok "the module answered every call of the JDK's runs with CKR_OK"; diag p11-refused.log; fi
echo "# JDK $(java -version 2>&1 | head -1); JVM runs: $((JVM_MS / 1000)).$(printf '%03d' $((JVM_MS % 1000))) s:$JVM_TIMES"
