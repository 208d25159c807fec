# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The test kit's background processes (sourced by emu.sh and bank.sh, and by tests that start a
# server of their own): wait for what a started process makes, stop it by its pid.
#
#   proc_wait_for SECONDS COMMAND...  runs COMMAND every 50 ms until it succeeds; fails when it
#                                     has not within SECONDS
#   proc_stop PID                     SIGTERM to PID and waits for it; its exit status in
#                                     PROC_RC. An empty PID is nothing to stop.

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
