#!/usr/bin/env bash
# kinko-bankd with few file descriptors (ulimit -n 64) and 80 idle connections: it neither spins
# nor floods its log (accepting pauses, one line per interval with a count), caps its open
# connections (serve --max-connections, by default the limit minus a reserve), and answers a
# normal client once the idle connections are gone.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 9
new_bank "$(date -u +%F)"

# serve_limited [ARGS...]: the server with 64 file descriptors (soft and hard), its log in
# $T/fds.log.
serve_limited() {
	local BANK_SERVE_CMD=(prlimit --nofile=64 -- "$BANKD" serve)
	: > "$T/fds.log"
	bank_serve "$BANK" "$T/port" "$T/fds.log" "" "$@"
	SRV_PID=$BANK_SERVE_PID
	PORT=$(cat "$T/port" 2>/dev/null)
}

# idle_flood: 80 idle TCP connections for 3 s (tests/lib/idle_flood.py); prints the server's CPU
# ticks (utime + stime) over those 3 s, then closes them and times a normal HTTPS request.
idle_flood() {
	python3 "${KINKO_SRCDIR:-.}/tests/lib/idle_flood.py" "${PORT:-1}" "$BANK/ca.crt" "$SRV_PID"
}

# Default cap: 64 - 32 = 32 connections open at most, the rest wait in the kernel's queue.
serve_limited
idle_flood > "$T/a.out" 2>&1
sed 's/^/# /' "$T/a.out"
sed 's/^/# log: /' "$T/fds.log" | head -5
check_quiet "the default cap keeps the server's CPU low with 80 idle connections (< 0.3 s in 3 s)" \
	awk -v t="$(sed -n 's/^cpu_ticks //p' "$T/a.out")" 'BEGIN { exit !(t != "" && t < 30) }'
check_quiet "its log stays small (< 10 lines)" awk -v n="$(wc -l < "$T/fds.log")" 'BEGIN { exit !(n < 10) }'
check_quiet "the log says the connection limit was reached" contains "$T/fds.log" "the limit (--max-connections)"
check_quiet "a normal client is answered once the idle connections close" contains "$T/a.out" "status 200"
stop_server

# A cap above the descriptors: accept() fails with EMFILE; accepting pauses.
serve_limited --max-connections 1000
idle_flood > "$T/b.out" 2>&1
sed 's/^/# /' "$T/b.out"
sed 's/^/# log: /' "$T/fds.log" | head -5
check_quiet "out of descriptors, the server's CPU stays low (< 0.3 s in 3 s)" \
	awk -v t="$(sed -n 's/^cpu_ticks //p' "$T/b.out")" 'BEGIN { exit !(t != "" && t < 30) }'
check_quiet "its log stays small (< 10 lines) and counts the failures" \
	awk -v n="$(wc -l < "$T/fds.log")" 'BEGIN { exit !(n < 10) }'
check_quiet "the log names the cause once" equals "$(grep -c 'cannot accept connections: Too many open files' "$T/fds.log")" 1
check_quiet "a normal client is answered once the idle connections close" contains "$T/b.out" "status 200"
: > "$T/server.log"
stop_and_check
