#!/usr/bin/env bash
# The renewal of test_cli_renew.sh, the same script body, on SoftHSM2 (two tokens initialised
# by softhsm2-util in a private SOFTHSM2_CONF; the copy of the user's token from before the
# renewal is a copy of the token directory).
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need pkcs11-tool
need sqlite3
need openssl
[ -x "$KINKO" ] || bail "$KINKO not built"

plan $((FLOW_TESTS_all - FLOW_TESTS_user_logon + FLOW_TESTS_renewal))
flow_start softhsm
unset KINKO_EMU_SOCKETS
flow_to_user_enroll
flow_renewal
