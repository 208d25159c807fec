# shellcheck shell=bash
# A wrong token PIN, then the right one, in $BROWSER (test_<browser>_pin_retry.sh): the module
# asks the pinentry again with an error line (never the browser, which would burn the tries);
# the logon goes through; afterwards the token's PIN tries are back to full.
# shellcheck source=tests/browser/browser_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/browser_lib.sh"
browser_need

plan $(($(browser_steps retry) + 2))
browser_bank admin
browser_setup admin
browser_run retry admin "pin:99999999" "pin:$TOKEN_PIN"
browser_check_asked "the pinentry asked twice, the second time with an error line" GETPIN=2 SETERROR=1
browser_check_tries_full "the token's PIN tries are back to full"
