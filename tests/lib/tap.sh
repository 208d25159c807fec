# shellcheck shell=bash
# The test kit's TAP output (sourced by tests/cli/cli_lib.sh, tests/bank/bank_lib.sh and
# tests/interop/interop_lib.sh, after they set T, their temp dir): one meaning per name.
#
#   plan N                 the plan line
#   ok NAME / not_ok NAME  one numbered result
#   skip NAME WHY          one result skipped
#   skip_all WHY           the whole script skipped (plan 1..0), exits
#   need TOOL              skip_all unless TOOL is on PATH; under KINKO_INTEROP_REQUIRED=1
#                          (./test.sh) a Bail out! instead
#   need_missing WHY       the same for another missing piece (WHY names it)
#   diag FILE [N]          FILE's last N (15) lines as TAP comments
#   run COMMAND...         output to $T/out (stdout alone in $T/stdout), status to RC
#   check NAME COMMAND...  run, ok when the command succeeds; its output in $T/out
#   check_quiet NAME COMMAND...
#                          ok when the command succeeds; $T/out untouched, so the command
#                          may read it (the bank tests' predicates on an HTTP body)
#   check_out NAME STRING...     ok when $T/out (of the last run) holds every STRING
#   check_ok_out NAME STRING...  check_out, and the last run succeeded
TAP_N=0

plan() { echo "1..$1"; }
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $1"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
# A tool the test drives: missing, the test skips, except under KINKO_INTEROP_REQUIRED=1
# (./test.sh, which installed every tool first), where a missing tool fails it.
need() {
	command -v "$1" >/dev/null 2>&1 || need_missing "$1 not installed"
}
need_missing() {
	if [ "${KINKO_INTEROP_REQUIRED:-0}" = 1 ]; then
		echo "Bail out! $1 (KINKO_INTEROP_REQUIRED=1)"
		exit 1
	fi
	skip_all "$1"
}
diag() { tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/# /'; }

run() {
	"$@" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	cat "$T/stdout" "$T/stderr" >"$T/out"
}
check() {
	local name="$1"
	shift
	run "$@"
	if [ "$RC" -eq 0 ]; then ok "$name"; else not_ok "$name"; echo "# exit $RC: $*"; diag "$T/out"; fi
}
check_quiet() {
	local name="$1"
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; echo "# failed: $*" | head -c 300; echo; fi
}
check_out() {
	local name="$1" s
	shift
	for s in "$@"; do
		if ! grep -qF -- "$s" "$T/out"; then
			not_ok "$name"
			echo "# missing: $s"
			diag "$T/out"
			return 0
		fi
	done
	ok "$name"
}
check_ok_out() {
	if [ "$RC" -ne 0 ]; then
		not_ok "$1"
		echo "# exit status $RC"
		diag "$T/out"
		return 0
	fi
	check_out "$@"
}
