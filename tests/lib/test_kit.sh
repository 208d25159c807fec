#!/bin/bash
# The shell test kit's own helpers: the predicates the bank tests build their checks on, the
# card reader of the logon tests, and the waiting and stopping of background processes, pinned
# on fixed input (no bank, no token).
# shellcheck source=tests/bank/bank_lib.sh
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 16
printf 'status: ok\n' >"$T/body"
check_quiet "contains finds a string that is there" contains "$T/body" "ok"
if contains "$T/body" "missing"; then not_ok "contains fails on a string that is not there"
else ok "contains fails on a string that is not there"; fi
# An empty needle matches every file (grep -F ''): a check built on it would prove nothing.
if contains "$T/body" ""; then not_ok "contains refuses an empty string"
else ok "contains refuses an empty string"; fi

# The layout of kinko-bankd's printout: a header of column numbers, then a row letter and a
# digit per column.
printf 'Customer card\n    0 1 2 3\n  A 5 7 2 9\n  C 4 0 6 8\n' >"$T/card"
check_quiet "card_digits reads the digits at the positions, in order" \
	equals "$(card_digits "$T/card" "C3 A1")" "87"
check_quiet "card_digits of no position is empty" equals "$(card_digits "$T/card" "")" ""

# A background process: waited for by what it makes, stopped by its pid with its exit status.
(sleep 0.3 && : >"$T/made") &
maker=$!
check_quiet "proc_wait_for waits until the command succeeds" proc_wait_for 5 test -e "$T/made"
wait "$maker"
started=$SECONDS
if proc_wait_for 1 test -e "$T/never"; then not_ok "proc_wait_for fails when the command never succeeds"
else ok "proc_wait_for fails when the command never succeeds"; fi
echo "# gave up after $((SECONDS - started)) s"
sleep 30 &
sleeper=$!
# Stopped once it is sleep: a SIGTERM between the fork and the exec reaches a copy of this
# shell, which runs the EXIT trap's cleanup instead of dying by the signal.
proc_wait_for 5 grep -qx sleep "/proc/$sleeper/comm"
proc_stop "$sleeper"
check_quiet "proc_stop ends the process by SIGTERM and gives its exit status (143)" equals "$PROC_RC" 143
proc_stop ""
check_quiet "proc_stop of no pid stops nothing and gives no status" equals "$PROC_RC" ""

# The private pcscd's kit (pcsc.sh), without pcscd: its ports, reader names and skip rule.
# shellcheck source=tests/lib/pcsc.sh
. "${KINKO_SRCDIR:-.}/tests/lib/emu.sh"
. "${KINKO_SRCDIR:-.}/tests/lib/pcsc.sh"
pcsc_ports 3
check_quiet "pcsc_ports gives N free port pairs (PORT and PORT+1 for a vpcd reader's two slots)" \
	python3 -c 'import socket, sys
ps = [int(p) for p in sys.argv[1:]]
assert len(ps) == 3 and len(set(ps)) == 3
assert all(abs(a - b) > 1 for a in ps for b in ps if a != b)
for p in ps + [p + 1 for p in ps]:
    s = socket.socket(); s.bind(("0.0.0.0", p)); s.close()' "${PCSC_FREE_PORTS[@]}"
check_quiet "pcsc_re matches a reader name literally" \
	eval 'echo "0    Yes  Yubico (x) [1] 00 00" | grep -qE "Yes .*$(pcsc_re "Yubico (x) [1] 00 00")\$" &&
		! echo "0    Yes  Yubico xx 00 00" | grep -qE "Yes .*$(pcsc_re "Yubico (x) 00 00")\$"'
check_quiet "pcsc_fail_or_skip skips the script with the reason" \
	equals "$(KINKO_PCSC_REQUIRED=0 bash -c '. "$1"; . "$2"; pcsc_fail_or_skip "no pcscd"' _ \
		"${KINKO_SRCDIR:-.}/tests/lib/tap.sh" "${KINKO_SRCDIR:-.}/tests/lib/pcsc.sh")" "1..0 # SKIP no pcscd"
# ./test.sh sets KINKO_PCSC_REQUIRED=1: the PC/SC tests must run there, so a missing piece fails.
out=$(KINKO_PCSC_REQUIRED=1 bash -c '. "$1"; . "$2"; pcsc_fail_or_skip "no pcscd"' _ \
	"${KINKO_SRCDIR:-.}/tests/lib/tap.sh" "${KINKO_SRCDIR:-.}/tests/lib/pcsc.sh")
rc=$?
check_quiet "pcsc_fail_or_skip bails out (exit 1) under KINKO_PCSC_REQUIRED=1" \
	eval '[ "$rc" = 1 ] && [ "$out" = "Bail out! no pcscd (KINKO_PCSC_REQUIRED=1)" ]'

check_quiet "need skips a test whose tool is missing" \
	equals "$(KINKO_INTEROP_REQUIRED=0 bash -c '. "$1"; need kinko-no-such-tool' _ \
		"${KINKO_SRCDIR:-.}/tests/lib/tap.sh")" "1..0 # SKIP kinko-no-such-tool not installed"
out=$(KINKO_INTEROP_REQUIRED=1 bash -c '. "$1"; need kinko-no-such-tool' _ "${KINKO_SRCDIR:-.}/tests/lib/tap.sh")
rc=$?
check_quiet "need bails out (exit 1) under KINKO_INTEROP_REQUIRED=1" \
	eval '[ "$rc" = 1 ] && [ "$out" = "Bail out! kinko-no-such-tool not installed (KINKO_INTEROP_REQUIRED=1)" ]'

# A system pcscd (socket-activated once pcscd is installed, with vsmartcard's readers) would
# add slots to every module and CLI test: make check points PC/SC clients elsewhere.
check_quiet "the suite's PC/SC clients reach no system pcscd (PCSCLITE_CSOCK_NAME set, no socket)" \
	eval '[ -n "${PCSCLITE_CSOCK_NAME:-}" ] && [ "$PCSCLITE_CSOCK_NAME" != /run/pcscd/pcscd.comm ] && [ ! -S "$PCSCLITE_CSOCK_NAME" ]'
