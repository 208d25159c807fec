#!/usr/bin/env bash
# The catalogue is complete: every file that marks a message is in po/POTFILES.in; every
# message marked in the sources (extracted afresh, with po/Makevars' options) is in
# po/kinko.pot when the build has made one and has a Japanese translation in po/ja.po; ja.po
# passes msgfmt --check with no untranslated and no fuzzy entry; a translation keeps the
# manuals' letters (イ, ロ, ニ, ト, チ) its English names.
set -u
s=${KINKO_SRCDIR:?}
echo "1..5"
for t in xgettext msgfmt msgcmp msgcat; do
	if ! command -v "$t" >/dev/null; then
		for i in 1 2 3 4 5; do echo "ok $i # SKIP $t (gettext) is not installed"; done
		exit 0
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1: every source file with _( N_( or P_( is listed.
missing=$(cd "$s" && grep -lE '(^|[^A-Za-z0-9_])(_|N_|P_)\("' common/*.c firmware-stubs/*.c pkcs11/*.c \
	tools/*/*.c 2>/dev/null | while read -r f; do
		grep -qxF "$f" po/POTFILES.in || echo "$f"
	done)
if [ -z "$missing" ]; then
	echo "ok 1 - every file that marks a message is in po/POTFILES.in"
else
	echo "not ok 1 - files mark messages but are not in po/POTFILES.in"
	printf '# %s\n' $missing
fi

# 2: a fresh extraction with the options of po/Makevars.
opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$s/po/Makevars" | sed 's/^XGETTEXT_OPTIONS *= *//; s/\\$//' | tr '\n\t' '  ')
files=$(grep -v '^#' "$s/po/POTFILES.in" | grep -v '^$')
# shellcheck disable=SC2086
if (cd "$s" && xgettext $opts -o "$tmp/fresh.pot" $files) 2>"$tmp/xgettext.err"; then
	n=$(grep -c '^msgid ' "$tmp/fresh.pot"); n=$((n - 1))
	echo "ok 2 - xgettext extracts $n messages"
else
	echo "not ok 2 - xgettext fails"; sed 's/^/# /' "$tmp/xgettext.err"
fi

# 3: the build's po/kinko.pot (made by make update-po) holds every message of the sources.
pot="$s/po/kinko.pot"
if [ ! -f "$pot" ]; then
	echo "ok 3 # SKIP no po/kinko.pot in the source tree (make -C po update-po makes it)"
elif msgcmp --use-untranslated "$pot" "$tmp/fresh.pot" >"$tmp/pot.err" 2>&1; then
	echo "ok 3 - po/kinko.pot holds every message of the sources"
else
	echo "not ok 3 - po/kinko.pot is out of date: run make -C po update-po"
	head -20 "$tmp/pot.err" | sed 's/^/# /'
fi

# 4: ja.po translates every message (msgcmp counts untranslated and fuzzy as missing) and
# msgfmt --check has nothing to say about it.
ok=1
if ! msgcmp "$s/po/ja.po" "$tmp/fresh.pot" >"$tmp/cmp.err" 2>&1; then
	ok=0; echo "# messages without a Japanese translation:"; grep -A1 'this message' "$tmp/cmp.err" | head -40 | sed 's/^/# /'
fi
stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$s/po/ja.po" 2>&1)
case $stats in *untranslated*|*fuzzy*|*error*|*warning*) ok=0 ;; esac
[ "$(printf '%s\n' "$stats" | grep -c 'translated message')" -eq 1 ] || ok=0
if [ $ok -eq 1 ]; then
	echo "ok 4 - ja.po: $stats"
else
	echo "not ok 4 - ja.po is incomplete or invalid"; printf '%s\n' "$stats" | sed 's/^/# /'
fi

# 5: the manuals' letters survive translation: a message naming イ/ロ/ニ/ト/チ (or the key
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
	echo "ok 5 - translations keep the manuals' letters"
else
	echo "not ok 5 - a translation drops a manual's letter"; printf '%s\n' "$bad" | sed 's/^/# /'
fi
