#!/usr/bin/env bash
# lib/firefox.js on its own, against a local HTTP server: every call of the driver interface,
# a load that never answers failing by the step timeout, close() leaving no process behind.
set -u
SRC="${KINKO_SRCDIR:-$(dirname "$0")/../..}"
# A browser start costs seconds: in the browser stage only, like the scenario runs.
[ "${KINKO_BROWSER_STAGE:-0}" = 1 ] || { echo "1..0 # SKIP browser tests run in make check-browser"; exit 0; }
missing() {
	[ "${KINKO_BROWSER_REQUIRED:-0}" = 1 ] && { echo "Bail out! $1 (KINKO_BROWSER_REQUIRED=1)"; exit 1; }
	echo "1..0 # SKIP $1"
	exit 0
}
command -v node >/dev/null 2>&1 || missing "node not installed"
command -v "${KINKO_FIREFOX:-firefox-esr}" >/dev/null 2>&1 || missing "firefox-esr not installed"
dir=$(mktemp -d "${TMPDIR:-/tmp}/kinko-firefox-driver.XXXXXX")
trap 'rm -rf "$dir"' EXIT
timeout -k 5 120 node "$SRC/tests/browser/firefox_driver.js" "$dir"
