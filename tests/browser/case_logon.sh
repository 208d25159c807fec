# shellcheck shell=bash
# The manuals' day in $BROWSER (test_<browser>_logon.sh): the admin logs on (the token PIN
# from the pinentry, イ, the customer card), opens ご契約先管理情報変更, registers a user,
# issues to the user (ロ) and logs off; the user, enrolled with kinko, logs on (ト) and off.
# shellcheck source=tests/browser/browser_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/browser_lib.sh"
browser_need

plan $(($(browser_steps admin) + 2 + $(browser_steps user) + 1))
browser_bank admin user
browser_setup admin
browser_run admin admin "pin:$TOKEN_PIN"
browser_check_asked "the admin's token PIN was asked once, by the pinentry" GETPIN=1
if bank_snapshot main | grep -q "^user|$CONTRACT|$USER_ID|[0-9]"; then
	ok "$BROWSER: the bank recorded the user the admin registered and issued to"
else
	not_ok "$BROWSER: the bank recorded the user the admin registered and issued to"; bank_snapshot main | sed 's/^/# /'
fi

browser_enroll_user
browser_setup user
# The user's certificate chosen as an administrator would set it for Chromium: by policy.
BROWSER_CERT_CHOICE=policy browser_run user user "pin:$TOKEN_PIN"
browser_check_asked "the user's token PIN was asked once, by the pinentry" GETPIN=1
