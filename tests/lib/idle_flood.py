#!/usr/bin/env python3
"""Idle TCP connections against a server, and a normal HTTPS client beside them.

idle_flood.py PORT CA PID [--idle N] [--settle S] [--hold S] [--client-at S] [--count-opening]

Opens N (80) TCP connections to 127.0.0.1:PORT that never send a byte, waits SETTLE seconds
(0.5), then counts the CPU time of process PID (utime + stime of /proc/PID/stat) over HOLD
seconds (3); with --count-opening the count starts before the connections are opened. The
client asks for /.well-known/est/cacerts over TLS (trusting CA, 30 s at most) CLIENT_AT seconds
after the connections were opened, while they are held; without --client-at it asks once they
are closed. Prints one key and value a line: cpu_ticks, cpu_s, idle_connected, then status
(the HTTP status) or error (why the client failed), and answer_ms.

The one idle-connection load of kinko-bankd's test (tests/bank/test_server_fds.sh) and bench
(bench/bankd_load.sh).
"""
import argparse
import http.client
import os
import socket
import ssl
import threading
import time


def ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def client(port, ca, res):
    t = time.monotonic()
    try:
        ctx = ssl.create_default_context(cafile=ca)
        c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
        c.request("GET", "/.well-known/est/cacerts")
        res["status"] = str(c.getresponse().status)
    except Exception as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    res["answer_ms"] = "%.0f" % ((time.monotonic() - t) * 1000)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("ca")
    p.add_argument("pid", type=int)
    p.add_argument("--idle", type=int, default=80)
    p.add_argument("--settle", type=float, default=0.5)
    p.add_argument("--hold", type=float, default=3)
    p.add_argument("--client-at", type=float)
    p.add_argument("--count-opening", action="store_true")
    a = p.parse_args()
    t0 = ticks(a.pid) if a.count_opening else None
    idle = []
    for _ in range(a.idle):
        try:
            idle.append(socket.create_connection(("127.0.0.1", a.port), timeout=2))
        except OSError:
            pass
    opened = time.monotonic()
    res = {}
    th = None
    if a.client_at is not None:
        th = threading.Thread(target=client, args=(a.port, a.ca, res))
        time.sleep(a.client_at)
        th.start()
    time.sleep(max(0.0, opened + a.settle - time.monotonic()))
    if t0 is None:
        t0 = ticks(a.pid)
    time.sleep(max(0.0, opened + a.settle + a.hold - time.monotonic()))
    cpu = ticks(a.pid) - t0
    if th is not None:
        th.join()
    for s in idle:
        s.close()
    if th is None:
        client(a.port, a.ca, res)
    print("cpu_ticks", cpu)
    print("cpu_s %.2f" % (cpu / float(os.sysconf("SC_CLK_TCK"))))
    print("idle_connected", len(idle))
    for k in ("status", "error", "answer_ms"):
        if k in res:
            print(k, res[k])


if __name__ == "__main__":
    main()
