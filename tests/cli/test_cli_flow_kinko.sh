#!/usr/bin/env bash
# The bank manuals' seed flow end to end with `kinko` on kinko's PKCS#11 module and two
# emulated tokens (the admin's and the user's): admin enrollment, admin logon with the
# customer card, user registration and issuance, user enrollment, user logon.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need_p11tool_on_kinko
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan "$FLOW_TESTS_all"
flow_start kinko
flow_all
