#!/usr/bin/env bash
# kinko-bankd ends every orderly close with a TLS close_notify (a client can tell the end of a
# reply from a cut connection), and every reply, HTTP/1.0 included, carries Content-Length.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 5
new_bank_served
# An HTTP/1.0 request without keep-alive: the server answers and closes.
python_client "$T/h10.out" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(b"GET /.well-known/est/cacerts HTTP/1.0\r\nHost: localhost\r\n\r\n")
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            print("close_notify received")
            break
        data += d
except ssl.SSLEOFError as e:
    print("unexpected EOF:", e)
head, _, body = data.partition(b"\r\n\r\n")
print(head.decode(errors="replace"))
for line in head.split(b"\r\n"):
    if line.lower().startswith(b"content-length:"):
        print("length_matches", int(line.split(b":")[1]) == len(body))
PY
check_quiet "an HTTP/1.0 reply ends with close_notify, not a bare EOF" contains "$T/h10.out" "close_notify received"
check_quiet "an HTTP/1.0 reply carries Content-Length" grep -qi "^Content-Length: [0-9]" "$T/h10.out"
check_quiet "that length is the body's" contains "$T/h10.out" "length_matches True"
# openssl s_client with a 1.1 request that asks to close: no "unexpected eof" error.
printf 'GET /crl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -CAfile "$BANK/ca.crt" \
		-ign_eof -quiet > "$T/sc.out" 2> "$T/sc.err"
sed 's/^/# /' "$T/sc.err" | head -5
check_quiet "openssl s_client sees no unexpected EOF after Connection: close" \
	bash -c "! grep -qi 'unexpected eof' '$T/sc.err'"
stop_and_check
