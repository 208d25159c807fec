# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The test kit's processes (sourced by emu.sh and bank.sh, and so by every kit user): wait for
# what a background process makes, stop it by its pid, see from outside what it keeps out of
# core dumps, and where the pseudo-terminal driver is.
#
#   DRIVE                             the kit's pseudo-terminal driver (pty_drive.py), for a
#                                     command run on a terminal: python3 "$DRIVE" ...
#   proc_wait_for SECONDS COMMAND...  runs COMMAND every 50 ms until it succeeds; fails when it
#                                     has not within SECONDS
#   proc_stop PID                     SIGTERM to PID and waits for it; its exit status in
#                                     PROC_RC. An empty PID is nothing to stop.
#   proc_core_limit PID               its core file size limit, "SOFT HARD" (0 0, unlimited ...)
#   proc_mem_open PID [PREFIX...]     whether a process run under PREFIX (setpriv) may open
#                                     /proc/PID/mem: "open", "refused" (EACCES: PID is not
#                                     dumpable) or "failed" (any other error: no such process)

DRIVE="$(dirname "${BASH_SOURCE[0]}")/pty_drive.py"

proc_wait_for() {
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

proc_stop() {
	PROC_RC=""
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PROC_RC=$?
}

proc_core_limit() {
	awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$1/limits"
}

proc_mem_open() {
	local pid="$1" err
	shift
	if err=$("$@" env LC_ALL=C sh -c "exec 3< /proc/$pid/mem" 2>&1); then
		echo open
	elif [[ $err == *"Permission denied"* ]]; then
		echo refused
	else
		echo failed
	fi
}
