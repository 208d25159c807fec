#!/usr/bin/env bash
# OpenSC (unmodified: opensc-tool, its PKCS#11 module through pkcs11-tool) over PC/SC, with the
# emulated token in a vsmartcard-vpcd reader of a private pcscd, for the emulator profiles in
# PROFILES (kinko, yubikey, piv): kinko's module writes keys and certificates over the emulator
# socket, then OpenSC, reading the same token in the reader, recognises it as PIV, lists what kinko
# wrote, signs with kinko's keys (verified by openssl) and passes its own --test.
# OpenSC's PIV driver writes no objects through PKCS#11, so the other direction (OpenSC
# writes, kinko reads) is test_pcsc_yubico.sh's, with yubico-piv-tool.
# pkcs11-tool takes the PIN only on its command line (--pin): the emulator's factory test PIN
# of a throwaway token.
. "$(dirname "$0")/interop_lib.sh"
need pkcs11-tool
need opensc-tool
need openssl
OPENSC=$(foreign_module opensc-pkcs11.so) || skip_all "opensc-pkcs11.so not installed"

PROFILES=(kinko yubikey piv)
plan $((${#PROFILES[@]} * 7 + 1))
# pcscd logs each APDU and its answer, each line after the microseconds since the one before
export KINKO_PCSCD_APDU_LOG=1
pcsc_interop_start "kinko interop"
cd "$T" || exit 1
head -c 1000 /dev/urandom >data.bin
O=(timeout 60 pkcs11-tool --module "$OPENSC")

for prof in "${PROFILES[@]}"; do
	state="$T/$prof.token"
	emu_init "$state" "$T/emu-init.log" --serial "$SERIAL" --profile "$prof" ||
		{ echo "Bail out! kinko-token-emu --init --profile $prof failed"; diag "$T/emu-init.log"; exit 1; }

	# kinko writes: an RSA-2048 key in 9A and a P-256 key in 9E (9D is for key management: OpenSC
	# gives its EC key no signing), each with a certificate.
	token_serve "$state"
	rsa="kinko-$prof-rsa" ec="kinko-$prof-ec"
	if kinko_keypair 01 rsa:2048 "$rsa" && kinko_keypair 04 EC:prime256v1 "$ec"; then
		ok "$prof: kinko's module makes an RSA key in 9A and a P-256 key in 9E, with certificates"
	else not_ok "$prof: kinko's module makes an RSA key in 9A and a P-256 key in 9E, with certificates"
		diag "$T/kp.out"; fi
	token_out

	# OpenSC reads the same token in the PC/SC reader
	token_insert "$state"
	run timeout 30 opensc-tool -r "$READER" -n
	# OpenSC's PIV driver names the card "Personal Identity Verification Card" (or a PIV-II
	# variant for the cards it knows by their ATR)
	if [ "$RC" -eq 0 ] && grep -qE "PIV|Personal Identity Verification" "$T/out"; then
		ok "$prof: opensc-tool -n says PIV ($(head -n 1 "$T/stdout"))"
	else not_ok "$prof: opensc-tool -n says PIV"; diag "$T/out"; fi
	run "${O[@]}" --login --pin "$PIN" --list-objects
	check_ok_out "$prof: pkcs11-tool -O (OpenSC) lists the certificates and keys" \
		"DN: CN=$rsa" "DN: CN=$ec" "Private Key Object; RSA" \
		"Private Key Object; EC" "ID:         01" "ID:         04"
	run "${O[@]}" --login --pin "$PIN" --sign --id 01 -m SHA256-RSA-PKCS -i data.bin -o sig.rsa
	signed_ok "$prof: the RSA key in 9A signs through OpenSC (SHA256-RSA-PKCS), openssl verifies" \
		"$rsa.pub.der" sig.rsa data.bin
	run "${O[@]}" --login --pin "$PIN" --sign --id 04 -m ECDSA-SHA256 --signature-format openssl \
		-i data.bin -o sig.ec
	signed_ok "$prof: the P-256 key in 9E signs through OpenSC (ECDSA-SHA256), openssl verifies" \
		"$ec.pub.der" sig.ec data.bin
	run "${O[@]}" --login --pin "$PIN" --test
	if [ "$RC" -eq 0 ] && grep -q "^No errors" "$T/out"; then ok "$prof: pkcs11-tool --test --login (OpenSC): No errors"
	else not_ok "$prof: pkcs11-tool --test --login (OpenSC): No errors"; diag "$T/out" 30; fi
	token_out

	# and kinko still reads it after OpenSC (nothing OpenSC did broke the token for kinko)
	token_serve "$state"
	run timeout 60 pkcs11-tool --module "$MODULE" --login --pin "$PIN" --list-objects --type privkey
	if [ "$RC" -eq 0 ] && [ "$(grep -c "Private Key Object" "$T/out")" -eq 2 ]; then
		ok "$prof: kinko's module still finds both keys after OpenSC's session"
	else not_ok "$prof: kinko's module still finds both keys after OpenSC's session"; diag "$T/out"; fi
	token_out
done

# How long the card in the reader takes to answer: the median over every APDU of this script.
# vpcd writes an APDU's length and its bytes in two sends; unless the card acknowledges at
# once, the second waits for a delayed ACK (40 ms) and a pkcs11-tool --test takes seconds.
median_us=$(awk '/ SW: / { print $1 + 0 }' "$T/pcsc/pcscd.log" | sort -n |
	awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
if [ -n "$median_us" ] && [ "$median_us" -lt 10000 ]; then
	ok "the card answers in the reader without a delayed-ACK wait (median ${median_us} us per APDU)"
else not_ok "the card answers in the reader without a delayed-ACK wait (median ${median_us:-?} us per APDU)"; fi
