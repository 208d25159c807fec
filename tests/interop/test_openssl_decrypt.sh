#!/usr/bin/env bash
# `openssl pkeyutl` with the libp11 engine (libengine-pkcs11-openssl, unmodified) decrypting
# on the token's key-management slot 9D, each result compared with the same operation in
# software: RSA-2048 decryption of what `openssl pkeyutl -encrypt` made with the public key
# (PKCS#1 v1.5, OAEP with SHA-1 and with SHA-256, raw RSA). The PIN reaches libp11 through the
# URI's pin-source=file: (the bare PIN).
. "$(dirname "$0")/interop_lib.sh"
need pkcs11-tool
need cmp
need_openssl_engine

plan 5
start_token
cd "$T" || exit 1
umask 077
printf '%s' "$PIN" >pin
# A session key, as the secret a sender encrypts for the token's owner.
openssl rand -out msg 32
key_9d="$TOKEN_URI;id=%03;type=private;pin-source=file:$T/pin"
token_pkeyutl() { run timeout 30 openssl pkeyutl -engine pkcs11 -keyform engine -inkey "$key_9d" "$@"; }

kinko_keypair 03 rsa:2048 dec-rsa ||
	{ echo "Bail out! RSA key generation in 9D with pkcs11-tool failed"; diag "$T/kp.out"; exit 1; }

# decrypt_check NAME [PKEYOPT...]: encrypted in software with the 9D public key, decrypted on
# the token, the plaintext compared.
decrypt_check() {
	local name="$1" o opts=()
	shift
	for o in "$@"; do opts+=(-pkeyopt "$o"); done
	if ! openssl pkeyutl -encrypt -pubin -inkey dec-rsa.pub.pem "${opts[@]}" -in msg -out "$name.ct" \
		>enc.out 2>&1; then
		not_ok "$name: the token decrypts what openssl encrypted with its public key"
		diag enc.out
		return
	fi
	rm -f "$name.pt"
	started=$(date +%s%N)
	token_pkeyutl -decrypt "${opts[@]}" -in "$name.ct" -out "$name.pt"
	echo "# $name: openssl pkeyutl -decrypt on the token: $((($(date +%s%N) - started) / 1000000)) ms"
	if [ "$RC" -eq 0 ] && cmp -s msg "$name.pt"; then
		ok "$name: the token decrypts what openssl encrypted with its public key"
	else not_ok "$name: the token decrypts what openssl encrypted with its public key"; diag "$T/out"; fi
}
decrypt_check pkcs1
decrypt_check oaep-sha1 rsa_padding_mode:oaep
decrypt_check oaep-sha256 rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256

# Raw RSA (CKM_RSA_X_509): a full-size block below the modulus comes back as it went.
{ printf '\000'; head -c 255 /dev/urandom; } >raw.msg
if openssl pkeyutl -encrypt -pubin -inkey dec-rsa.pub.pem -pkeyopt rsa_padding_mode:none -in raw.msg \
	-out raw.ct >enc.out 2>&1; then
	token_pkeyutl -decrypt -pkeyopt rsa_padding_mode:none -in raw.ct -out raw.pt
	if [ "$RC" -eq 0 ] && cmp -s raw.msg raw.pt; then ok "raw RSA: the token's private operation inverts the public one"
	else not_ok "raw RSA: the token's private operation inverts the public one"; diag "$T/out"; fi
else not_ok "raw RSA: the token's private operation inverts the public one"; diag enc.out; fi

# A ciphertext changed in one byte: decryption fails and gives no plaintext.
cp pkcs1.ct bad.ct
byte=$(od -An -tu1 -j 100 -N 1 pkcs1.ct)
# shellcheck disable=SC2059  # (the format is the octal escape of the flipped byte)
printf "\\$(printf %03o $((byte ^ 1)))" | dd of=bad.ct bs=1 seek=100 conv=notrunc 2>/dev/null
rm -f bad.pt
token_pkeyutl -decrypt -in bad.ct -out bad.pt
if [ "$RC" -ne 0 ] && ! cmp -s msg bad.pt; then ok "a tampered PKCS#1 v1.5 ciphertext fails to decrypt"
else not_ok "a tampered PKCS#1 v1.5 ciphertext fails to decrypt"; diag "$T/out"; fi
