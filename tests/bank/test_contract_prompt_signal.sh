#!/usr/bin/env bash
# Ctrl-C at a no-echo prompt of kinko-bankd contract add: it ends at once (130) and gives the
# terminal its echo back, at the first prompt and at the second entry of a secret. A
# pseudo-terminal (tests/lib/pty_drive.py).
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for a pseudo-terminal"
plan 4
KINKO_BANKD_NOW="$(date -u +%F)" "$BANKD" init --dir "$BANK" --bank-code "$BANK_CODE" >/dev/null

# add_ctrl_c ID EXPECT SEND ...: contract add on a pseudo-terminal, Ctrl-C after the pairs;
# the exit code printed, the echo state it left in $T/echo.
add_ctrl_c() {
	local id="$1"
	shift
	PTY_DRIVE_ECHO_FILE="$T/echo" python3 "$DRIVE" "$T/tty" 20 "$@" -- "$BANKD" contract add \
		--dir "$BANK" --company "Tty K.K." --contract-id "$id" --applied "$(date -u +%F)"
	echo $?
}

check_quiet "Ctrl-C at contract add's first prompt ends it with 130" \
	equals "$(add_ctrl_c 3000000001 'Enter the confirmation password \(B\): ' @ctrl-c)" 130
check_quiet "the terminal's echo is back after Ctrl-C at the first prompt" equals "$(cat "$T/echo")" on
check_quiet "Ctrl-C at the second entry of a secret ends contract add with 130" \
	equals "$(add_ctrl_c 3000000002 ':\s*\Z' passwB 'again: ' @ctrl-c)" 130
check_quiet "the terminal's echo is back after Ctrl-C at the second entry" equals "$(cat "$T/echo")" on
