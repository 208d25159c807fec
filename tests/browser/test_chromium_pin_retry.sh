#!/usr/bin/env bash
# case_pin_retry.sh in Debian's chromium (playwright-core).
# shellcheck disable=SC2034  # (read by browser_lib.sh)
BROWSER=chromium
# shellcheck source=tests/browser/case_pin_retry.sh
. "$(dirname "$0")/case_pin_retry.sh"
