#!/usr/bin/env bash
# Every man page in doc/ formats through man(1) with all of groff's warnings on and
# produces none: a warning is text a reader gets wrong (a stray escape, a bad macro, a
# line that cannot be broken). One TAP case per page, and one for kinko(1)'s secrets-file
# example: run as a reader would copy it from the formatted page, its printf writes the keys
# token_pin and new_pin. The Japanese pages po4a built (doc/ja/ in the build tree) format the
# same way under a ja_JP.UTF-8 locale.
set -u
s=${KINKO_SRCDIR:?}
b=${KINKO_BUILDDIR:?}
# shellcheck source=tests/lib/tap.sh
. "$s/tests/lib/tap.sh"
shopt -s nullglob
pages=("$s"/doc/*.[1-8] "$b"/doc/ja/*.[1-8])
[ ${#pages[@]} -gt 0 ] || skip_all "no man page in $s/doc"
plan $((${#pages[@]} + 1))
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	for p in "${pages[@]}" example; do skip "${p##*/}" "man-db or groff-base missing"; done
	exit 0
fi
have_ja=0
locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' && have_ja=1
for p in "${pages[@]}"; do
	name=${p##*/}
	loc=C.UTF-8
	hyph=()
	case $p in
	"$b"/doc/ja/*)
		name="ja/$name"
		loc=ja_JP.UTF-8
		# As man-db formats an installed Japanese page: groff has no Japanese hyphenation
		# patterns, so no word is broken; a line can break only where the text lets it.
		hyph=(--nh)
		if [ $have_ja -eq 0 ]; then
			skip "$name formats without warnings" "the ja_JP.UTF-8 locale is not generated (scripts/deps.sh does it)"
			continue
		fi
		;;
	esac
	# -Z stops after troff, so only its diagnostics are on stderr; MANROFFSEQ='' skips
	# preprocessors a page does not ask for.
	out=$(LC_ALL=$loc MANROFFSEQ='' MANWIDTH=80 man "${hyph[@]}" --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "$name formats without warnings"
	else
		not_ok "$name formats without warnings (man exit $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done

# The keys a printf example writes, one per line, as the formatted page shows it.
example_keys() {
	local fmt
	fmt=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$1" 2>/dev/null | grep -o "printf '[^']*'" | head -1)
	fmt=${fmt#printf \'}
	fmt=${fmt%\'}
	# shellcheck disable=SC2059 # the format is the page's, as a reader would run it
	printf "$fmt" | sed -n 's/=.*//p' | tr '\n' ' '
}
keys=$(example_keys "$s/doc/kinko.1")
if [ "$keys" = "token_pin new_pin " ]; then
	ok "kinko.1's printf example writes token_pin and new_pin"
else
	not_ok "kinko.1's printf example writes token_pin and new_pin (writes: $keys)"
fi
