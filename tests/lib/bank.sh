# shellcheck shell=bash
# The test kit's side of kinko-bankd (sourced by tests/cli/cli_lib.sh and tests/bank/bank_lib.sh):
# the bank server both kinds of test start, and what they read from a bank.

# card_digits CARDFILE "C3 A7": the digits at those positions of a printed customer card
# (kinko-bankd's printout: a row letter, then the columns' digits).
card_digits() {
	local d="" p
	for p in $2; do
		d="$d$(awk -v r="${p:0:1}" -v c="${p:1:1}" '$1 == r { print $(c + 2) }' "$1")"
	done
	printf '%s' "$d"
}

# bank_serve DIR PORT-FILE LOG [NOW]: `kinko-bankd serve` ($BANKD) of the bank in DIR on
# 127.0.0.1:0, its clock at NOW (epoch seconds or YYYY-MM-DD) if given, stderr appended to LOG;
# its pid in BANK_SERVE_PID at once (for the caller's cleanup), then waits up to 20 s for the
# port in PORT-FILE. Fails when the port never comes.
bank_serve() {
	local dir="$1" port_file="$2" log="$3" now="${4:-}" _
	rm -f "$port_file"
	if [ -n "$now" ]; then
		KINKO_BANKD_NOW="$now" "$BANKD" serve --dir "$dir" --listen 127.0.0.1:0 --port-file "$port_file" \
			2>>"$log" &
	else
		"$BANKD" serve --dir "$dir" --listen 127.0.0.1:0 --port-file "$port_file" 2>>"$log" &
	fi
	BANK_SERVE_PID=$!
	for _ in $(seq 400); do
		[ -s "$port_file" ] && return 0
		sleep 0.05
	done
	return 1
}
