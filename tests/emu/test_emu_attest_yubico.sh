#!/bin/bash
# Attestation read by Yubico's own tool: an emulated token with an attestation key (from a
# --make-attestation-ca CA) in a vsmartcard-vpcd reader of a private pcscd (tests/lib/pcsc.sh);
# unmodified yubico-piv-tool generates a key in 9A, reads the F9 certificate (GET DATA 5FFF01)
# and asks ATTEST (-a attest); openssl verifies the chain to the CA and the attested key, and
# the extensions are Yubico's on the yubikey profile and kinko's on the kinko profile. An empty
# slot gets no attestation.
set -u
S="${KINKO_SRCDIR:-.}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-attest.XXXXXX")
# shellcheck source=tests/lib/tap.sh
. "$S/tests/lib/tap.sh"
# shellcheck source=tests/lib/emu.sh
. "$S/tests/lib/emu.sh"
# shellcheck source=tests/lib/pcsc.sh
. "$S/tests/lib/pcsc.sh"
cleanup() {
	pcsc_stop
	rm -rf "$T"
}
trap cleanup EXIT

[ -x "$EMU" ] || skip_all "kinko-token-emu not built"
need yubico-piv-tool
need openssl
pcsc_need
PROFILES=(yubikey kinko)
plan $((1 + ${#PROFILES[@]} * 7))

if "$EMU" --make-attestation-ca "$T/ca" >"$T/ca.log" 2>&1; then
	ok "kinko-token-emu --make-attestation-ca writes a manufacturer CA"
else not_ok "kinko-token-emu --make-attestation-ca writes a manufacturer CA"; diag "$T/ca.log"; fi
pcsc_ports 1 || { echo "Bail out! no free port"; exit 1; }
PORT=${PCSC_FREE_PORTS[0]}
pcsc_start "$T/pcsc" "Yubico YubiKey attest:$PORT" || { echo "Bail out! no pcscd"; exit 1; }
READER=$(pcsc_reader "$PORT")
Y=(timeout 30 yubico-piv-tool -r "$READER")

for prof in "${PROFILES[@]}"; do
	state="$T/$prof.token"
	emu_init "$state" "$T/init.log" --serial 4711 --profile "$prof" \
		--attestation-ca-cert "$T/ca/attestation-ca.pem" --attestation-ca-key "$T/ca/attestation-ca.key" ||
		{ echo "Bail out! --init --profile $prof with the CA failed"; diag "$T/init.log"; exit 1; }
	pcsc_emu "$state" "$PORT" "$T/emu.log" || { echo "Bail out! the card never came"; diag "$T/emu.log"; exit 1; }

	run "${Y[@]}" -a generate -s 9a -A ECCP256 -o "$T/$prof.pub.pem"
	check_ok_out "$prof: yubico-piv-tool -a generate -s 9a" "Successfully generated a new private key."
	run "${Y[@]}" -a read-certificate -s f9 -o "$T/$prof.f9.pem"
	if [ "$RC" -eq 0 ] && openssl x509 -noout -in "$T/$prof.f9.pem" >/dev/null 2>&1; then
		ok "$prof: yubico-piv-tool -a read-certificate -s f9 reads the F9 certificate"
	else not_ok "$prof: yubico-piv-tool -a read-certificate -s f9 reads the F9 certificate"; diag "$T/out"; fi
	run "${Y[@]}" -a attest -s 9a -o "$T/$prof.attest.pem"
	if [ "$RC" -eq 0 ] && openssl x509 -noout -in "$T/$prof.attest.pem" >/dev/null 2>&1; then
		ok "$prof: yubico-piv-tool -a attest -s 9a gives a certificate"
	else not_ok "$prof: yubico-piv-tool -a attest -s 9a gives a certificate"; diag "$T/out"; fi
	run openssl verify -CAfile "$T/ca/attestation-ca.pem" -untrusted "$T/$prof.f9.pem" "$T/$prof.attest.pem"
	check_ok_out "$prof: openssl verifies the attestation through F9 to the manufacturer CA" ": OK"
	if openssl x509 -noout -pubkey -in "$T/$prof.attest.pem" 2>/dev/null | cmp -s - "$T/$prof.pub.pem"; then
		ok "$prof: the attested public key is the generated one"
	else not_ok "$prof: the attested public key is the generated one"; fi
	run openssl x509 -noout -text -in "$T/$prof.attest.pem"
	if [ "$prof" = yubikey ]; then
		check_ok_out "$prof: Yubico's subject and extensions (firmware, serial, policies, form factor)" \
			"Subject: CN = YubiKey PIV Attestation 9a" "1.3.6.1.4.1.41482.3.3:" \
			"1.3.6.1.4.1.41482.3.7:" "1.3.6.1.4.1.41482.3.8:" "1.3.6.1.4.1.41482.3.9:"
	else
		check_ok_out "$prof: kinko's subject and extensions (serial, firmware, policies, origin)" \
			"Subject: CN = kinko PIV Attestation 9A" "1.3.6.1.4.1.32473.1.1:" \
			"1.3.6.1.4.1.32473.1.2:" "1.3.6.1.4.1.32473.1.3:" "1.3.6.1.4.1.32473.1.4:" \
			"1.3.6.1.4.1.32473.1.5:"
	fi
	run "${Y[@]}" -a attest -s 9c -o "$T/$prof.empty.pem"
	if [ "$RC" -ne 0 ] && ! openssl x509 -noout -in "$T/$prof.empty.pem" >/dev/null 2>&1; then
		ok "$prof: an empty slot (9C) gets no attestation"
	else not_ok "$prof: an empty slot (9C) gets no attestation"; diag "$T/out"; fi

	pcsc_kill "$EMU_SERVE_PID"
	proc_wait_for 10 pcsc_card_absent "$READER" || echo "# the card did not leave the reader"
done
