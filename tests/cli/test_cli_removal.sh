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
[ -x "$KINKO" ] || bail "$KINKO not built"

ROUNDS=3
plan $((ROUNDS * 3))
tokens_backend kinko
for r in $(seq "$ROUNDS"); do token_new "rm$r"; done
bank_new main
bank_contract main
bank_start main
BANK_URL=$(bank_url main)
BANK_CA=$(bank_ca main)
BANK_OPTS=(--bank "$BANK_URL" --cacert "$BANK_CA")
party_secrets admin "$(bank_card main)" >/dev/null

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
