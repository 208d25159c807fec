#!/usr/bin/env bash
# The token pulled out while `kinko enroll` generates the key (the emulator's SIGUSR1), put
# back (SIGUSR2) when kinko asks for it: kinko says so and fails with exit 3, and once the token
# is back it holds no new key; the bank issued nothing. Three rounds, each with a fresh token:
# the removal lands either before the token runs GENERATE (the generation fails) or while it runs
# it (the emulator finishes the command first, so the key is written and kinko has to remove
# it when the token is back); both must end with the token as it began.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need_p11tool_on_kinko
need sqlite3
need python3
[ -x "$KINKO" ] || bail "$KINKO not built"

ROUNDS=3
plan $((ROUNDS * 3 + 4))
tokens_backend kinko
for r in $(seq "$ROUNDS"); do token_new "rm$r"; done
token_new lg
bank_main_serve

round() {
	local name="$1" key="$2" kpid _ seen=0
	token_objects "$name" >"$T/before.$name"
	bank_snapshot main >"$T/before.bank"
	: >"$T/$name.err"
	KINKO_SECRETS="$T/secrets-admin" kinko_as "$name" enroll "${BANK_OPTS[@]}" --admin \
		--contract-id "$CONTRACT" --key "$key" >"$T/$name.out" 2>"$T/$name.err" &
	kpid=$!
	# The progress line comes just before kinko asks the token to generate.
	for _ in $(seq 1000); do
		if grep -qi "generat" "$T/$name.err" 2>/dev/null; then seen=1; break; fi
		kill -0 "$kpid" 2>/dev/null || break
		sleep 0.01
	done
	if [ "$seen" = 1 ]; then
		token_remove "$name"
		# Put it back when kinko asks for it (after at most 20 s anyway).
		for _ in $(seq 400); do
			grep -qi "insert it again" "$T/$name.err" 2>/dev/null && break
			kill -0 "$kpid" 2>/dev/null || break
			sleep 0.05
		done
		token_insert "$name"
	else
		echo "# $name: kinko showed no generation progress before it ended"
	fi
	wait "$kpid"
	RC=$?
	cat "$T/$name.out" "$T/$name.err" >"$T/out"
	[ -n "${CLI_DEBUG:-}" ] && diag "$T/out" 40
	check_rc_out "$name ($key): token removed during key generation: exit 3, kinko asks for it back" 3 \
		"the token was removed" "insert it again"
	token_objects "$name" >"$T/after.$name"
	check_same "$name ($key): after re-insertion the token has no new key" "$T/before.$name" "$T/after.$name"
	bank_snapshot main >"$T/after.bank"
	check_same "$name ($key): the bank issued nothing" "$T/before.bank" "$T/after.bank"
}

# RSA-2048: its generation takes long enough for the removal to land during it or just before
# (a P-256 key is made so fast that the removal may land only after the bank's answer).
for r in $(seq "$ROUNDS"); do round "rm$r" rsa2048; done

# --- the token pulled out during kinko logon, after the token PIN was given ---
# A TCP relay in front of the bank holds kinko's first connection until the token is out, so
# the TLS handshake (whose client signature the token makes) runs without the token.
gate_relay() { # gate_relay DIR BANK-PORT: relay on 127.0.0.1:0 (port in DIR/port)
	python3 - "$1" "$2" <<'PY' &
import os, socket, sys, threading, time
d, bank = sys.argv[1], int(sys.argv[2])
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
open(d + "/port.tmp", "w").write(str(ls.getsockname()[1])); os.rename(d + "/port.tmp", d + "/port")
def pipe(a, b):
    try:
        while True:
            x = a.recv(65536)
            if not x: break
            b.sendall(x)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
first = True
while True:
    c, _ = ls.accept()
    if first:
        first = False
        open(d + "/connected", "w").close()
        for _ in range(400):
            if os.path.exists(d + "/go"): break
            time.sleep(0.05)
    u = socket.create_connection(("127.0.0.1", bank))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
	RELAY_PID=$!
	CLEANUP_HOOK='kill "$RELAY_PID" 2>/dev/null'
	proc_wait_for 10 test -s "$1/port" || bail "the relay did not start"
}
KINKO_SECRETS="$T/secrets-admin" run kinko_as lg enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "the admin enrollment for the logon round failed"; }
mkdir -p "$T/relay"
gate_relay "$T/relay" "${BANK_PORT[main]}"
RELAY_URL="https://localhost:$(cat "$T/relay/port")"
KINKO_SECRETS="$T/secrets-admin" kinko_as lg logon --bank "$RELAY_URL" --cacert "$BANK_CA" \
	>"$T/lg.out" 2>"$T/lg.err" &
kpid=$!
if proc_wait_for 10 test -e "$T/relay/connected"; then token_remove lg; sleep 0.3; fi
: >"$T/relay/go"
wait "$kpid"
RC=$?
cat "$T/lg.out" "$T/lg.err" >"$T/out"
check_rc_out "token removed during logon (after the token PIN): exit 3, the token named, not the bank" 3 \
	"the token was removed"
if grep -q "cannot reach the bank" "$T/out"; then not_ok "token removed during logon: the bank is not blamed"; diag "$T/out"
else ok "token removed during logon: the bank is not blamed"; fi
token_insert lg
sleep 0.3
KINKO_SECRETS="$T/secrets-admin" run kinko_as lg logon --bank "$RELAY_URL" --cacert "$BANK_CA"
check_ok_out "the token put back, the same logon works" "logged on as  admin"
KINKO_SECRETS="$T/secrets-admin" run kinko_as lg --verbose logoff --bank "$RELAY_URL" --cacert "$BANK_CA"
check_ok_out "and logs off" "Logged off"
