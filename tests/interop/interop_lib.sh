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
