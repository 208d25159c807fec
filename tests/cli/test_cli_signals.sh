#!/usr/bin/env bash
# SIGINT, SIGTERM and SIGHUP while `kinko enroll` waits on the bank's 202 (a contract with
# --approval manual), and while `kinko renew` waits on a 202 (the fake bank, pending mode):
# kinko removes the new key, as after any failure, and exits 128 + the signal (130, 143,
# 129); the token's objects are as before. On kinko's module + emulator and on SoftHSM2.
. "$(dirname "$0")/cli_lib.sh"

need pkcs11-tool
need python3
CHECKS=12
plan $((CHECKS * 2))

bank_up main
URL=$(bank_url main)
CA=$(bank_ca main)

# interrupt NAME SIGNAL SUBCOMMAND ARGS...: start kinko, wait for it to wait on the bank,
# send the signal, wait for kinko to end; RC and $T/out as run() leaves them.
interrupt() {
	local name="$1" sig="$2" pid _
	shift 2
	secrets_write "$T/s-$name" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
		"contract_confirmation_pin=$CONTRACT_CONF_PIN"
	# A script's background job starts with SIGINT ignored: give kinko the default back.
	env --default-signal=INT,TERM,HUP "$KINKO" --module "$MODULE" --token "${TOK_URI[$name]}" \
		--secrets-file "$T/s-$name" "$@" --cacert "$CA" --max-wait 60 >"$T/stdout" 2>"$T/stderr" &
	pid=$!
	for _ in $(seq 300); do
		grep -q "waiting for the bank's approval\|asking again" "$T/stderr" && break
		sleep 0.1
	done
	sleep 0.5  # into the wait between two tries
	kill -s "$sig" "$pid"
	# A kinko that does not end is a failure, not a hung test.
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	RC=$?
	cat "$T/stdout" "$T/stderr" >"$T/out"
}

backend_checks() {
	local b="$1" p="$2" n=0 sig want
	tokens_backend "$b"
	token_new "$b-s"
	for sig in INT TERM HUP; do
		n=$((n + 1))
		case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
		bank_contract main "${p}00000000$n" "" manual
		token_objects "$b-s" >"$T/before"
		interrupt "$b-s" "$sig" enroll --bank "$URL" --admin --contract-id "${p}00000000$n"
		check_rc_out "$b: SIG$sig while the enrollment is pending exits $want" "$want" "interrupted (SIG$sig)"
		check_out "$b: SIG$sig: the new key is removed as after any failure" "the new key was removed from the token"
		token_objects "$b-s" >"$T/after"
		check_same "$b: SIG$sig: the token's objects are as before" "$T/before" "$T/after"
	done
	# Renewal: a certificate from kinko-bankd, then simplereenroll to a bank that keeps it
	# pending (kinko-bankd approves renewals at once).
	bank_contract main "${p}000000009"
	run interrupt_free_enroll "$b-s" "${p}000000009"
	[ "$RC" -eq 0 ] || { diag "$T/out"; bail "enrollment with kinko-bankd failed"; }
	FAKE_BANK_RETRY_AFTER=1 fake_start main pending
	token_objects "$b-s" >"$T/before"
	interrupt "$b-s" TERM renew --bank "$FAKE_URL"
	check_rc_out "$b: renew: SIGTERM while the renewal is pending exits 143" 143 "interrupted (SIGTERM)"
	check_out "$b: renew: the new key is removed, the current one kept" "the new key was removed from the token"
	token_objects "$b-s" >"$T/after"
	check_same "$b: renew: the token's objects are as before" "$T/before" "$T/after"
	fake_stop
}

# interrupt_free_enroll NAME CONTRACT: an admin enrollment with kinko-bankd (auto approval).
interrupt_free_enroll() {
	"$KINKO" --module "$MODULE" --token "${TOK_URI[$1]}" --secrets-file "$T/s-$1" enroll --bank "$URL" \
		--cacert "$CA" --admin --contract-id "$2"
}

backends_check signal 7 8
