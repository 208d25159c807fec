#!/usr/bin/env bash
# lib/marionette.js, the Firefox tests' Marionette client, against a scripted server: frames
# by byte length, replies matched by id, error replies, timeouts, a dropped connection.
set -u
SRC="${KINKO_SRCDIR:-$(dirname "$0")/../..}"
command -v node >/dev/null 2>&1 || { echo "1..0 # SKIP node not installed"; exit 0; }
exec timeout -k 5 60 node "$SRC/tests/browser/marionette_wire.js"
