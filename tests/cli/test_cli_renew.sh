#!/usr/bin/env bash
# Renewal end to end (S6, the manuals' "migration") on kinko's module and emulated tokens:
# after the seed flow, `kinko renew` gives the user and then the admin a new key and
# certificate (EST simplereenroll over mTLS with the current one); the new one logs on, the
# old key and certificate are gone from the token, the bank revoked the old certificate (CRL),
# and the old certificate is refused at logon: a copy of the token taken before the renewal,
# which still holds the old key, cannot log on any more; the new key pair and certificate end
# in the logon slot 9A (CKA_ID 01), where the logons after the renewal used them.
# test_cli_renew_softhsm.sh: the same on SoftHSM2.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need_p11tool_on_kinko
need sqlite3
need openssl
[ -x "$KINKO" ] || bail "$KINKO not built"

plan $((FLOW_TESTS_all - FLOW_TESTS_user_logon + FLOW_TESTS_renewal + 2))
flow_start kinko
flow_to_user_enroll
flow_renewal
for who in user admin; do
	ids=$(token_objects "$who" | sed -n 's/.*ID: *\([0-9a-f]*\).*/\1/p' | sort -u | tr '\n' ' ')
	n=$(token_objects "$who" | grep -c 'ID:')
	if [ "$ids" = "01 " ] && [ "$n" = 3 ]; then
		ok "$who: the renewed key, public key and certificate have CKA_ID 01 (slot 9A)"
	else
		not_ok "$who: the renewed key, public key and certificate have CKA_ID 01 (slot 9A)"
		token_objects "$who" | sed 's/^/# /'
	fi
done
