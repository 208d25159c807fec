#!/usr/bin/env bash
# The module gives the dynamic linker the PKCS#11 API and nothing else: every symbol
# libkinko-pkcs11.so defines is a C_* function, whichever convenience libraries it is linked
# from (their -fvisibility=hidden keeps mod_*, card_* and the codecs inside, so an application
# with a function of the same name is never bound to ours). And it needs none of its own
# functions from outside: the linker accepts a module with a dangling mod_* call
# (-no-undefined is not -z defs, which sanitizer builds cannot use), dlopen would not.
set -u
SRC="${KINKO_SRCDIR:-.}"
# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"

need nm
SO="${KINKO_BUILDDIR:-.}/pkcs11/.libs/libkinko-pkcs11.so"
[ -f "$SO" ] || skip_all "$SO not built"
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-exports-XXXXXX")
trap 'rm -rf "$T"' EXIT

plan 3
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
# Undefined symbols of our own namespaces: a source file missing from the module's lists.
nm -D --undefined-only "$SO" | awk '{ print $NF }' |
	grep -E '^(mod|card|tr|ccid|p11|piv|tlv|apdu|trace|usb|kinko|i18n)_' >"$T/dangling"
if [ -s "$T/dangling" ]; then
	not_ok "the module defines every function of its own that it calls"
	head -n 20 "$T/dangling" | sed 's/^/# undefined: /'
else
	ok "the module defines every function of its own that it calls"
fi
