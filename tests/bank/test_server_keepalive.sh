#!/usr/bin/env bash
# kinko-bankd on one keep-alive TLS connection: 50 sequential requests must not each wait for
# Nagle + delayed ACK (~40 ms); TCP_NODELAY and one write per reply keep them at about 1 ms.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 3
new_bank_served
python_client "$T/ka.out" <<'PY'
import http.client, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx)
c.request("GET", "/.well-known/est/cacerts")
c.getresponse().read()
sock = c.sock
t0 = time.monotonic()
ok = 0
for _ in range(50):
    c.request("GET", "/.well-known/est/cacerts")
    r = c.getresponse()
    r.read()
    ok += r.status == 200
t = time.monotonic() - t0
print("same_socket", c.sock is sock)
print("ok", ok)
print("ms_per_request %.2f" % (t * 1000 / 50))
PY
check_quiet "50 requests over one keep-alive connection all answer 200" contains "$T/ka.out" "ok 50"
check_quiet "the connection was reused for all 50" contains "$T/ka.out" "same_socket True"
ms=$(sed -n 's/^ms_per_request //p' "$T/ka.out")
check_quiet "a keep-alive request takes under 10 ms (was ~40 ms: Nagle + delayed ACK)" \
	awk -v m="${ms:-999}" 'BEGIN { exit !(m < 10) }'
