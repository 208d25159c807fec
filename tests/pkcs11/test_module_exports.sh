#!/usr/bin/env bash
# The module gives the dynamic linker the PKCS#11 API and nothing else: every symbol
# libkinko-pkcs11.so defines is a C_* function, whichever convenience libraries it is linked
# from (their -fvisibility=hidden keeps mod_*, card_* and the codecs inside, so an application
# with a function of the same name is never bound to ours).
set -u
SRC="${KINKO_SRCDIR:-.}"
# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"

need nm
SO="${KINKO_BUILDDIR:-.}/pkcs11/.libs/libkinko-pkcs11.so"
[ -f "$SO" ] || skip_all "$SO not built"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-exports-XXXXXX")
trap 'rm -rf "$T"' EXIT

plan 2
nm -D --defined-only "$SO" | awk '{ print $NF }' >"$T/defined"
if grep -qvE '^C_[A-Za-z]+$' "$T/defined"; then
	not_ok "only C_ functions are exported"
	grep -vE '^C_[A-Za-z]+$' "$T/defined" | head -n 20 | sed 's/^/# also exported: /'
else
	ok "only C_ functions are exported"
fi
if grep -qx C_GetFunctionList "$T/defined" && grep -qx C_GetInterface "$T/defined"; then
	ok "C_GetFunctionList and C_GetInterface are exported"
else
	not_ok "C_GetFunctionList and C_GetInterface are exported"
fi
