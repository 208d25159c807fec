#!/usr/bin/env bash
# The module over a real pcscd: the kit's private pcscd (tests/lib/pcsc.sh) with two
# vsmartcard-vpcd readers, a kinko-token-emu --vpcd card in each, and p11_pcsc_live's cases
# (slots named after the readers, login, key generation, signature, certificate write, PIN
# lockout and unblock, removal and re-insertion, two processes on one card) as this test's TAP.
set -u
SRC="${KINKO_SRCDIR:-.}"
B="${KINKO_BUILDDIR:-.}"
# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"
# shellcheck source=tests/lib/proc.sh
. "$SRC/tests/lib/proc.sh"
# shellcheck source=tests/lib/emu.sh
. "$SRC/tests/lib/emu.sh"
# shellcheck source=tests/lib/pcsc.sh
. "$SRC/tests/lib/pcsc.sh"

pcsc_need
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-p11pcsc-XXXXXX") || exit 1
trap 'pcsc_stop; rm -rf "$T"' EXIT

emu_init "$T/a.state" "$T/a.log" --serial 5001 || skip_all "kinko-token-emu --init failed"
emu_init "$T/b.state" "$T/b.log" --serial 5002 || skip_all "kinko-token-emu --init failed"
pcsc_ports 2 || skip_all "no free ports for vpcd"
pa=${PCSC_FREE_PORTS[0]} pb=${PCSC_FREE_PORTS[1]}
if ! pcsc_start "$T" "kinko A:$pa" "kinko B:$pb" ||
	! pcsc_emu "$T/a.state" "$pa" "$T/a.log" --control "$T/a.ctl" ||
	! pcsc_emu "$T/b.state" "$pb" "$T/b.log"; then
	echo "Bail out! the private pcscd or its cards did not start"
	diag "$T/pcscd.log"
	exit 1
fi

P11_PCSC_READER_A="kinko A" P11_PCSC_READER_B="kinko B" \
	P11_PCSC_SERIAL_A=5001 P11_PCSC_SERIAL_B=5002 P11_PCSC_CONTROL_A="$T/a.ctl" \
	KINKO_CONF=/dev/null KINKO_EMU_SOCKETS= "$B/tests/pkcs11/p11_pcsc_live"
