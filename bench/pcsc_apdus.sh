#!/usr/bin/env bash
# make bench's PC/SC part: the APDUs of a cold logon (C_Initialize, find and read the
# certificate, C_Login, find the key, first C_Sign: bench_sign --cold-logon MODULE) by
# OpenSC's module beside kinko's, on the same emulated token, for each emulator profile
# (kinko, yubikey, piv). Counted on the card's side of pcscd (pcscd --apdu logs every
# APDU it sends to the reader) from C_Initialize up to the first signature's last answer, so
# both modules are counted alike; kinko's module over the emulator socket is counted from its
# own trace (KINKO_DEBUG=apdu) up to the same point. The RSA-2048 key and its certificate are
# made by kinko's module on every profile. Figures, not a test: nothing asserted,
# targets shown beside (kinko <= 6, yubikey <= 8, piv <= 10, each <= 1/3 of OpenSC's).
# Without pcscd and vsmartcard-vpcd it says why and prints no table.
#   KINKO_BUILDDIR  build directory (default: the current one)
set -u
KINKO_BUILDDIR=$(cd "${KINKO_BUILDDIR:-.}" && pwd)
export KINKO_BUILDDIR
here="$(cd "$(dirname "$0")" && pwd)"
# The interop tests' kit: the token moved between the emulator socket and a vpcd reader.
# shellcheck source=tests/interop/interop_lib.sh
. "$here/../tests/interop/interop_lib.sh"
# Not TAP here: a reason to skip is said and the bench goes on without this part.
skip_all() { echo "PC/SC APDU count skipped: $1"; exit 0; }
BENCH="$KINKO_BUILDDIR/bench/bench_sign"
[ -x "$BENCH" ] || { echo "pcsc_apdus.sh: $BENCH is missing: run 'make bench'" >&2; exit 1; }
OPENSC=$(foreign_module opensc-pkcs11.so) || skip_all "opensc-pkcs11.so not installed"
command -v pkcs11-tool >/dev/null || skip_all "pkcs11-tool (opensc) not installed"
export KINKO_PCSCD_APDU_LOG=1 # pcsc_start runs pcscd --apdu
pcsc_interop_start "kinko bench"
LOG="$T/pcsc/pcscd.log"

# APDUs in pcscd's log after line $1 up to the final answer (SW 9000, the last two bytes of
# the "SW:" line, which holds the whole response; CLA without the chaining bit) of the first
# signature, a GENERAL AUTHENTICATE (87) of a key other than the card
# management key 9B; empty when there is none.
pcscd_count() {
	awk -v from="$1" 'NR <= from { next }
		/ APDU: / { sub(/.* APDU: /, ""); split($0, b, " "); n++; cla = b[1]
			if (b[2] == "87" && b[4] != "9B") sign = 1; next }
		/ SW: / && sign { if ($(NF - 1) $NF == "9000" && cla !~ /^1/) { print n; exit } }' "$LOG"
}
# cold_pcsc MODULE: its cold logon on the card in the reader, counted in pcscd's log.
cold_pcsc() {
	local from
	from=$(wc -l <"$LOG")
	if timeout 120 env -u KINKO_EMU_SOCKETS "$BENCH" --cold-logon "$1" >"$T/cold.out" 2>&1; then
		pcscd_count "$from"
	fi
}
# cold_socket: kinko's cold logon over the emulator socket, from its trace up to the mark.
cold_socket() {
	KINKO_DEBUG=apdu timeout 120 "$BENCH" --cold-logon "$MODULE" >"$T/cold.out" 2>&1 &&
		awk '/^bench: second signature/ { print n; exit } /kinko: apdu [0-9]+ > / { n++ }' "$T/cold.out"
}

declare -A TARGET=([kinko]=6 [yubikey]=8 [piv]=10)
printf '\ncold logon APDUs, C_Initialize .. first C_Sign (RSA-2048, same token per profile)\n'
printf '%-9s %14s %14s %14s %13s %s\n' profile "kinko socket" "kinko PC/SC" "OpenSC PC/SC" \
	"kinko/OpenSC" target
for prof in kinko yubikey piv; do
	state="$T/$prof.token"
	sock="-" pcsc="-" osc="-" ratio="-" made=""
	if emu_init "$state" "$T/emu-init.log" --serial "$SERIAL" --profile "$prof"; then
		token_serve "$state"
		kinko_keypair 01 rsa:2048 "bench-$prof" && made=yes
		token_out
		token_insert "$state"
		if [ -n "$made" ]; then
			osc=$(cold_pcsc "$OPENSC")
			# kinko's module over PC/SC, when it has that transport
			pcsc=$(cold_pcsc "$MODULE")
			token_out
			token_serve "$state"
			sock=$(cold_socket)
		fi
		token_out
	fi
	k=${pcsc:-$sock}
	[ -n "$k" ] && [ "$k" != - ] && [ -n "$osc" ] && [ "$osc" != - ] &&
		ratio=$(awk -v k="$k" -v o="$osc" 'BEGIN { printf "%.2f", k / o }')
	[ -n "$made" ] || sock="no key: $(tail -n 1 "$T/kp.out")"
	printf '%-9s %14s %14s %14s %13s <= %s, <= 1/3\n' "$prof" "${sock:-failed}" \
		"${pcsc:-n/a}" "${osc:-failed}" "$ratio" "${TARGET[$prof]}"
done
printf 'kinko/OpenSC uses kinko over PC/SC when it ran, else over the emulator socket\n'
