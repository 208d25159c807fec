#!/usr/bin/env bash
# kinko(1)'s "JSON error codes" and the codes kinko's sources give kinko_err are the same set:
# every code a call names literally is documented, and every documented code is a string in
# the sources (the ones chosen at run time, e.g. from a CKR_ value, are such strings too).
set -u
s=${KINKO_SRCDIR:?}
# shellcheck source=tests/lib/tap.sh
. "$s/tests/lib/tap.sh"
plan 2
doc=$(awk '/^\.SS "JSON error codes"/ { on = 1; next } /^\.S[SH] / { on = 0 } on && prev == ".TP" && /^\.B / { print $2 } { prev = $0 }' \
	"$s/doc/kinko.1" | sort -u)
used=$(grep -ohE 'kinko_err\([^,]+, *"[a-z_]+"' "$s"/tools/kinko/*.c | sed -E 's/.*"([a-z_]+)"/\1/' | sort -u)
missing=$(comm -13 <(printf '%s\n' "$doc") <(printf '%s\n' "$used"))
if [ -n "$doc" ] && [ -z "$missing" ]; then
	ok "every code kinko_err names is in kinko(1) ($(printf '%s\n' "$doc" | wc -l) documented)"
else
	not_ok "codes missing from kinko(1)'s JSON error codes:"; printf '# %s\n' $missing
fi
stale=""
for c in $doc; do
	grep -qF "\"$c\"" "$s"/tools/kinko/*.c || stale="$stale $c"
done
if [ -z "$stale" ]; then
	ok "every documented code is one the sources give"
else
	not_ok "documented codes no source gives:$stale"
fi
