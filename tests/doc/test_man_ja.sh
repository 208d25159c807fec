#!/usr/bin/env bash
# The Japanese man pages: po4a built doc/ja/kinko.1 and doc/ja/kinko-bankd.1 in the build tree
# from the English pages and doc/po/ja.po; they read in Japanese with the manuals' terms
# (トークンのPIN for the token, 暗証番号 only for the bank's secrets); and ja.po translates every
# paragraph of the English pages as they are now (an English edit without a translation, or a
# fuzzy entry, fails here: run `make update-man-po` and translate what it marks).
set -u
s=${KINKO_SRCDIR:?}
b=${KINKO_BUILDDIR:?}
# shellcheck source=tests/lib/tap.sh
. "$s/tests/lib/tap.sh"
po4a=$(sed -n 's/^PO4A = //p' "$b/Makefile")
[ -n "$po4a" ] || skip_all "configure found no po4a: the Japanese pages are not built"
plan 7
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kinko-manja.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

ja=$b/doc/ja
if [ -s "$ja/kinko.1" ] && [ -s "$ja/kinko-bankd.1" ]; then
	ok "the build made doc/ja/kinko.1 and doc/ja/kinko-bankd.1"
else
	not_ok "the build made doc/ja/kinko.1 and doc/ja/kinko-bankd.1"
fi

# Every term is in the page's source (a formatted page may break a term at a line end).
has_all() {
	local page=$1 t missing=()
	shift
	for t in "$@"; do grep -qF -- "$t" "$page" 2>/dev/null || missing+=("$t"); done
	[ ${#missing[@]} -eq 0 ] || printf '# %s lacks: %s\n' "${page##*/}" "${missing[*]}"
	[ ${#missing[@]} -eq 0 ]
}
if has_all "$ja/kinko.1" '.SH 名前' '.SH 書式' 'トークンのPIN' 'ご契約先暗証番号' 'ご契約先確認暗証番号' \
	'利用者暗証番号' '利用者確認暗証番号' '利用者番号（ご契約先ID）' 'ワンタイムパスワード（お客様カード）' \
	'電子証明書取得' '利用者電子証明書発行' 'ログオン' 'ログオフ'; then
	ok "ja/kinko.1 uses the manuals' terms"
else
	not_ok "ja/kinko.1 uses the manuals' terms"
fi
if has_all "$ja/kinko-bankd.1" '.SH 名前' 'ご契約先暗証番号' 'ご契約先確認暗証番号' '利用者暗証番号' \
	'利用者確認暗証番号' 'ワンタイムパスワード（お客様カード）'; then
	ok "ja/kinko-bankd.1 uses the manuals' terms"
else
	not_ok "ja/kinko-bankd.1 uses the manuals' terms"
fi

# 暗証番号 is the bank's word: the token's PIN is never called that.
bad=$(grep -hoE 'トークンの暗証番号|トークン暗証番号' "$ja/kinko.1" "$ja/kinko-bankd.1" 2>/dev/null | sort -u)
if [ -z "$bad" ]; then
	ok "the token PIN is トークンのPIN, never 暗証番号"
else
	not_ok "the token PIN is トークンのPIN, never 暗証番号"
	printf '# %s\n' $bad
fi

# A certificate is 電子証明書, as in the manuals (TLS's and the CA's too), never a bare 証明書.
bare=$(LC_ALL=C.UTF-8 grep -hoP '.{0,8}(?<!電子)証明書' "$ja/kinko.1" "$ja/kinko-bankd.1" 2>/dev/null | sort -u)
if [ -z "$bare" ]; then
	ok "a certificate is 電子証明書 in the Japanese pages"
else
	not_ok "a certificate is 電子証明書 in the Japanese pages"
	printf '%s\n' "$bare" | sed 's/^/# /'
fi

# ja.po against the English pages as they are now: po4a refreshes a copy of the catalogue,
# then msgfmt counts (untranslated and fuzzy entries are paragraphs a reader would get in
# English or wrong). --force: without it po4a keeps a POT file newer than the pages, and the
# copy below makes the POT newer whenever a second passes between the two cp, so the check
# compared ja.po with the committed POT instead of the pages (a fresh-clone run failed so).
mkdir -p "$tmp/src/doc/po"
cp "$s/doc/po4a.cfg" "$s/doc/kinko.1" "$s/doc/kinko-bankd.1" "$tmp/src/doc/"
cp "$s"/doc/po/* "$tmp/src/doc/po/"
chmod -R u+w "$tmp/src"
if (cd "$tmp/src" && "$po4a" -q --force --no-translations doc/po4a.cfg) >"$tmp/po4a.log" 2>&1; then
	stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/src/doc/po/ja.po" 2>&1)
	case $stats in
	*untranslated* | *fuzzy* | *error* | *warning* | '')
		not_ok "doc/po/ja.po translates every paragraph of the English pages"
		printf '%s\n' "$stats" | sed 's/^/# /'
		msgattrib --untranslated --no-obsolete "$tmp/src/doc/po/ja.po" 2>/dev/null | grep -A2 '^msgid' | head -20 | sed 's/^/# /'
		msgattrib --only-fuzzy --no-obsolete "$tmp/src/doc/po/ja.po" 2>/dev/null | grep -A2 '^msgid' | head -20 | sed 's/^/# /'
		echo "# refresh with make update-man-po, then translate those entries in doc/po/ja.po"
		;;
	*) ok "doc/po/ja.po translates every paragraph of the English pages ($stats)" ;;
	esac
else
	not_ok "doc/po/ja.po translates every paragraph of the English pages (po4a failed)"
	sed 's/^/# /' "$tmp/po4a.log"
fi

# A reader's view: man formats the page under the ja locale and the first heading is 名前.
if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
	skip "man -l shows ja/kinko.1 under ja_JP.UTF-8" "the ja_JP.UTF-8 locale is not generated (scripts/deps.sh does it)"
elif ! command -v man >/dev/null; then
	skip "man -l shows ja/kinko.1 under ja_JP.UTF-8" "man-db is not installed"
else
	# Line 1 at the margin is the page header; line 2 the first section heading.
	first=$(LC_ALL=ja_JP.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$ja/kinko.1" 2>/dev/null | LC_ALL=C.UTF-8 col -b |
		grep -E '^[^ ]' | sed -n 2p)
	if [ "$first" = "名前" ]; then
		ok "man -l shows ja/kinko.1 under ja_JP.UTF-8, first heading 名前"
	else
		not_ok "man -l shows ja/kinko.1 under ja_JP.UTF-8, first heading 名前 (got: $first)"
	fi
fi
