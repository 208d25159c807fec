#!/usr/bin/env bash
# NSS (libnss3-tools, unmodified) and the token's attestation certificate: on a token provisioned
# with an attestation CA, certutil lists the F9 certificate "PIV Attestation" as a certificate
# without a key, never as a user certificate (NSS pairs a certificate with the private key of
# its CKA_ID; no key object has F9's), while the key's own certificate stays one (u,u,u) and
# certutil -K lists the keys without it. The PIN reaches NSS by its password file (-f).
. "$(dirname "$0")/interop_lib.sh"
need certutil
need modutil
need openssl
need pkcs11-tool

plan 4
cd "$T" || exit 1
umask 077
printf '%s\n' "$PIN" >pin
"$EMU" --make-attestation-ca "$T/att" >att.log 2>&1 ||
	{ echo "Bail out! kinko-token-emu --make-attestation-ca failed"; diag att.log; exit 1; }
if ! emu_init "$T/token" "$T/emu-init.log" --serial "$SERIAL" \
	--attestation-ca-cert "$T/att/attestation-ca.pem" \
	--attestation-ca-key "$T/att/attestation-ca.key"; then
	echo "Bail out! kinko-token-emu --init failed: $(cat "$T/emu-init.log")"; exit 1
fi
emu_serve "$T/token" "$T/sock" "$T/emu.log" ||
	{ echo "Bail out! the emulator did not start"; diag "$T/emu.log"; exit 1; }
export KINKO_EMU_SOCKETS="$T/sock"
kinko_keypair 01 EC:prime256v1 nss-user ||
	{ echo "Bail out! key generation with pkcs11-tool failed"; diag "$T/kp.out"; exit 1; }

DB="sql:$T/db"
mkdir db
certutil -N -d "$DB" --empty-password >db.log 2>&1 ||
	{ echo "Bail out! certutil -N could not create an NSS database"; diag db.log; exit 1; }
run timeout 30 modutil -dbdir "$DB" -add kinko -libfile "$MODULE" -force

# certutil -L: "NICKNAME   TRUST"; u,u,u marks a certificate whose private key NSS found.
run timeout 30 certutil -L -h all -d "$DB" -f pin
check_ok_out "certutil -L -h all lists the token's PIV Attestation certificate" \
	"$TOKEN_LABEL:PIV Attestation"
att_line=$(grep -F "$TOKEN_LABEL:PIV Attestation" "$T/stdout")
user_line=$(grep -F "$TOKEN_LABEL:PIV Authentication" "$T/stdout")
printf '# %s\n' "$att_line" "$user_line"
if [ -n "$att_line" ] && ! printf '%s\n' "$att_line" | grep -q 'u,u,u'; then
	ok "certutil -L: PIV Attestation is not a user certificate (no key pairs with it)"
else not_ok "certutil -L: PIV Attestation is not a user certificate (no key pairs with it)"; diag "$T/out"; fi
if printf '%s\n' "$user_line" | grep -q 'u,u,u'; then
	ok "certutil -L: the key's own certificate is a user certificate (u,u,u)"
else not_ok "certutil -L: the key's own certificate is a user certificate (u,u,u)"; diag "$T/out"; fi

run timeout 30 certutil -K -h all -d "$DB" -f pin
if [ "$RC" -eq 0 ] && grep -qF "PIV Authentication" "$T/stdout" &&
	! grep -qF "PIV Attestation" "$T/stdout"; then
	ok "certutil -K lists the token key and no key for PIV Attestation"
else not_ok "certutil -K lists the token key and no key for PIV Attestation"; diag "$T/out"; fi
