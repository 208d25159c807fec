#!/usr/bin/env python3
"""A hostile bank for kinko's tests: HTTPS on 127.0.0.1 with kinko-bankd's server certificate,
answering every request as MODE says. Modes:
  escapes  the texts kinko prints carry terminal escape sequences (clear screen, window title,
           CSI as U+009B, a bidi override): EST 403 text, JSON {"error"}, the status screen
  huge     every answer is 2 MiB (a GET 5 MiB: over the CRL's limit too)
  pending  EST enrollments are pending: 202 with Retry-After $FAKE_BANK_RETRY_AFTER (default -5)
Usage: fake_bank.py CERT KEY PORT-FILE MODE [PORT]"""
import http.server
import json
import os
import ssl
import sys

CERT, KEY, PORT_FILE, MODE = sys.argv[1:5]
EVIL = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u202e"


class Bank(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        if MODE == "huge":
            return self.answer(200, b"A" * (5 << 20), "application/pkcs7-mime")
        self.answer(200, "MIIB", "application/pkcs7-mime")

    def do_POST(self):
        self.body()
        if MODE == "huge":
            return self.answer(200, b"{" + b" " * (2 << 20) + b"}", "application/json")
        if self.path.startswith("/.well-known/est/") and MODE == "pending":
            data = b"waiting for approval"
            self.send_response(202)
            self.send_header("Retry-After", os.environ.get("FAKE_BANK_RETRY_AFTER", "-5"))
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            with open(PORT_FILE + ".posts", "a") as f:
                f.write(self.path + "\n")
            return
        if self.path.startswith("/.well-known/est/"):
            return self.answer(403, "refused " + EVIL + " by the bank", "text/plain")
        if self.path == "/api/logon" and os.environ.get("FAKE_BANK_LOGON") == "ok":
            status = {"company": "ACME" + EVIL, "contract_id": "1234567890",
                      "bank": {"name": "Bank" + EVIL, "code": "0123"},
                      "logged_on": {"role": "user", "user_id": "u" + EVIL},
                      "certificate": {"subject": "CN" + EVIL, "state": "active",
                                      "not_before": "2026-01-01", "not_after": "2027-01-01"}}
            return self.answer(200, json.dumps({"session": "0" * 32, "status": status}),
                               "application/json")
        if self.path == "/api/logoff":
            return self.answer(200, "{}", "application/json")
        self.answer(403, json.dumps({"error": "refused " + EVIL + " by the bank"}), "application/json")


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[5]) if len(sys.argv) > 5 else 0), Bank)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
# The token key signs the client certificate handshake when kinko offers one: ask for it, as
# the bank does, but accept any.
ctx.verify_mode = ssl.CERT_OPTIONAL
ctx.load_verify_locations(os.path.join(os.path.dirname(CERT), "ca.crt"))
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
