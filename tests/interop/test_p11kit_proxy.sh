#!/usr/bin/env bash
# The module through p11-kit (unmodified):
#  - `p11-kit server --provider MODULE` + p11-kit-client.so (P11_KIT_SERVER_ADDRESS): listing,
#    key generation and signatures verified by openssl through p11-kit's RPC;
#  - the installed p11-kit .module file (make install DESTDIR=...): its content, and
#    p11-kit list-modules / p11-kit-proxy.so finding the module through it. p11-kit reads only
#    its system directories when run as root, so that part runs as an unprivileged user (the
#    current one, or `nobody` through setpriv when the tests run as root) with the .module file
#    in XDG_CONFIG_HOME/pkcs11/modules, the way a per-user configuration works.
. "$(dirname "$0")/interop_lib.sh"
need p11-kit
need pkcs11-tool
need openssl

P11_MODULE_DIR=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)
CLIENT="${P11_MODULE_DIR:-/usr/lib/x86_64-linux-gnu/pkcs11}/p11-kit-client.so"
PROXY=$(pkg-config --variable=proxy_module p11-kit-1 2>/dev/null)
PROXY="${PROXY:-/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so}"
[ -f "$CLIENT" ] || skip_all "p11-kit-client.so not found (p11-kit-modules)"

# Who runs the user-configuration part (and the emulator, so that user can reach its socket).
AS=()
AS_OK=1
TD="$T/tok"
mkdir "$TD"
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
		AS=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
		chmod 711 "$T"
		chown nobody "$TD"
	else
		AS_OK=0
	fi
fi
EMU_AS=("${AS[@]}")

plan 13
start_token "$TD"
cd "$TD" || exit 1
head -c 500 /dev/urandom > data.bin
openssl dgst -sha256 -binary data.bin > data.sha256
chmod 644 data.bin data.sha256
# verify PUBDER SIG [OPENSSL OPTIONS...]: the signature of data.bin checks out.
verify() {
	local k="$1" s="$2"
	shift 2
	openssl dgst -sha256 -verify "$k" -keyform DER -signature "$s" "$@" data.bin >"$T/vout" 2>&1
}

# --- p11-kit server + p11-kit-client.so ---
SRV_PID=""
CLEANUP_HOOK='proc_stop "$SRV_PID"'
p11-kit server -f --provider "$MODULE" -n "$T/p11kit.sock" "$TOKEN_URI" >"$T/server.log" 2>&1 &
SRV_PID=$!
if proc_wait_for 10 test -S "$T/p11kit.sock"; then ok "p11-kit server --provider serves the token"
else not_ok "p11-kit server --provider serves the token"; diag "$T/server.log"; fi
export P11_KIT_SERVER_ADDRESS="unix:path=$T/p11kit.sock"
C=(pkcs11-tool --module "$CLIENT")

run "${C[@]}" -L
check_ok_out "p11-kit-client.so: pkcs11-tool -L shows the token" "token label        : $TOKEN_LABEL" \
	"serial num         : $SERIAL"
run "${C[@]}" --login --pin "$PIN" --keypairgen --key-type rsa:2048 --id 01
r1=$RC; cp "$T/out" "$T/kg1"
run "${C[@]}" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --id 05
if [ $r1 -eq 0 ] && [ $RC -eq 0 ]; then ok "p11-kit-client.so: RSA-2048 and P-256 key generation"
else not_ok "p11-kit-client.so: RSA-2048 and P-256 key generation"; diag "$T/kg1"; diag "$T/out"; fi
"${C[@]}" --read-object --type pubkey --id 01 -o rsa.pub.der >/dev/null 2>&1
"${C[@]}" --read-object --type pubkey --id 05 -o ec.pub.der >/dev/null 2>&1
chmod 644 rsa.pub.der ec.pub.der 2>/dev/null
# p11-kit 0.24's RPC forwards only the mechanisms whose parameters it can carry: it drops
# SHA*-RSA-PKCS-PSS and ECDSA-SHA* from the list; SHA256-RSA-PKCS and ECDSA pass.
run "${C[@]}" --login --pin "$PIN" --sign --id 01 -m SHA256-RSA-PKCS -i data.bin -o sig.rsa
if [ $RC -eq 0 ] && verify rsa.pub.der sig.rsa; then ok "p11-kit-client.so: SHA256-RSA-PKCS signature verifies in openssl"
else not_ok "p11-kit-client.so: SHA256-RSA-PKCS signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
run "${C[@]}" --login --pin "$PIN" --sign --id 05 -m ECDSA --signature-format openssl -i data.sha256 -o sig.ec
if [ $RC -eq 0 ] && verify ec.pub.der sig.ec; then ok "p11-kit-client.so: ECDSA signature verifies in openssl"
else not_ok "p11-kit-client.so: ECDSA signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
run "${C[@]}" --login --pin "$PIN" --list-objects --type privkey
if [ $RC -eq 0 ] && [ "$(grep -c "Private Key Object" "$T/out")" -eq 2 ]; then
	ok "p11-kit-client.so: after login both private keys are listed"
else not_ok "p11-kit-client.so: after login both private keys are listed"; diag "$T/out"; fi
proc_stop "$SRV_PID"
SRV_PID=""
unset P11_KIT_SERVER_ADDRESS

# --- the installed .module file ---
DEST="$T/inst"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s -C "$B" DESTDIR="$DEST" \
	install-pkcs11libLTLIBRARIES install-p11moduleDATA >"$T/install.log" 2>&1
MODFILE=$(find "$DEST" -name kinko.module 2>/dev/null)
if [ -n "$MODFILE" ] && [ "$(echo "$MODFILE" | wc -l)" -eq 1 ] && [[ "$MODFILE" == */p11-kit/modules/kinko.module ]]; then
	ok "make install puts kinko.module in p11-kit's module directory"
else not_ok "make install puts kinko.module in p11-kit's module directory"; diag "$T/install.log"; fi
# Its only setting names the installed module by absolute path.
SETTINGS=$(grep -v -e '^#' -e '^[[:space:]]*$' "$MODFILE" 2>/dev/null)
MODPATH=${SETTINGS#module: }
if [ "$(echo "$SETTINGS" | wc -l)" -eq 1 ] && [[ "$SETTINGS" == "module: /"* ]] && [ -f "$DEST$MODPATH" ] &&
	[[ "$MODPATH" == */pkcs11/libkinko-pkcs11.so ]]; then
	ok "kinko.module names the installed module by absolute path"
else not_ok "kinko.module names the installed module by absolute path"; echo "# settings: $SETTINGS"; fi

# --- p11-kit finding the module through the file (per-user configuration) ---
if [ $AS_OK -eq 1 ]; then
	# The file as installed, the module path moved into the DESTDIR staging tree.
	mkdir -p "$T/cfg/pkcs11/modules"
	sed "s|^module: |module: $DEST|" "$MODFILE" > "$T/cfg/pkcs11/modules/kinko.module"
	chmod -R a+rX "$T/cfg" "$DEST"
	U=("${AS[@]}" env HOME="$TD" XDG_CONFIG_HOME="$T/cfg" KINKO_EMU_SOCKETS="$KINKO_EMU_SOCKETS")
	run "${U[@]}" p11-kit list-modules
	check_out "p11-kit list-modules finds the module and its token" "kinko: $DEST$MODPATH" \
		"library-description: kinko PIV token module" "token: $TOKEN_LABEL" "serial-number: $SERIAL"
	X=("${U[@]}" pkcs11-tool --module "$PROXY" --token-label "$TOKEN_LABEL")
	run "${X[@]}" -L
	check_ok_out "p11-kit-proxy.so: pkcs11-tool -L shows the token" "token label        : $TOKEN_LABEL"
	run "${X[@]}" --login --pin "$PIN" --sign --id 05 -m ECDSA-SHA256 --signature-format openssl -i data.bin \
		-o "$TD/sig.proxy"
	if [ $RC -eq 0 ] && verify ec.pub.der sig.proxy; then ok "p11-kit-proxy.so: ECDSA-SHA256 signature verifies in openssl"
	else not_ok "p11-kit-proxy.so: ECDSA-SHA256 signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
	run "${X[@]}" --login --pin "$PIN" --sign --id 01 -m SHA256-RSA-PKCS-PSS -i data.bin -o "$TD/sig.pss"
	if [ $RC -eq 0 ] && verify rsa.pub.der sig.pss -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32; then
		ok "p11-kit-proxy.so: SHA256-RSA-PKCS-PSS signature verifies in openssl"
	else not_ok "p11-kit-proxy.so: SHA256-RSA-PKCS-PSS signature verifies in openssl"; diag "$T/out"; diag "$T/vout"; fi
	# kinko's vendor PIN counters (kinko-pkcs11.h) through the proxy, as an application
	# loading p11-kit-proxy.so reads them (kinko itself loads modules with p11-kit, which
	# will not load its own proxy): a wrong PIN leaves 2 of 3 tries.
	run "${U[@]}" "$B/tests/interop/p11-pin-tries" "$PROXY" 000000
	check_ok_out "p11-kit-proxy.so: kinko's PIN counters show the exact tries left" \
		"login: 0xa0" "pin 2/3 puk 3/3"
else
	for n in "p11-kit list-modules finds the module" "p11-kit-proxy.so: pkcs11-tool -L" \
		"p11-kit-proxy.so: ECDSA-SHA256 signature" "p11-kit-proxy.so: SHA256-RSA-PKCS-PSS signature" \
		"p11-kit-proxy.so: kinko's PIN counters"; do
		skip "$n" "root without setpriv or a nobody user: p11-kit ignores user configuration as root"
	done
fi
