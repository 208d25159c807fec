#!/usr/bin/env python3
"""Plays vsmartcard-vpcd against kinko-token-emu --vpcd, byte by byte (tests/emu/test_emu_vpcd.sh).

  vpcd_raw.py PORTFILE SCENARIO
      listens on a free loopback port, writes it to PORTFILE, serves the emulator's
      connections through SCENARIO and exits 0 when every answer was the expected one, 1
      (with what differed on stderr) otherwise. Every wait is bounded (10 s).

Scenarios:
  reset      power on, SELECT PIV, VERIFY the default PIN; a reset (02) and a power cycle
             (00, 01) each leave the PIN unverified again; the ATR request (04) answers the ATR.
  malformed  a connection closed inside the length, one closed inside a 65535-byte payload;
             then a whole 65535-byte payload of junk, a 1-byte payload that is no control code
             and an empty payload each get a response APDU; the emulator reconnects after
             each close and still answers the ATR request.
"""
import os
import socket
import struct
import sys

TIMEOUT = 10.0
SELECT_PIV = bytes.fromhex("00A4040009A00000030800001000")
VERIFY_DEFAULT = bytes.fromhex("0020008008313233343536FFFF")
VERIFY_STATUS = bytes.fromhex("00200080")


class Failed(Exception):
    pass


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise Failed("the emulator closed the connection")
        buf += chunk
    return buf


def send_frame(conn, payload):
    conn.sendall(struct.pack(">H", len(payload)) + payload)


def transact(conn, payload):
    send_frame(conn, payload)
    (n,) = struct.unpack(">H", recv_exact(conn, 2))
    return recv_exact(conn, n)


def expect_sw(what, resp, sw):
    if resp[-2:] != bytes.fromhex(sw):
        raise Failed("%s: got %s, expected SW %s" % (what, resp.hex(), sw))


def expect_atr(conn):
    atr = transact(conn, b"\x04")
    if not atr or atr[0] not in (0x3B, 0x3F):
        raise Failed("ATR request: got %s" % atr.hex())


def accept(srv):
    conn, _ = srv.accept()
    conn.settimeout(TIMEOUT)
    return conn


def scenario_reset(srv):
    conn = accept(srv)
    expect_atr(conn)
    send_frame(conn, b"\x01")
    expect_sw("SELECT", transact(conn, SELECT_PIV), "9000")
    expect_sw("VERIFY", transact(conn, VERIFY_DEFAULT), "9000")
    expect_sw("PIN status after VERIFY", transact(conn, VERIFY_STATUS), "9000")
    send_frame(conn, b"\x02")
    expect_sw("SELECT after reset", transact(conn, SELECT_PIV), "9000")
    resp = transact(conn, VERIFY_STATUS)
    if resp[:1] != b"\x63":
        raise Failed("PIN status after reset: %s, expected 63Cx" % resp.hex())
    expect_sw("VERIFY again", transact(conn, VERIFY_DEFAULT), "9000")
    send_frame(conn, b"\x00")
    send_frame(conn, b"\x01")
    expect_sw("SELECT after power cycle", transact(conn, SELECT_PIV), "9000")
    resp = transact(conn, VERIFY_STATUS)
    if resp[:1] != b"\x63":
        raise Failed("PIN status after power cycle: %s, expected 63Cx" % resp.hex())
    expect_atr(conn)
    conn.close()


def scenario_malformed(srv):
    conn = accept(srv)
    conn.sendall(b"\xff")  # half a length
    conn.close()
    conn = accept(srv)
    conn.sendall(b"\xff\xff" + b"\x00" * 100)  # a payload cut short
    conn.close()
    conn = accept(srv)
    resp = transact(conn, b"\xa5" * 0xFFFF)
    if len(resp) < 2:
        raise Failed("65535 bytes of junk: answer %s" % resp.hex())
    resp = transact(conn, b"\x03")
    if len(resp) < 2:
        raise Failed("1-byte payload 03: answer %s" % resp.hex())
    resp = transact(conn, b"")
    if len(resp) < 2:
        raise Failed("empty payload: answer %s" % resp.hex())
    expect_atr(conn)
    conn.close()
    conn = accept(srv)
    expect_atr(conn)
    conn.close()


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("reset", "malformed"):
        sys.exit(__doc__)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])


    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    try:
        (scenario_reset if sys.argv[2] == "reset" else scenario_malformed)(srv)
    except (Failed, OSError) as e:
        print("vpcd_raw: %s: %s" % (sys.argv[2], e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
