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
n=$(browser_pin_asked GETPIN)
if [ "$n" = 1 ]; then ok "$BROWSER: one pinentry prompt only, cancelled"
else not_ok "$BROWSER: one pinentry prompt only, cancelled"; echo "# GETPIN $n times"; fi
run k_admin --json token info
if [ "$RC" -eq 0 ] && jq -e '.. | objects | select(has("pin")) | .pin == "ok"' "$T/stdout" >/dev/null; then
	ok "$BROWSER: the cancel cost no PIN try"
else
	not_ok "$BROWSER: the cancel cost no PIN try"; diag "$T/out"
fi
