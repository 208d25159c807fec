# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The test kit's side of kinko-bankd (sourced by tests/cli/cli_lib.sh and tests/bank/bank_lib.sh):
# the bank server both kinds of test start ($BANKD: the build's, or $KINKO_TEST_BINDIR's),
# and what they read from a bank.

# shellcheck source=tests/lib/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

BANKD="${KINKO_TEST_BINDIR:-${KINKO_BUILDDIR:-.}}/kinko-bankd"

# card_digits CARDFILE "C3 A7": the digits at those positions of a printed customer card
# (kinko-bankd's printout: a row letter, then the columns' digits).
card_digits() {
	local d="" p
	for p in $2; do
		d="$d$(awk -v r="${p:0:1}" -v c="${p:1:1}" '$1 == r { print $(c + 2) }' "$1")"
	done
	printf '%s' "$d"
}

# bank_serve DIR PORT-FILE LOG [NOW [SERVE-OPTION...]]: `kinko-bankd serve` of the bank in DIR
# on 127.0.0.1:0 with the SERVE-OPTIONs, its clock at NOW (epoch seconds or YYYY-MM-DD) unless
# NOW is empty, stderr appended to LOG; its pid in BANK_SERVE_PID at once (for the caller's
# cleanup), then waits up to 20 s for the port in PORT-FILE. Fails when the port never comes.
# BANK_SERVE_CMD, when set, is the command line in front of serve's options instead of
# `$BANKD serve`: a prefix that execs (prlimit, setpriv) or options before the command.
# Stop it with proc_stop (tests/lib/proc.sh): SIGTERM stops the server cleanly.
bank_serve() {
	local dir="$1" port_file="$2" log="$3" now="${4:-}" cmd=("$BANKD" serve) clock=()
	shift $(($# < 4 ? $# : 4))
	[ -z "${BANK_SERVE_CMD+set}" ] || cmd=("${BANK_SERVE_CMD[@]}")
	[ -z "$now" ] || clock=(env "KINKO_BANKD_NOW=$now")
	rm -f "$port_file"
	"${clock[@]}" "${cmd[@]}" --dir "$dir" --listen 127.0.0.1:0 --port-file "$port_file" "$@" 2>>"$log" &
	BANK_SERVE_PID=$!
	proc_wait_for 20 test -s "$port_file"
}
