#!/usr/bin/env bash
# kinko-bankd keeps answering while requests wait on scrypt or SQLite: those run on a worker
# thread, so cacerts stays fast during a flood of unauthenticated EST requests and while
# another process holds the database locked, and the locked-out request still completes.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 5
export KINKO_BANKD_AUTH_FAIL_LIMIT=0
new_bank "$(date -u +%F)"
csr_ec admin
start_server
python_client "$T/w.out" "$T/admin.csr" "$BANK/bank.db" <<'PY'
import base64, http.client, sqlite3, ssl, sys, threading, time
port, ca, csr, db = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read(), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
def conn():
    return http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
def est(c, contract):
    h = {"Authorization": "Basic " + base64.b64encode(b"%s:9999" % contract).decode(),
         "Kinko-Confirmation-PIN": "9999", "Content-Type": "application/pkcs10"}
    c.request("POST", "/.well-known/est/simpleenroll", body=csr, headers=h)
    r = c.getresponse(); r.read()
    return r.status
def cacerts_ms(n):
    worst = 0
    for _ in range(n):
        c = conn()
        t = time.monotonic()
        c.request("GET", "/.well-known/est/cacerts"); c.getresponse().read()
        worst = max(worst, (time.monotonic() - t) * 1000)
        c.close()
        time.sleep(0.05)
    return worst
# 1. A flood: 8 clients sending EST requests with wrong credentials for 4 s.
stop = time.monotonic() + 4
flood = []
def flooder(i):
    c = conn()
    while time.monotonic() < stop:
        flood.append(est(c, b"99999999%02d" % i))
ths = [threading.Thread(target=flooder, args=(i,)) for i in range(8)]
for t in ths: t.start()
time.sleep(0.5)
print("flood_cacerts_worst_ms %.0f" % cacerts_ms(20))
for t in ths: t.join()
print("flood_answers", len(flood), "all_401", all(s == 401 for s in flood))
# 2. Another process holds the database locked for 2 s.
lock = sqlite3.connect(db, timeout=5)
lock.execute("BEGIN EXCLUSIVE")
res = {}
def locked_est():
    t = time.monotonic()
    res["status"] = est(conn(), b"1234567890")
    res["s"] = time.monotonic() - t
th = threading.Thread(target=locked_est); th.start()
time.sleep(0.2)
print("locked_cacerts_worst_ms %.0f" % cacerts_ms(10))
time.sleep(max(0, 2 - 0.7))
lock.rollback(); lock.close()
th.join()
print("locked_request", res.get("status"), "after %.1f s" % res.get("s", -1))
PY
num() { sed -n "s/^$1 \([0-9]*\).*/\1/p" "$T/w.out"; }
check_quiet "cacerts answers within 150 ms during an EST flood (worst of 20)" \
	awk -v m="$(num flood_cacerts_worst_ms)" 'BEGIN { exit !(m != "" && m < 150) }'
check_quiet "the flood's requests are all answered (401)" contains "$T/w.out" "all_401 True"
check_quiet "cacerts answers within 150 ms while another process locks the database" \
	awk -v m="$(num locked_cacerts_worst_ms)" 'BEGIN { exit !(m != "" && m < 150) }'
check_quiet "a request needing the database completes after the lock (not 500)" grep -q "^locked_request 401 after" "$T/w.out"
stop_and_check
