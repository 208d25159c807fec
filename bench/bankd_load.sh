#!/usr/bin/env bash
# kinko-bankd under load and under attack: the README's figures, re-measured on a built tree.
#   bench/bankd_load.sh [BUILDDIR]     (default _build/plain; builds nothing)
#   BENCH_SECONDS  seconds per wrk run (default 3)
# Needs wrk (apt-get install wrk), curl, python3. A bench, not a test: never run by make check.
# Prints one table; figures are medians of 3 runs where a run is cheap (the wrk rates).
set -u

builddir=$(cd "${1:-_build/plain}" && pwd) || exit 1
KINKO_BUILDDIR=$builddir
# shellcheck source=tests/lib/bank.sh
. "$(dirname "$0")/../tests/lib/bank.sh"
SECS=${BENCH_SECONDS:-3}
NPROC=$(nproc)
for tool in "$BANKD" wrk curl python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bankd_load.sh: $tool is missing (build the tree; apt-get install wrk curl python3)" >&2
		exit 1
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-load.XXXXXX")
BANK="$T/bank"
SRV_PID=""
CONTRACT=1234567890
stop_server() {
	proc_stop "$SRV_PID"
	SRV_PID=""
}
cleanup() {
	stop_server
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BANKD" init --dir "$BANK" --bank-code 0123 --bank-name "Load Bank" >/dev/null || exit 1
# The secrets go through a 0600 file, never the command line.
(umask 077; printf 'confirmation_password=passw0rdB\ncontract_pin=1111\ncontract_confirmation_pin=2222\n' > "$T/secrets")
"$BANKD" contract add --dir "$BANK" --company "Load K.K." --contract-id "$CONTRACT" \
	--applied "$(date -u +%F)" --approval auto --secrets-file "$T/secrets" > "$T/card" || exit 1

# start_server ULIMIT_N [ENV=VAL...]: the bank on a free port, with the serve options in
# $SERVE_ARGS; its log in $T/server.log.
start_server() {
	local BANK_SERVE_CMD=(prlimit --nofile="$1" -- env "${@:2}" "$BANKD" serve)
	: > "$T/server.log"
	# shellcheck disable=SC2086 # SERVE_ARGS: several options
	bank_serve "$BANK" "$T/port" "$T/server.log" "" ${SERVE_ARGS:-}
	SRV_PID=$BANK_SERVE_PID
	PORT=$(cat "$T/port")
	URL="https://127.0.0.1:$PORT/.well-known/est/cacerts"
}

load_note() { echo "# load before '$1': $(uptime | sed 's/.*load average/load average/'); busy: $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 20 { printf "%s(%s%%) ", $2, $1 }')"; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }

# wrk_run CONNS [wrk args]: "req/s errors" of one run (errors: socket errors + non-2xx).
wrk_run() {
	local c="$1" t
	shift
	t=$((c < NPROC ? c : NPROC))
	wrk -t"$t" -c"$c" -d"${SECS}s" --timeout 10s "$@" "$URL" 2>&1 | awk '
		/Requests\/sec/ { rps = $2 }
		/Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
		/Non-2xx/ { e += $5 }
		END { printf "%.0f %d\n", rps, e }'
}
# wrk3 CONNS [wrk args]: median req/s and the errors' total over 3 runs.
wrk3() {
	local r1 r2 r3
	r1=$(wrk_run "$@"); r2=$(wrk_run "$@"); r3=$(wrk_run "$@")
	printf '%s\n%s\n%s\n' "$r1" "$r2" "$r3" > "$T/wrk3"
	echo "$(cut -d' ' -f1 "$T/wrk3" | median) $(awk '{ s += $2 } END { print s }' "$T/wrk3")"
}

# probe N: a normal client's cacerts latency (new connection each, 0.2 s apart), "median max ms".
probe() {
	local i
	: > "$T/probe"
	for i in $(seq "$1"); do
		curl -s -o /dev/null --cacert "$BANK/ca.crt" --max-time 30 -w '%{time_total} %{http_code}\n' \
			"https://localhost:$PORT/.well-known/est/cacerts" >> "$T/probe"
		sleep 0.2
	done
	local med max bad
	med=$(awk '{ printf "%.0f\n", $1 * 1000 }' "$T/probe" | median)
	max=$(awk '{ v = $1 * 1000; if (v > m) m = v } END { printf "%.0f", m }' "$T/probe")
	bad=$(awk '$2 != 200' "$T/probe" | wc -l)
	echo "$med $max $bad"
}

# The flood's lua: simpleenroll POSTs, alternately an unknown contract and wrong secrets of the
# real one (each costs the bank scrypt unless the rate limit answers 429 first).
cat > "$T/flood.lua" <<EOF
local n = 0
local csr = "MIIBAAAA"
request = function()
	n = n + 1
	local user = (n % 2 == 0) and "99999999" .. string.format("%02d", n % 100) or "$CONTRACT"
	local auth = user .. ":9999"
	return wrk.format("POST", "/.well-known/est/simpleenroll", {
		["Authorization"] = "Basic " .. b64(auth),
		["Kinko-Confirmation-PIN"] = "9999",
		["Content-Type"] = "application/pkcs10" }, csr)
end
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function b64(s)
	return ((s:gsub(".", function(x)
		local r, b = "", x:byte()
		for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
		return r
	end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
		if #x < 6 then return "" end
		local c = 0
		for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
		return chars:sub(c + 1, c + 1)
	end) .. ({ "", "==", "=" })[#s % 3 + 1])
end
local codes = {}
response = function(status) codes[status] = (codes[status] or 0) + 1 end
EOF

# flood: 32 clients POST for 8 s while a normal client probes cacerts; "median max bad posts/s".
flood() {
	wrk -t"$NPROC" -c32 -d8s --timeout 10s -s "$T/flood.lua" \
		"https://127.0.0.1:$PORT/.well-known/est/simpleenroll" > "$T/flood.out" 2>&1 &
	local wpid=$!
	sleep 1
	local p
	p=$(probe 20)
	wait "$wpid"
	echo "$p $(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$T/flood.out")"
}

# slowloris: 500 TLS connections sending one byte of a request every 5 s for 25 s; a normal
# client probes meanwhile. Prints "closed_by_12s closed_by_25s open_at_end".
cat > "$T/slowloris.py" <<'PY'
import socket, ssl, sys, time, select
port, n, dur = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
req = b"GET /.well-known/est/cacerts HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 4000
conns = []
t0 = time.monotonic()
for _ in range(n):
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))
        s.setblocking(False)
        conns.append([s, 0, None])
    except OSError:
        pass
opened = len(conns)
print("opened", opened, "in %.1f s" % (time.monotonic() - t0), file=sys.stderr, flush=True)
nxt = time.monotonic()
while time.monotonic() - t0 < dur:
    live = [c for c in conns if c[2] is None]
    if not live:
        break
    r, _, _ = select.select([c[0] for c in live], [], [], max(0, min(0.5, nxt - time.monotonic())))
    now = time.monotonic() - t0
    for c in live:
        if c[0] in r:
            try:
                if c[0].recv(4096) == b"":
                    c[2] = now
            except ssl.SSLWantReadError:
                pass
            except (OSError, ssl.SSLError):
                c[2] = now
    if time.monotonic() >= nxt:
        for c in conns:
            if c[2] is None:
                try:
                    c[0].send(req[c[1]:c[1] + 1])
                    c[1] += 1
                except ssl.SSLWantWriteError:
                    pass
                except (OSError, ssl.SSLError):
                    c[2] = time.monotonic() - t0
        nxt += 5
closed = [c[2] for c in conns if c[2] is not None]
print(sum(1 for x in closed if x <= 12), len(closed), opened - len(closed))
PY

row() { printf '%-58s %s\n' "$1" "$2"; }

echo "# kinko-bankd load, $(date -u '+%F %T') UTC, $NPROC CPUs, wrk ${SECS}s runs, $(basename "$builddir")"
start_server 20000
load_note "cacerts sweep"
for c in 1 16 64 256; do
	set -- $(wrk3 "$c")
	row "cacerts keep-alive, $c conn (median of 3)" "$1 req/s, $2 errors"
done
for c in 1 256; do
	set -- $(wrk3 "$c" -H "Connection: close")
	row "cacerts new connection per request, $c conn" "$1 req/s, $2 errors"
done
set -- $(probe 20)
row "normal client cacerts latency, idle server" "median $1 ms, max $2 ms, $3 failed"
stop_server

for lim in default 0; do
	if [ "$lim" = default ]; then start_server 20000; else start_server 20000 KINKO_BANKD_AUTH_FAIL_LIMIT=0; fi
	load_note "flood, rate limit $lim"
	set -- $(flood)
	row "flood 32 clients (rate limit $lim): normal cacerts" "median $1 ms, max $2 ms, $3 failed; flood $4 POST/s"
	row "flood 32 clients (rate limit $lim): POST answers" \
		"$(awk '$2 == "POST" { n[$4]++ } END { for (c in n) printf "%s: %d  ", c, n[c] }' "$T/server.log")"
	stop_server
done

start_server 20000
load_note "slowloris"
python3 "$T/slowloris.py" "$PORT" 500 25 > "$T/slow.out" 2>"$T/slow.err" &
slow_pid=$!
sleep 4
set -- $(probe 20)
wait "$slow_pid"
row "slowloris 500 conns: normal cacerts" "median $1 ms, max $2 ms, $3 failed"
set -- $(cat "$T/slow.out")
row "slowloris 500 conns ($(sed 's/opened //' "$T/slow.err"))" "closed by 12 s: ${1:-?}, by 25 s: ${2:-?}, open: ${3:-?}"
row "slowloris: server log lines (deadline closes)" "$(grep -c 'not complete' "$T/server.log")"
stop_server

# The default cap (64 - 32) keeps accept() clear of EMFILE; --max-connections 100 lets it hit
# EMFILE, the path that spun before.
for SERVE_ARGS in "" "--max-connections 100"; do
	start_server 64
	load_note "fd exhaustion ${SERVE_ARGS:-default cap}"
	# 80 idle TCP connections for 11 s; a normal client asks for cacerts 1 s in (it waits in the
	# listen queue behind the idle ones until their header deadline closes them).
	python3 "$(dirname "$0")/../tests/lib/idle_flood.py" "$PORT" "$BANK/ca.crt" "$SRV_PID" \
		--count-opening --settle 0 --hold 11 --client-at 1 >"$T/idle.out"
	tag="ulimit -n 64, 80 idle (${SERVE_ARGS:-default cap})"
	row "$tag: CPU in 11 s" "$(sed -n 's/^cpu_s //p' "$T/idle.out") s"
	row "$tag: cacerts 1 s in" "$(sed -n 's/^answer_ms //p' "$T/idle.out") ms, status $(sed -n 's/^status //p; s/^error \([^:]*\).*/\1/p' "$T/idle.out")"
	row "$tag: log lines" "$(wc -l < "$T/server.log") ($(wc -c < "$T/server.log") bytes)"
	stop_server
done
SERVE_ARGS=""
