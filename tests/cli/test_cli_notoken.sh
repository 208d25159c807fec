#!/usr/bin/env bash
# "No token found" says where kinko looked and what to check: the module; with kinko's module
# the emulator sockets (from the module's slot descriptions) and whether USB is on; PC/SC
# readers as slots; then: token plugged in, emulator running, udev rule / permissions, KINKO_MODULE.
CLI_TMP_PREFIX=kinko-cli-nt
. "$(dirname "$0")/cli_lib.sh"

plan 9

tokens_backend kinko
k() { timeout -k 5 60 setsid -w "$KINKO" "$@"; }
KINKO_EMU_SOCKETS="$T/a.sock:$T/b.sock"

run k --module "$MODULE" token list
check_ok_out "kinko module, sockets without emulators: token list names the module and sockets" \
	"no token found" "$MODULE" "$T/a.sock" "$T/b.sock" "KINKO_EMU_SOCKETS"
check_out "... says USB is off, PC/SC readers are slots" "USB" "off" "PC/SC" "pcsc = no"
check_out "... and what to check" "plugged in" "emulator" "udev" "KINKO_MODULE"

printf 'usb = yes\n' >"$T/usb.conf"
KINKO_CONF="$T/usb.conf" KINKO_EMU_SOCKETS="" run k --module "$MODULE" token list
check_ok_out "USB on and no socket: says so" "no token found" "no emulator socket" "USB" "on"

run k --module "$MODULE" certs
check_rc_out "certs with no token: exit 3, where kinko looked" 3 "no token found" "$T/a.sock" \
	"plugged in"

run k --json --module "$MODULE" token list
if python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); sys.exit(0 if o["tokens"] == [] and o["searched"]["module"] and len(o["searched"]["slots"]) == 2 else 1)' "$T/stdout" 2>/dev/null
then ok "--json: no tokens, and where kinko looked"; else not_ok "--json: no tokens, and where kinko looked"; diag "$T/out"; fi

run k --json --module "$MODULE" certs
check_rc_out "--json certs with no token: exit 3, JSON error" 3 '"exit":3' "no token found"

if have_softhsm; then
	tokens_backend softhsm
	run k --module "$MODULE" token list
	check_ok_out "softhsm, no initialised token: names the module and its slots" "no token found" \
		"$MODULE" "SoftHSM" "KINKO_MODULE"
	if grep -q "emulator\|USB" "$T/out"; then not_ok "softhsm: no kinko-module details"; diag "$T/out"
	else ok "softhsm: no kinko-module details"; fi
else
	skip "softhsm: names the module and its slots" "SoftHSM2 not installed"
	skip "softhsm: no kinko-module details" "SoftHSM2 not installed"
fi
