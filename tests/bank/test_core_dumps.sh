#!/usr/bin/env bash
# kinko-bankd keeps its memory (Basic credentials, confirmation PINs) out of core dumps: at
# start it sets RLIMIT_CORE to 0 and makes itself non-dumpable, unless --allow-core-dumps is
# given (before the command or among its options) for debugging.
# Non-dumpable is seen from outside as "/proc/PID/mem cannot be opened by a process of the same
# user with the same capabilities": as root both run without CAP_SYS_PTRACE (setpriv), which
# would open it anyway.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 7
if ! command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	skip_all "setpriv (util-linux) is needed to drop CAP_SYS_PTRACE as root"
fi
NOPTRACE=()
[ "$(id -u)" = 0 ] && NOPTRACE=(setpriv --bounding-set=-sys_ptrace)
# A core limit to inherit that is not 0, so that leaving it alone shows.
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
INHERITED=$(ulimit -S -c)
new_bank "$(date -u +%F)"

# serve_as ARGS...: start_server with kinko-bankd ARGS (options and the serve command) in front of
# serve's options, without CAP_SYS_PTRACE; the process (not a shell) in SRV_PID once it listens.
serve_as() {
	local BANK_SERVE_CMD=("${NOPTRACE[@]}" "$BANKD" "$@")
	start_server
}
core_limit() { proc_core_limit "$SRV_PID"; }
dumpable() { equals "$(proc_mem_open "$SRV_PID" "${NOPTRACE[@]}")" open; }
undumpable() { equals "$(proc_mem_open "$SRV_PID" "${NOPTRACE[@]}")" refused; }

serve_as serve
check_quiet "serve sets its core file size limit to 0 (soft and hard)" equals "$(core_limit)" "0 0"
check_quiet "serve is not dumpable (/proc/PID/mem refused to its own user)" undumpable
stop_server

serve_as --allow-core-dumps serve
check_quiet "with --allow-core-dumps before the command, serve is dumpable" dumpable
if [ "$INHERITED" = 0 ] || [ "${KINKO_SANITIZED:-0}" = 1 ]; then
	# The sanitizers' runtime sets the limit to 0 itself; a hard limit of 0 cannot be raised.
	ok "# SKIP the core limit inherited here is 0 (sanitizer runtime or hard limit)"
else
	check_quiet "with --allow-core-dumps the inherited core limit is left as it was" \
		equals "$(core_limit)" "$INHERITED $(ulimit -H -c)"
fi
stop_server

serve_as serve --allow-core-dumps
check_quiet "--allow-core-dumps among the command's options works as well" dumpable
stop_server
check_quiet "the help names --allow-core-dumps" sh -c "'$BANKD' --help | grep -q -- --allow-core-dumps"
start_server
stop_and_check
