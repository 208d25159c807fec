#!/usr/bin/env bash
# The same seed flow as test_cli_flow_kinko.sh, the same script body, on SoftHSM2: two tokens
# initialised by softhsm2-util in a private SOFTHSM2_CONF. kinko must not need kinko's module.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need pkcs11-tool
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan "$FLOW_TESTS_all"
flow_start softhsm
# kinko's module is not involved: the emulator sockets are not even set.
unset KINKO_EMU_SOCKETS
flow_all
