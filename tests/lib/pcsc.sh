# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The test kit's private pcscd with vsmartcard-vpcd readers and the emulated token in them
# (sourced after tap.sh and emu.sh). Every test has its own pcscd: its socket by socket
# activation (DIR/pcscd.comm, exported as PCSCLITE_CSOCK_NAME for the PC/SC clients), its own
# reader configuration, its own ports, and a private mount namespace with a tmpfs on
# /run/pcscd, where pcscd still writes its pid file and which it cleans at exit (the system
# pcscd's files, or another test's, would go otherwise).
#
#   pcsc_need                    skip_all with the reason when a private pcscd cannot run here;
#                                with KINKO_PCSC_REQUIRED=1 (./test.sh) bail out instead
#   pcsc_ports N                 N free base ports in PCSC_FREE_PORTS (a vpcd reader at PORT
#                                takes PORT and PORT+1, its two slots)
#   pcsc_start DIR NAME:PORT...  a pcscd with one vpcd reader per NAME:PORT, FRIENDLYNAME NAME
#                                (pcscd lists it as "NAME 00 00", and its empty second slot
#                                as "NAME 00 01"); log in DIR/pcscd.log, pid in
#                                PCSC_PID; waits up to 10 s until pcscd lists every reader;
#                                with KINKO_PCSCD_APDU_LOG=1 pcscd logs every APDU (--apdu)
#   pcsc_emu STATE PORT LOG [OPTION...]
#                                kinko-token-emu --vpcd 127.0.0.1:PORT with the OPTIONs, output
#                                appended to LOG, pid in EMU_SERVE_PID at once; waits up to
#                                10 s until pcscd reports the card present (not with --absent)
#   pcsc_reader PORT             the reader name pcscd gives the card on PORT ("NAME 00 00")
#   pcsc_card_present NAME / pcsc_card_absent NAME
#                                whether pcscd reports a card in reader NAME (opensc-tool -l)
#   pcsc_stop                    stops the emulators pcsc_emu started, then pcscd (SIGTERM,
#                                SIGKILL after 5 s)

PCSC_HELPER="$(dirname "${BASH_SOURCE[0]}")/pcsc_helper.py"
PCSC_VPCD_LIB="${KINKO_VPCD_LIB:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}"
# pcscd is in /usr/sbin, not on every user's PATH.
PCSC_PCSCD=$(command -v pcscd 2>/dev/null || echo /usr/sbin/pcscd)
PCSC_PID=""
PCSC_DIR=""
PCSC_EMU_PIDS=()
PCSC_READERS=() # PORT=NAME
PCSC_FREE_PORTS=()
# unshare's prefix: root gets a mount namespace; another user one inside a user namespace.
PCSC_UNSHARE=(unshare -m)
[ "$(id -u)" -eq 0 ] || PCSC_UNSHARE=(unshare -r -m)

pcsc_fail_or_skip() {
	if [ "${KINKO_PCSC_REQUIRED:-0}" = 1 ]; then
		echo "Bail out! $1 (KINKO_PCSC_REQUIRED=1)"
		exit 1
	fi
	skip_all "$1"
}

pcsc_need() {
	local t
	[ -x "$PCSC_PCSCD" ] || pcsc_fail_or_skip "pcscd not installed"
	for t in opensc-tool unshare python3 stdbuf; do
		command -v "$t" >/dev/null 2>&1 || pcsc_fail_or_skip "$t not installed"
	done
	[ -e "$PCSC_VPCD_LIB" ] || pcsc_fail_or_skip "no vsmartcard-vpcd driver at $PCSC_VPCD_LIB"
	"${PCSC_UNSHARE[@]}" sh -c 'mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd' \
		>/dev/null 2>&1 ||
		pcsc_fail_or_skip "no private mount namespace with a tmpfs on /run/pcscd (${PCSC_UNSHARE[*]})"
}

pcsc_ports() {
	local p
	PCSC_FREE_PORTS=()
	for p in $(python3 "$PCSC_HELPER" ports "$1"); do PCSC_FREE_PORTS+=("$p"); done
	[ "${#PCSC_FREE_PORTS[@]}" -eq "$1" ]
}

pcsc_reader() {
	local r
	for r in "${PCSC_READERS[@]}"; do
		[ "${r%%=*}" = "$1" ] && { echo "${r#*=} 00 00"; return 0; }
	done
	return 1
}

pcsc_list() { timeout 10 opensc-tool -l 2>/dev/null; }
pcsc_card_present() { pcsc_list | grep -qE "^[0-9]+ +Yes .*$(pcsc_re "$1")\$"; }
pcsc_card_absent() { pcsc_list | grep -qE "^[0-9]+ +No .*$(pcsc_re "$1")\$"; }
pcsc_listed() { pcsc_list | grep -qE "^[0-9]+ +(Yes|No) .*$(pcsc_re "$1")\$"; }
# A reader name as an extended regular expression matching it literally.
pcsc_re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

pcsc_start() {
	local dir="$1" spec name port i=0
	shift
	PCSC_DIR="$dir"
	PCSC_READERS=()
	mkdir -p "$dir/reader.conf.d" || return 1
	rm -f "$dir"/reader.conf.d/*
	for spec in "$@"; do
		name="${spec%:*}" port="${spec##*:}"
		# vpcd keeps its connections in static variables indexed by slot, so two readers on
		# one loaded library share them: each reader gets its own copy (a symlink or hard
		# link is the same file to dlopen, loaded once).
		cp "$PCSC_VPCD_LIB" "$dir/libifdvpcd$i.so" || return 1
		printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\n' \
			"$name" "$port" "$dir/libifdvpcd$i.so" >"$dir/reader.conf.d/reader$i"
		PCSC_READERS+=("$port=$name")
		i=$((i + 1))
	done
	# A UNIX socket's path holds at most 107 bytes.
	[ "${#dir}" -le 95 ] || { echo "# pcsc_start: $dir is too long for a socket path"; return 1; }
	export PCSCLITE_CSOCK_NAME="$dir/pcscd.comm"
	# Every step execs the next, so $! is pcscd's pid, the LISTEN_PID the helper sets.
	"${PCSC_UNSHARE[@]}" sh -c 'mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd &&
		exec python3 "$0" activate "$1" stdbuf -oL "$3" -f ${KINKO_PCSCD_APDU_LOG:+-a} -c "$2"' \
		"$PCSC_HELPER" "$PCSCLITE_CSOCK_NAME" "$dir/reader.conf.d" "$PCSC_PCSCD" >"$dir/pcscd.log" 2>&1 &
	PCSC_PID=$!
	for spec in "${PCSC_READERS[@]}"; do
		proc_wait_for 10 pcsc_listed "${spec#*=} 00 00" || {
			echo "# pcsc_start: pcscd never listed ${spec#*=} 00 00"
			diag "$dir/pcscd.log"
			return 1
		}
	done
}

pcsc_emu() {
	local state="$1" port="$2" log="$3" reader
	shift 3
	reader=$(pcsc_reader "$port") || { echo "# pcsc_emu: no reader on port $port"; return 1; }
	"${EMU_AS[@]}" "$EMU" --state "$state" --vpcd "127.0.0.1:$port" "$@" >>"$log" 2>&1 &
	EMU_SERVE_PID=$!
	PCSC_EMU_PIDS+=("$EMU_SERVE_PID")
	case " $* " in *" --absent "*) return 0 ;; esac
	proc_wait_for 10 pcsc_card_present "$reader"
}

# SIGTERM, then SIGKILL when it is not gone within 5 s.
pcsc_kill() {
	local i
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

pcsc_stop() {
	local p
	for p in "${PCSC_EMU_PIDS[@]}"; do pcsc_kill "$p"; done
	PCSC_EMU_PIDS=()
	pcsc_kill "$PCSC_PID"
	PCSC_PID=""
}
