#!/usr/bin/env bash
# kinko-bankd's request deadlines: headers within 10 s of the request's first byte (of the
# connection, for the first request), the body within 10 s + 1 s per 4 KiB; a client trickling
# a byte every 2 s is closed at ~10 s and logged, while other clients are answered meanwhile
# and an idle keep-alive connection is left alone.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 8
new_bank_served
python_client "$T/slow.out" <<'PY'
import socket, ssl, sys, threading, time, http.client
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
res = {}
def tls():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
def trickle(name, head, drip):
    s = tls()
    t0 = time.monotonic()
    s.sendall(head)
    s.settimeout(0.2)
    closed = None
    while time.monotonic() - t0 < 20:
        try:
            s.sendall(drip)
        except OSError:
            closed = time.monotonic() - t0
            break
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                d = s.recv(1024)
                if not d:
                    closed = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = time.monotonic() - t0
                break
        if closed is not None:
            break
    res[name] = closed
def silent():
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    s.settimeout(20)
    try:
        s.recv(1)
        res["silent"] = time.monotonic() - t0
    except OSError:
        res["silent"] = time.monotonic() - t0
def keepalive():
    c = http.client.HTTPSConnection("localhost", port, context=ctx)
    c.request("GET", "/crl"); c.getresponse().read()
    time.sleep(14)
    c.request("GET", "/crl")
    res["keepalive"] = c.getresponse().status
ths = [threading.Thread(target=trickle, args=("headers", b"GET /crl HTTP/1.1\r\nHost: localhost\r\n", b"X")),
       threading.Thread(target=trickle, args=("body", b"POST /api/logon HTTP/1.1\r\nHost: localhost\r\n"
                                              b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n", b" ")),
       threading.Thread(target=silent), threading.Thread(target=keepalive)]
for t in ths: t.start()
time.sleep(3)
c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
t = time.monotonic()
c.request("GET", "/.well-known/est/cacerts")
print("normal_status", c.getresponse().status, "ms %.0f" % ((time.monotonic() - t) * 1000))
for t in ths: t.join()
for k, v in sorted(res.items()):
    print(k, "never" if v is None else ("%.1f" % v if isinstance(v, float) else v))
PY
sec() { sed -n "s/^$1 //p" "$T/slow.out"; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "never" && v != "" && v >= lo && v <= hi) }'; }
check_quiet "a request trickling its headers is closed at ~10 s (9-13 s)" within "$(sec headers)" 9 13
check_quiet "a request trickling its body is closed at ~10 s (9-13 s)" within "$(sec body)" 9 13
check_quiet "a connection that never sends a byte is closed at ~10 s (9-13 s)" within "$(sec silent)" 9 13
check_quiet "other clients are answered meanwhile" contains "$T/slow.out" "normal_status 200"
check_quiet "an idle keep-alive connection is not cut by the deadline" equals "$(sec keepalive)" 200
check_quiet "the log names the headers deadline" contains "$T/server.log" "request headers not complete within 10 s"
check_quiet "the log names the body deadline" contains "$T/server.log" "request body not complete within 10 s"
stop_and_check
