#!/usr/bin/env bash
# `openssl pkeyutl` with the libp11 engine (libengine-pkcs11-openssl, unmodified) decrypting
# and agreeing keys on the token's key-management slot 9D, each result compared with the same
# operation in software: RSA-2048 decryption of what `openssl pkeyutl -encrypt` made with the
# public key (PKCS#1 v1.5, OAEP with SHA-1 and with SHA-256, raw RSA), and P-256 ECDH with a
# software peer. The PIN reaches libp11 through the URI's pin-source=file: (the bare PIN).
. "$(dirname "$0")/interop_lib.sh"
need pkcs11-tool
need cmp
need_openssl_engine

plan 8
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

# ECDH: a P-256 key in 9D (the RSA key deleted first: a slot takes one key) and a peer made
# in software.
KINKO_TEST_PIN="$PIN" timeout 60 pkcs11-tool --module "$MODULE" --login --pin env:KINKO_TEST_PIN \
	--delete-object --type privkey --id 03 >>kp.out 2>&1 && kinko_keypair 03 EC:prime256v1 dec-p256 ||
	{ echo "Bail out! P-256 key generation in 9D with pkcs11-tool failed"; diag "$T/kp.out"; exit 1; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.key 2>/dev/null &&
	openssl pkey -in peer.key -pubout -out peer.pub 2>/dev/null ||
	{ echo "Bail out! openssl cannot make the P-256 peer key"; exit 1; }
openssl pkeyutl -derive -inkey peer.key -peerkey dec-p256.pub.pem -out z.soft 2>soft.err ||
	{ echo "Bail out! openssl cannot derive in software"; diag soft.err; exit 1; }
started=$(date +%s%N)
token_pkeyutl -derive -peerkey peer.pub -out z.token
echo "# openssl pkeyutl -derive on the token: $((($(date +%s%N) - started) / 1000000)) ms"
if [ "$RC" -eq 0 ] && cmp -s z.soft z.token; then
	ok "p256: the token's ECDH secret equals the software derivation (peer private x token public)"
else not_ok "p256: the token's ECDH secret equals the software derivation (peer private x token public)"; diag "$T/out"; fi
if [ -f z.token ] && [ "$(wc -c <z.token)" -eq 32 ]; then ok "p256: the shared secret is the 32-byte X coordinate"
else not_ok "p256: the shared secret is the 32-byte X coordinate"; fi

# Another peer gives another secret: the token used the peer's point, not a fixed one.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer2.key 2>/dev/null &&
	openssl pkey -in peer2.key -pubout -out peer2.pub 2>/dev/null
token_pkeyutl -derive -peerkey peer2.pub -out z2.token
if [ "$RC" -eq 0 ] && openssl pkeyutl -derive -inkey peer2.key -peerkey dec-p256.pub.pem -out z2.soft 2>/dev/null &&
	cmp -s z2.soft z2.token && ! cmp -s z.token z2.token; then
	ok "p256: a second peer gives its own secret, equal to software's"
else not_ok "p256: a second peer gives its own secret, equal to software's"; diag "$T/out"; fi
