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
g=$(browser_pin_asked GETPIN)
e=$(browser_pin_asked SETERROR)
if [ "$g" = 2 ] && [ "$e" = 1 ]; then ok "$BROWSER: the pinentry asked twice, the second time with an error line"
else not_ok "$BROWSER: the pinentry asked twice, the second time with an error line"; echo "# GETPIN $g, SETERROR $e"; fi
# After the browser closed: the token is free for kinko, and the right PIN restored the tries.
run k_admin --json token info
if [ "$RC" -eq 0 ] && jq -e '.. | objects | select(has("pin")) | .pin == "ok"' "$T/stdout" >/dev/null; then
	ok "$BROWSER: the token's PIN tries are back to full"
else
	not_ok "$BROWSER: the token's PIN tries are back to full"; diag "$T/out"
fi
