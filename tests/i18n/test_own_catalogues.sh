#!/usr/bin/env bash
# kinko-bankd and kinko-token-emu each read their own catalogue (kinko-bankd.mo,
# kinko-token-emu.mo), cut from po/ja.po at build time: installed alone, without
# libkinko-pkcs11's kinko.mo, each still speaks Japanese (a bank server's CLI and its pages for
# Accept-Language: ja; the emulator's help and errors). And each catalogue holds every message
# marked in the files the program is linked from, as its debug information names them: a
# source added to the program but not to its list in po/local.mk fails here.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"
# shellcheck source=tests/lib/emu.sh
. "${KINKO_SRCDIR:-.}/tests/lib/emu.sh"
s=${KINKO_SRCDIR:?}
b=${KINKO_BUILDDIR:?}
for t in xgettext msgunfmt msgcmp readelf; do need "$t"; done
plan 8

# linked_sources BINARY: the C files of the source tree BINARY was compiled from (its DWARF
# compilation units), relative to the source tree, one a line; nothing without debug info.
linked_sources() {
	readelf --debug-dump=info "$1" 2>/dev/null |
		awk '/DW_TAG_compile_unit/ { cu = 1; next } cu && /DW_AT_name/ { print $NF; cu = 0 }' |
		sed -E 's#^'"$s"'/##; :a; s#^\.\.?/##; ta' | sort -u |
		while read -r f; do
			case $f in *.c) [ -f "$s/$f" ] && echo "$f" ;; esac
		done
}

# holds_linked_messages BINARY MO: every message marked in BINARY's sources is in MO.
holds_linked_messages() {
	local name files opts
	name=$(basename "$1")
	files=$(linked_sources "$1")
	[ -n "$files" ] || return 2
	echo "# $name: $(printf '%s\n' "$files" | wc -l) source files linked"
	opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$s/po/Makevars" |
		sed 's/^XGETTEXT_OPTIONS *= *//; s/\\$//' | tr '\n\t' '  ')
	# shellcheck disable=SC2086
	(cd "$s" && xgettext $opts --force-po -o "$T/$name.pot" $files) || return 1
	msgunfmt -o "$T/$name.mo.po" "$2" || return 1
	msgcmp "$T/$name.mo.po" "$T/$name.pot" >"$T/$name.cmp" 2>&1 && return 0
	# msgcmp names the template's line of each missing message: its location and msgid.
	sed -n 's/^.*\.pot:\([0-9]*\): this message.*/\1/p' "$T/$name.cmp" | head -5 |
		while read -r n; do sed -n "$((n > 2 ? n - 2 : 1)),${n}p" "$T/$name.pot"; done | sed 's/^/# /'
	return 1
}

for p in kinko-bankd kinko-token-emu; do
	holds_linked_messages "$b/$p" "$b/po/$p.mo"
	case $? in
	0) ok "$p.mo holds every message marked in the files $p is linked from" ;;
	2) skip "$p.mo holds every message marked in the files $p is linked from" "no debug information in $p" ;;
	*) not_ok "$p.mo holds every message marked in the files $p is linked from" ;;
	esac
done

# Each program with its own catalogue alone in a locale directory.
only() {
	mkdir -p "$T/only-$1/ja/LC_MESSAGES"
	cp "$b/po/$1.mo" "$T/only-$1/ja/LC_MESSAGES/"
}
only kinko-bankd
only kinko-token-emu
JA=(env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=ja_JP.UTF-8)
if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
	for i in 1 2 3 4 5 6; do
		skip "Japanese from the program's catalogue alone ($i)" "the ja_JP.UTF-8 locale is not installed"
	done
	exit 0
fi

export KINKO_LOCALEDIR="$T/only-kinko-bankd"
"${JA[@]}" "$BANKD" --help >"$T/bankd-help" 2>&1
check_quiet "kinko-bankd --help with kinko-bankd.mo alone: 使い方:" grep -qF '使い方:' "$T/bankd-help"
# The bank's CA is valid from its first contract's date: today, so the server's certificate is.
applied=$(date -u +%F)
new_bank "$applied"
"${JA[@]}" "$BANKD" contract show --dir "$BANK" --contract-id "$CONTRACT" \
	>"$T/show" 2>&1
# common/i18n.c's date, a message of a common/ file the bank links.
ja_date=$(date -u -d "$applied" +'%Y年%-m月%-d日')
check_quiet "contract show's dates are Japanese (common/i18n.c's message): $ja_date" \
	grep -qF "$ja_date" "$T/show"
BANK_SERVE_CMD=("${JA[@]}" "$BANKD" serve)
start_server
unset BANK_SERVE_CMD
http GET / -H 'Accept-Language: ja' >"$T/status"
check_quiet "the logon page for Accept-Language: ja is Japanese: <h2>ログオン</h2>" \
	sh -c "[ \"\$(cat '$T/status')\" = 200 ] && grep -qF '<html lang=\"ja\">' '$T/out' && grep -qF '<h2>ログオン</h2>' '$T/out'"
check_quiet "the server finds its catalogue (no warning about it)" \
	sh -c "! grep -qF 'no Japanese message catalogue' '$T/server.log'" || diag "$T/server.log"
stop_server

export KINKO_LOCALEDIR="$T/only-kinko-token-emu"
"${JA[@]}" "$EMU" --help >"$T/emu-help" 2>&1
check_quiet "kinko-token-emu --help with kinko-token-emu.mo alone: 使い方:, トークンのPIN" \
	sh -c "grep -qF '使い方:' '$T/emu-help' && grep -qF 'トークンのPIN' '$T/emu-help'"
"${JA[@]}" "$EMU" --socket "$T/x.sock" >"$T/emu-err" 2>&1
check_quiet "an emulator error with kinko-token-emu.mo alone: --state FILE が必要です" \
	grep -qF 'kinko-token-emu: --state FILE が必要です' "$T/emu-err"
