#!/usr/bin/env bash
# A signal that lands between the no-echo prompt's write and its read still ends kinko at once.
# The window is made wide on purpose: strace holds the prompt's write(2) on its way back for
# 1.5 s (inject delay_exit) while SIGTERM is sent, so the handler runs before the read starts.
# Before the fix kinko's read then waited for a line forever (test_cli_core_dumps hung on a
# loaded machine the same way); now the signals are blocked until ppoll waits, which takes them
# atomically.
. "$(dirname "$0")/cli_lib.sh"
need python3
need strace
[ -x "$KINKO" ] || bail "$KINKO not built"
[ "${KINKO_SANITIZED:-0}" != 1 ] || skip_all "sanitizer build: strace's delays and ASan's runtime do not mix well"
strace -qq -o /dev/null true 2>/dev/null || skip_all "strace cannot trace here (ptrace not allowed)"

plan 2
tokens_backend kinko
token_new t1

# kinko at the token PIN prompt on a pseudo-terminal under strace, in the background; strace's
# pid in $T/pid once the prompt is up. Its child is kinko: the signal is for kinko, not strace.
PTY_DRIVE_PID_FILE="$T/pid" python3 "$DRIVE" "$T/tty" 30 'PIN: ' @none -- \
	strace -qq -o /dev/null -e trace=write -e inject=write:delay_exit=1500000 \
	"$KINKO" --module "$MODULE" pin check >/dev/null 2>&1 &
drive=$!
check_quiet "kinko waits at the token PIN prompt (its write held by strace)" proc_wait_for 30 test -s "$T/pid"
traced=$(cat "$T/pid" 2>/dev/null)
child=$(cat "/proc/$traced/task/$traced/children" 2>/dev/null)
child=${child%% *}
kill -TERM "${child:-$traced}" 2>/dev/null
# pty_drive writes the transcript when the command has ended.
check_quiet "SIGTERM between the prompt's write and its read ends kinko within seconds" \
	proc_wait_for 8 test -e "$T/tty"
[ -e "$T/tty" ] || kill -KILL "${child:-$traced}" 2>/dev/null
wait "$drive" || true
