#!/usr/bin/env bash
# case_pin_cancel.sh in Debian's chromium (playwright-core).
# shellcheck disable=SC2034  # (read by browser_lib.sh)
BROWSER=chromium
# shellcheck source=tests/browser/case_pin_cancel.sh
. "$(dirname "$0")/case_pin_cancel.sh"
