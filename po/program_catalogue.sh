#!/bin/sh
# program_catalogue.sh OUT.mo LANG.po SRCDIR SOURCE...: the messages of LANG.po that SOURCE...
# mark, as a program's own catalogue (kinko-bankd.mo, kinko-token-emu.mo), so a program
# installed without libkinko-pkcs11's kinko.mo still speaks the user's language. The sources
# are those the program is built from (po/local.mk); LANG.po's own "#:" lines are only as fresh
# as its last update-po, so the marked files (po/POTFILES.in, po/Makevars' options) are
# extracted afresh, LANG.po merged onto that, and msggrep keeps what SOURCE... mark.
# Tools from the environment: XGETTEXT, MSGMERGE, MSGGREP, MSGFMT.
set -eu
[ $# -ge 4 ] || {
	echo "usage: $0 OUT.mo LANG.po SRCDIR SOURCE..." >&2
	exit 2
}
out=$1 po=$2 srcdir=$3
shift 3
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
case $po in /*) ;; *) po=$(pwd)/$po ;; esac
tmp=$out.tmp
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT

# One -N per source, as automake lists them (relative to the top source directory, the
# locations xgettext writes from there). Source paths have no blanks.
locations=
for f in "$@"; do
	locations="$locations -N $f"
done

opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$srcdir/po/Makevars" |
	sed 's/^XGETTEXT_OPTIONS *= *//; s/\\$//' | tr '\n\t' '  ')
# shellcheck disable=SC2086
(cd "$srcdir" && ${XGETTEXT:?} $opts --files-from=po/POTFILES.in -o "$tmp/all.pot")
${MSGMERGE:?} --quiet --no-fuzzy-matching -o "$tmp/located.po" "$po" "$tmp/all.pot"
# shellcheck disable=SC2086
${MSGGREP:?} $locations -o "$tmp/program.po" "$tmp/located.po"
${MSGFMT:?} -c -o "$tmp/program.mo" "$tmp/program.po"
mv "$tmp/program.mo" "$out"
