#!/bin/bash
# The shell test kit's own helpers: the predicates the bank tests build their checks on, and the
# card reader of the logon tests, pinned on fixed input (no bank, no token).
# shellcheck source=tests/bank/bank_lib.sh
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 5
printf 'status: ok\n' >"$T/body"
check_quiet "contains finds a string that is there" contains "$T/body" "ok"
if contains "$T/body" "missing"; then not_ok "contains fails on a string that is not there"
else ok "contains fails on a string that is not there"; fi
# An empty needle matches every file (grep -F ''): a check built on it would prove nothing.
if contains "$T/body" ""; then not_ok "contains refuses an empty string"
else ok "contains refuses an empty string"; fi

# The layout of kinko-bankd's printout: a header of column numbers, then a row letter and a
# digit per column.
printf 'Customer card\n    0 1 2 3\n  A 5 7 2 9\n  C 4 0 6 8\n' >"$T/card"
check_quiet "card_digits reads the digits at the positions, in order" \
	equals "$(card_digits "$T/card" "C3 A1")" "87"
check_quiet "card_digits of no position is empty" equals "$(card_digits "$T/card" "")" ""
