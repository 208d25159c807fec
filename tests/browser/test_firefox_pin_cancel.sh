#!/usr/bin/env bash
# case_pin_cancel.sh in Debian's firefox-esr (Marionette).
# shellcheck disable=SC2034  # (read by browser_lib.sh)
BROWSER=firefox
# shellcheck source=tests/browser/case_pin_cancel.sh
. "$(dirname "$0")/case_pin_cancel.sh"
