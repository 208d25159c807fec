# shellcheck shell=bash disable=SC2034  # (variables used by the sourcing scripts)
# Shared helpers of the interop TAP tests: an emulated token in a temp dir, the built module,
# TAP output. Sourced by test_*.sh (run from the build dir, KINKO_BUILDDIR set by the harness).
set -u
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# Unmodified tools (pkcs11-tool, p11tool, openssl, p11-kit) cannot load a module built with
# ASan: its runtime must come first in the process. These tests run in the plain build.
[ "${KINKO_SANITIZED:-0}" != 1 ] ||
	skip_all "sanitizer build: unmodified tools cannot load an ASan-instrumented module"

B="${KINKO_BUILDDIR:-.}"
MODULE="$B/pkcs11/.libs/libkinko-pkcs11.so"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-interop.XXXXXX")
# The emulator's factory PIN; a test token only, so it may appear in the tests.
PIN=123456
SERIAL=$((4000 + $$ % 5000))
TOKEN_LABEL="kinko PIV #$SERIAL"
# pkcs11: URI form of the token label ("kinko PIV #N").
TOKEN_URI="pkcs11:token=kinko%20PIV%20%23$SERIAL"

# Extra cleanup of a script (p11-kit server, ...) goes in CLEANUP_HOOK.
CLEANUP_HOOK=""
cleanup() {
	[ -n "$CLEANUP_HOOK" ] && eval "$CLEANUP_HOOK"
	proc_stop "$EMU_SERVE_PID"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shellcheck source=tests/lib/emu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/emu.sh"

# start_token [DIR]: a fresh token (serial $SERIAL, factory PIN/PUK/management key) served on
# DIR/sock (DIR defaults to $T); sets KINKO_EMU_SOCKETS for the module. The emulator runs
# under the command prefix EMU_AS (tests/lib/emu.sh; e.g. setpriv to another user).
start_token() {
	local d="${1:-$T}"
	if ! emu_init "$d/token" "$d/emu-init.log" --serial "$SERIAL"; then
		echo "Bail out! kinko-token-emu --init failed: $(cat "$d/emu-init.log")"
		exit 1
	fi
	emu_serve "$d/token" "$d/sock" "$d/emu.log" ||
		{ echo "Bail out! the emulator did not start"; diag "$d/emu.log"; exit 1; }
	KINKO_EMU_SOCKETS="$d/sock"
	export KINKO_EMU_SOCKETS
}

[ -x "$EMU" ] || { echo "Bail out! $EMU not built"; exit 1; }
[ -f "$MODULE" ] || { echo "Bail out! $MODULE not built"; exit 1; }

# --- the token in a PC/SC reader: tests/lib/pcsc.sh's private pcscd and vpcd reader ---
# The same token state moves between kinko's emulator socket and the reader, one emulator at a
# time, so each side sees what the other wrote.
#   pcsc_interop_start NAME   a pcscd with one vpcd reader NAME (skips without pcscd/vpcd);
#                             READER is pcscd's name for it, READER_PORT its port
#   token_serve STATE         STATE on the emulator socket $T/sock (KINKO_EMU_SOCKETS)
#   token_insert STATE        STATE in the reader, waits until pcscd sees the card
#   token_out                 stops the emulator; from the reader, waits until the card is gone
#   kinko_keypair ID TYPE CN  kinko's module (pkcs11-tool, socket) makes a key pair with CKA_ID
#                             ID (01 = 9A, 02 = 9C, ...), a certificate CN=CN from a throwaway
#                             CA written beside it: $T/CN.pub.der, $T/CN.cert.der
#   signed_ok NAME PUB SIG DATA [OPTION...]
#                             ok NAME when the last run succeeded and openssl verifies its
#                             SHA-256 signature SIG of DATA with the public key in PUB (PEM or
#                             DER; OPTIONs to openssl dgst)
#   foreign_module NAME       the path of an installed PKCS#11 module (opensc-pkcs11.so, ...)
#   need_openssl_engine       the libp11 OpenSSL engine "pkcs11" on kinko's module
#                             (PKCS11_MODULE_PATH exported), or need_missing
READER="" READER_PORT="" TOKEN_WHERE=""
pcsc_interop_start() {
	# shellcheck source=tests/lib/pcsc.sh
	. "$(dirname "${BASH_SOURCE[0]}")/../lib/pcsc.sh"
	pcsc_need
	pcsc_ports 1 || { echo "Bail out! no free port for a vpcd reader"; exit 1; }
	READER_PORT=${PCSC_FREE_PORTS[0]}
	CLEANUP_HOOK="pcsc_stop${CLEANUP_HOOK:+; $CLEANUP_HOOK}"
	pcsc_start "$T/pcsc" "$1:$READER_PORT" ||
		{ echo "Bail out! the private pcscd did not start"; diag "$T/pcsc/pcscd.log"; exit 1; }
	READER=$(pcsc_reader "$READER_PORT")
}
token_serve() {
	emu_serve "$1" "$T/sock" "$T/emu.log" ||
		{ echo "Bail out! the emulator did not start"; diag "$T/emu.log"; exit 1; }
	KINKO_EMU_SOCKETS="$T/sock" TOKEN_WHERE=socket
	export KINKO_EMU_SOCKETS
}
token_insert() {
	pcsc_emu "$1" "$READER_PORT" "$T/emu.log" ||
		{ echo "Bail out! the card never showed in $READER"; diag "$T/emu.log"; exit 1; }
	TOKEN_WHERE=reader
}
token_out() {
	proc_stop "$EMU_SERVE_PID"
	EMU_SERVE_PID=""
	[ "$TOKEN_WHERE" != reader ] || proc_wait_for 10 pcsc_card_absent "$READER" ||
		{ echo "Bail out! $READER still shows a card"; exit 1; }
	TOKEN_WHERE=""
}
kinko_keypair() {
	# the PIN through pkcs11-tool's env: form, never on its command line
	local -x KINKO_TEST_PIN="$PIN"
	local id="$1" type="$2" cn="$3" p=(timeout 60 pkcs11-tool --module "$MODULE" --login --pin env:KINKO_TEST_PIN)
	[ -f "$T/ca.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/ca.key" -subj /CN=interop-ca -days 2 -out "$T/ca.pem" >/dev/null 2>&1
	# the public key read in the keygen's own session: a plain PIV card gives it only then
	"${p[@]}" --keypairgen --key-type "$type" --id "$id" \
		--read-object --type pubkey --id "$id" -o "$T/$cn.pub.der" >"$T/kp.out" 2>&1 &&
		openssl pkey -pubin -inform DER -in "$T/$cn.pub.der" -out "$T/$cn.pub.pem" 2>>"$T/kp.out" &&
		openssl x509 -new -subj "/CN=$cn" -force_pubkey "$T/$cn.pub.pem" -CA "$T/ca.pem" \
			-CAkey "$T/ca.key" -days 2 -outform DER -out "$T/$cn.cert.der" >>"$T/kp.out" 2>&1 &&
		"${p[@]}" --write-object "$T/$cn.cert.der" --type cert --id "$id" --label "$cn" \
			>>"$T/kp.out" 2>&1
}
signed_ok() {
	local name="$1" pub="$2" sig="$3" data="$4"
	shift 4
	if [ "$RC" -eq 0 ] && openssl dgst -sha256 -verify "$pub" -signature "$sig" "$@" "$data" \
		>"$T/vout" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		diag "$T/out"
		[ "$RC" -ne 0 ] || diag "$T/vout"
	fi
}
foreign_module() {
	local f
	for f in /usr/lib/*/"$1" /usr/lib/*/pkcs11/"$1" /usr/lib64/"$1" /usr/lib/"$1"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
need_openssl_engine() {
	need openssl
	export PKCS11_MODULE_PATH="$MODULE"
	openssl engine -t pkcs11 2>/dev/null | grep -q "\[ available \]" ||
		need_missing "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl) is not installed"
}
