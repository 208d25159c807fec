#!/bin/bash
# kinko-token-emu --vpcd: the emulated token as a card in vsmartcard-vpcd readers of a private
# pcscd (tests/lib/pcsc.sh), reached by OpenSC; removal and insertion through the control socket
# and the signals; two readers; the emulator up before pcscd and across a pcscd restart; and
# vpcd's framing played byte by byte (tests/emu/vpcd_raw.py): reset semantics, malformed lengths.
set -u
S="${KINKO_SRCDIR:-.}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-vpcd.XXXXXX")
# shellcheck source=tests/lib/tap.sh
. "$S/tests/lib/tap.sh"
# shellcheck source=tests/lib/emu.sh
. "$S/tests/lib/emu.sh"
# shellcheck source=tests/lib/pcsc.sh
. "$S/tests/lib/pcsc.sh"
RAW="$S/tests/emu/vpcd_raw.py"
RAW_PID=""
cleanup() {
	pcsc_stop
	pcsc_kill "$RAW_PID"
	rm -rf "$T"
}
trap cleanup EXIT

[ -x "$EMU" ] || skip_all "kinko-token-emu not built"
pcsc_need
plan 19

equals() { [ "$1" = "$2" ]; }

ctl() { python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); sys.stdout.write(s.recv(64).decode())' "$1" "$2"; }

emu_init "$T/a" "$T/init.log" --serial 1001 || { cat "$T/init.log"; exit 1; }
emu_init "$T/b" "$T/init.log" --serial 1002 || { cat "$T/init.log"; exit 1; }
pcsc_ports 2 || { echo "Bail out! no free ports"; exit 1; }
PA=${PCSC_FREE_PORTS[0]} PB=${PCSC_FREE_PORTS[1]}

# The emulator first: it waits for vpcd, and the card is there once pcscd comes up.
"$EMU" --state "$T/a" --vpcd "127.0.0.1:$PA" --control "$T/ctl_a" >>"$T/emu_a.log" 2>&1 &
EMU_A=$!
PCSC_EMU_PIDS+=("$EMU_A")
started=$(date +%s%N)
if pcsc_start "$T/pcsc" "kinko A:$PA" "Yubico YubiKey B:$PB"; then
	echo "# pcscd listed both readers after $((($(date +%s%N) - started) / 1000000)) ms"
	ok "pcsc_start: a private pcscd lists one vpcd reader per NAME:PORT"
else
	not_ok "pcsc_start: a private pcscd lists one vpcd reader per NAME:PORT"
	diag "$T/pcsc/pcscd.log"
fi
RA="kinko A 00 00" RB="Yubico YubiKey B 00 00"
check_quiet "an emulator started before pcscd is in its reader once pcscd is up" \
	proc_wait_for 10 pcsc_card_present "$RA"
echo "# card present after $((($(date +%s%N) - started) / 1000000)) ms from pcscd's start"
if grep -qx "$PCSC_PID" /run/pcscd/pcscd.pid 2>/dev/null; then
	not_ok "pcscd's pid file went to the private /run/pcscd, not the host's"
else ok "pcscd's pid file went to the private /run/pcscd, not the host's"; fi

check "opensc-tool -n names the emulated token a PIV card" \
	timeout 20 opensc-tool -r "$RA" -n
check_out "opensc-tool -n says PIV" "Personal Identity Verification Card"
check "opensc-tool -s SELECT PIV gets 9000 from the emulator" \
	timeout 20 opensc-tool -r "$RA" -s 00A4040009A0000003080000100000
check_out "the SELECT's status word is 9000" "SW1=0x90, SW2=0x00"

started=$(date +%s%N)
pcsc_emu "$T/b" "$PB" "$T/emu_b.log" --control "$T/ctl_b"
echo "# second card present after $((($(date +%s%N) - started) / 1000000)) ms"
check_quiet "two readers, two emulators: both cards present" \
	eval 'pcsc_card_present "$RA" && pcsc_card_present "$RB"'

check_quiet "control 'remove' answers ok absent" equals "$(ctl "$T/ctl_a" remove)" "ok absent"
check_quiet "the removal reaches pcscd, the other reader keeps its card" \
	eval 'proc_wait_for 10 pcsc_card_absent "$RA" && pcsc_card_present "$RB"'
ctl "$T/ctl_a" insert >/dev/null
check_quiet "control 'insert': pcscd sees the card again and OpenSC selects PIV" \
	eval 'proc_wait_for 10 pcsc_card_present "$RA" &&
		timeout 20 opensc-tool -r "$RA" -s 00A4040009A0000003080000100000 2>&1 | grep -q "SW1=0x90, SW2=0x00"'
kill -USR1 "$EMU_A"
ok_removed=0
proc_wait_for 10 pcsc_card_absent "$RA" && ok_removed=1
kill -USR2 "$EMU_A"
check_quiet "SIGUSR1 removes the card and SIGUSR2 inserts it, as pcscd sees" \
	eval '[ "$ok_removed" = 1 ] && proc_wait_for 10 pcsc_card_present "$RA"'

# pcscd goes away and comes back on the same ports: the emulators reconnect.
pcsc_kill "$PCSC_PID"
pcsc_start "$T/pcsc" "kinko A:$PA" "Yubico YubiKey B:$PB" >/dev/null
check_quiet "after a pcscd restart both emulators are back in their readers" \
	eval 'proc_wait_for 10 pcsc_card_present "$RA" && proc_wait_for 10 pcsc_card_present "$RB"'
pcsc_stop

# vpcd played byte by byte: no pcscd.
raw() {
	rm -f "$T/port"
	python3 "$RAW" "$T/port" "$1" 2>"$T/raw.err" &
	RAW_PID=$!
	proc_wait_for 10 test -s "$T/port" || return 1
	pcsc_emu_raw "$(cat "$T/port")"
	wait "$RAW_PID"
	local rc=$?
	RAW_PID=""
	diag "$T/raw.err"
	return $rc
}
pcsc_emu_raw() {
	"$EMU" --state "$T/a" --vpcd "127.0.0.1:$1" >>"$T/emu_raw.log" 2>&1 &
	PCSC_EMU_PIDS+=("$!")
}
check_quiet "vpcd's power on and reset (01, 02) and a power cycle reset the PIN state; 04 gets the ATR" \
	raw reset
check_quiet "malformed vpcd framing (cut lengths and payloads, junk, 1- and 0-byte payloads): answered, reconnected" \
	raw malformed
check_quiet "the emulator is still running after the malformed framing" \
	kill -0 "${PCSC_EMU_PIDS[${#PCSC_EMU_PIDS[@]} - 1]}"

# Usage errors (exit 2) before anything is served.
usage() { "$EMU" --state "$T/a" "$@" >"$T/usage.out" 2>&1; [ $? = 2 ]; }
check_quiet "--vpcd with --socket is a usage error" usage --vpcd 127.0.0.1:1 --socket "$T/s"
check_quiet "--vpcd without a port from 1 to 65535 is a usage error" \
	eval 'usage --vpcd 127.0.0.1 && usage --vpcd 127.0.0.1:0 && usage --vpcd 127.0.0.1:65536 && usage --vpcd :5'
check_quiet "--vpcd with --lock-timeout is a usage error" usage --vpcd 127.0.0.1:1 --lock-timeout 1000
