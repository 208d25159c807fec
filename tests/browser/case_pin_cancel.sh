# shellcheck shell=bash
# Cancel at the pinentry in $BROWSER (test_<browser>_pin_cancel.sh): the browser goes on
# without a certificate and the bank's page says one is needed; one prompt only (the module
# remembers the cancel while the browser searches its keys again); the token's tries untouched.
# shellcheck source=tests/browser/browser_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/browser_lib.sh"
browser_need

plan $(($(browser_steps cancel) + 2))
browser_bank admin
browser_setup admin
browser_run cancel admin cancel
browser_check_asked "one pinentry prompt only, cancelled" GETPIN=1
browser_check_tries_full "the cancel cost no PIN try"
