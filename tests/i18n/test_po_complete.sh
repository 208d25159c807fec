#!/usr/bin/env bash
# The catalogue is complete: every file that marks a message is in po/POTFILES.in; every
# message marked in the sources (extracted afresh, with po/Makevars' options) has a Japanese
# translation in po/ja.po (po/kinko.pot is not compared: it is an untracked file update-po
# makes, stale in a tree built before the last new message, absent in a fresh clone); ja.po
# passes msgfmt --check with no untranslated and no fuzzy entry; a translation keeps the
# manuals' letters (イ, ロ, ニ, ト, チ) its English names.
set -u
s=${KINKO_SRCDIR:?}
# shellcheck source=tests/lib/tap.sh
. "$s/tests/lib/tap.sh"
for t in xgettext msgfmt msgcmp msgcat; do need "$t"; done
plan 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1: every source file with _( N_( or P_( is listed.
missing=$(cd "$s" && grep -lE '(^|[^A-Za-z0-9_])(_|N_|P_)\("' common/*.c firmware-stubs/*.c pkcs11/*.c pkcs11/driver/*.c \
	tools/*/*.c 2>/dev/null | while read -r f; do
		grep -qxF "$f" po/POTFILES.in || echo "$f"
	done)
if [ -z "$missing" ]; then
	ok "every file that marks a message is in po/POTFILES.in"
else
	not_ok "files mark messages but are not in po/POTFILES.in"
	printf '# %s\n' $missing
fi

# 2: a fresh extraction with the options of po/Makevars.
opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$s/po/Makevars" | sed 's/^XGETTEXT_OPTIONS *= *//; s/\\$//' | tr '\n\t' '  ')
files=$(grep -v '^#' "$s/po/POTFILES.in" | grep -v '^$')
# shellcheck disable=SC2086
if (cd "$s" && xgettext $opts -o "$tmp/fresh.pot" $files) 2>"$tmp/xgettext.err"; then
	n=$(grep -c '^msgid ' "$tmp/fresh.pot"); n=$((n - 1))
	ok "xgettext extracts $n messages"
else
	not_ok "xgettext fails"; sed 's/^/# /' "$tmp/xgettext.err"
fi

# 3: ja.po translates every message (msgcmp counts untranslated and fuzzy as missing) and
# msgfmt --check has nothing to say about it.
complete=1
if ! msgcmp "$s/po/ja.po" "$tmp/fresh.pot" >"$tmp/cmp.err" 2>&1; then
	complete=0; echo "# messages without a Japanese translation:"; grep -A1 'this message' "$tmp/cmp.err" | head -40 | sed 's/^/# /'
fi
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$s/po/ja.po" 2>&1)
case $stats in *untranslated*|*fuzzy*|*error*|*warning*) complete=0 ;; esac
[ "$(printf '%s\n' "$stats" | grep -c 'translated message')" -eq 1 ] || complete=0
if [ $complete -eq 1 ]; then
	ok "ja.po: $stats"
else
	not_ok "ja.po is incomplete or invalid"; printf '%s\n' "$stats" | sed 's/^/# /'
fi

# 4: the manuals' letters survive translation: a message naming イ/ロ/ニ/ト/チ (or the key
# letter A) keeps every one of them.
bad=$(msgcat --no-wrap --to-code=UTF-8 "$s/po/ja.po" 2>/dev/null | python3 -c '
import re, sys
text = sys.stdin.read()
for m in re.finditer(r"msgid \"(.*?)\"\nmsgstr \"(.*?)\"\n", text):
    en, ja = m.group(1), m.group(2)
    if not ja:
        continue
    for letter in "イロニトチ":
        if letter in en and letter not in ja:
            print(en[:70])
')
if [ -z "$bad" ]; then
	ok "translations keep the manuals' letters"
else
	not_ok "a translation drops a manual's letter"; printf '%s\n' "$bad" | sed 's/^/# /'
fi
