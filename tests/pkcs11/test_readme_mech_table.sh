#!/usr/bin/env bash
# The README's mechanism table lists exactly the rows of the module's table (mod_mech.c), with
# their flags and key sizes: print_mech_table prints the first three columns from the table
# itself, and they must be the README's rows, in the same order. A mechanism added, dropped
# or changed in one place and not the other fails here.
set -u
SRC="${KINKO_SRCDIR:-.}"
# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"

PRINT="${KINKO_BUILDDIR:-.}/tests/pkcs11/print_mech_table"
[ -x "$PRINT" ] || skip_all "$PRINT not built"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-mechtable-XXXXXX")
trap 'rm -rf "$T"' EXIT

plan 2
"$PRINT" >"$T/module"
# The table's rows: those starting with a mechanism name; their first three cells.
grep -E '^ *\| `CKM_' "$SRC/README.md" |
	awk -F'|' '{ for (i = 2; i <= 4; i++) { gsub(/^ +| +$/, "", $i) } print $2 " | " $3 " | " $4 }' \
		>"$T/readme"
if [ -s "$T/module" ] && [ "$(wc -l <"$T/module")" -gt 5 ]; then
	ok "the module's table prints its rows"
else
	not_ok "the module's table prints its rows"
fi
if diff -u "$T/readme" "$T/module" >"$T/diff"; then
	ok "README's mechanism table lists every mechanism of mod_mech.c with its flags and key sizes"
else
	not_ok "README's mechanism table lists every mechanism of mod_mech.c with its flags and key sizes"
	sed 's/^/# /' "$T/diff"
fi
