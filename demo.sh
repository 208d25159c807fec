#!/usr/bin/env bash
# kinko's demo: installs what is missing, builds, and runs the emulated token.
# (The seed flows of the bank manuals join this demo as the module and the tools land.)
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

step() { printf '\n== %s\n' "$*"; }

step "Installing what is missing and building"
scripts/deps.sh
scripts/build.sh "$top/_build/demo" --enable-werror

work=$(mktemp -d "${TMPDIR:-/tmp}/kinko-demo.XXXXXX")
emu_pid=""
cleanup() {
	[ -n "$emu_pid" ] && kill -TERM "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

emu="$top/_build/demo/kinko-token-emu"
step "Provisioning a fresh token (factory defaults: PIN 123456, PUK 12345678)"
"$emu" --state "$work/token.state" --init

step "Starting the token emulator"
"$emu" --state "$work/token.state" --socket "$work/token.sock" &
emu_pid=$!
for _ in $(seq 50); do [ -S "$work/token.sock" ] && break; sleep 0.1; done
[ -S "$work/token.sock" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "token emulator serving CCID on $work/token.sock (pid $emu_pid)"

if [ -t 0 ]; then
	step "Running until Ctrl-C"
	wait "$emu_pid" || true
	emu_pid=""
fi
step "Done"
