#!/usr/bin/env bash
# kinko holds token PINs and bank secrets in memory: it always runs with RLIMIT_CORE 0 and
# non-dumpable (no core file, no /proc/PID/mem for other processes of the user). Seen from
# outside while kinko waits at the token PIN prompt on a pseudo-terminal. As root the probe and
# kinko both run without CAP_SYS_PTRACE (setpriv), which would open /proc/PID/mem anyway.
. "$(dirname "$0")/cli_lib.sh"
need python3
[ "$(id -u)" != 0 ] || need setpriv
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 3
tokens_backend kinko
token_new t1
# A core limit to inherit that is not 0, so that kinko's own limit shows.
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
NOPTRACE=()
[ "$(id -u)" = 0 ] && NOPTRACE=(setpriv --bounding-set=-sys_ptrace)
# kinko at the token PIN prompt on a pseudo-terminal, in the background; its pid in $T/pid once
# the prompt is up.
PTY_DRIVE_PID_FILE="$T/pid" "${NOPTRACE[@]}" python3 "$DRIVE" "$T/tty" 30 'PIN: ' @none -- \
	"$KINKO" --module "$MODULE" pin check >/dev/null 2>&1 &
drive=$!
check_quiet "kinko pin check waits at the token PIN prompt on a terminal" proc_wait_for 30 test -s "$T/pid"
pid=$(cat "$T/pid" 2>/dev/null)
check_quiet "kinko's core file size limit is 0 (soft and hard)" test "$(proc_core_limit "$pid")" = "0 0"
check_quiet "kinko is not dumpable: its /proc/PID/mem is refused to its own user" \
	test "$(proc_mem_open "$pid" "${NOPTRACE[@]}")" = refused
[ -z "$pid" ] || kill -TERM "$pid"
wait "$drive" || true
