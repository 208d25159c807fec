# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The test kit's emulated token (sourced by tests/cli/cli_lib.sh and tests/interop/interop_lib.sh):
# kinko-token-emu ($EMU: the build's, or $KINKO_TEST_BINDIR's) provisioned and served, for the
# module to reach on a socket.
#
#   EMU_AS=(PREFIX...)              a command prefix for both (setpriv to another user); empty
#   emu_init STATE LOG [OPTION...]  a fresh token in STATE (--init with the provisioning OPTIONs:
#                                   --serial, --pin-file, ...); its output in LOG; fails as it does
#   emu_serve STATE SOCK LOG [OPTION...]
#                                   serves STATE on SOCK (removed first) with the OPTIONs
#                                   (--control ...), output appended to LOG; its pid in
#                                   EMU_SERVE_PID at once (for the caller's cleanup), then waits up
#                                   to 10 s for the socket. Fails when the socket never comes.
# Stop it with proc_stop (tests/lib/proc.sh): SIGTERM stops the emulator cleanly.

# shellcheck source=tests/lib/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

EMU="${KINKO_TEST_BINDIR:-${KINKO_BUILDDIR:-.}}/kinko-token-emu"
EMU_AS=()
EMU_SERVE_PID=""

emu_init() {
	local state="$1" log="$2"
	shift 2
	"${EMU_AS[@]}" "$EMU" --state "$state" --init "$@" >"$log" 2>&1
}

emu_serve() {
	local state="$1" sock="$2" log="$3"
	shift 3
	rm -f "$sock"
	"${EMU_AS[@]}" "$EMU" --state "$state" --socket "$sock" "$@" >>"$log" 2>&1 &
	EMU_SERVE_PID=$!
	proc_wait_for 10 test -S "$sock"
}
