# shellcheck shell=bash
# The test kit's side of kinko-bankd (sourced by tests/cli/cli_lib.sh and tests/bank/bank_lib.sh):
# what both kinds of test read from a bank.

# card_digits CARDFILE "C3 A7": the digits at those positions of a printed customer card
# (kinko-bankd's printout: a row letter, then the columns' digits).
card_digits() {
	local d="" p
	for p in $2; do
		d="$d$(awk -v r="${p:0:1}" -v c="${p:1:1}" '$1 == r { print $(c + 2) }' "$1")"
	done
	printf '%s' "$d"
}
