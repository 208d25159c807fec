#!/usr/bin/env bash
# case_logon.sh in Debian's firefox-esr (Marionette).
# shellcheck disable=SC2034  # (read by browser_lib.sh)
BROWSER=firefox
# shellcheck source=tests/browser/case_logon.sh
. "$(dirname "$0")/case_logon.sh"
