#!/usr/bin/env bash
# `make install` from the already-built tree, as an unprivileged user (nobody when run as
# root) into a DESTDIR that user owns: every expected file is there, all under the prefix,
# nothing else is installed, no libtool .la, and kinko.module names the installed module.
# Then `make uninstall` leaves no file behind. No rebuild: the tree is built by make check.
set -u
b=${KINKO_BUILDDIR:?}
s=${KINKO_SRCDIR:?}
# shellcheck source=tests/lib/tap.sh
. "$s/tests/lib/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kinko-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
T=$tmp
dest=$tmp/dest
mkdir "$dest"

# The nested make must not inherit the running make check's flags, jobserver or TESTS.
as_user=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES)
if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$b/Makefile" ||
		skip_all "nobody cannot read $b"
	chmod 711 "$tmp"
	chown nobody:nogroup "$dest"
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups "${as_user[@]}")
fi


# As root: a Makefile that must be regenerated first is, here, not by the unprivileged user.
dirs=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$b" -f Makefile \
	-f "$s/tests/install/print_dirs.mk" kinko-print-dirs) || { echo "Bail out! make -f print_dirs.mk"; exit 1; }
eval "$(printf '%s\n' "$dirs" | grep -E '^[a-z0-9]+=')"
# A build configured with po4a makes and installs the Japanese man pages.
manja=()
[ -z "${po4a:-}" ] || manja=("$mandir/ja/man1/kinko.1" "$mandir/ja/man1/kinko-bankd.1")
# The test installs what make check built; a source edited since then would be compiled
# by the unprivileged user in a tree it cannot write. Nothing is rebuilt here.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -q -C "$b" all-am >/dev/null 2>&1 ||
	skip_all "sources changed since the build: run make, then this test"
for v in prefix bindir pkcs11libdir p11moduledir udevrulesdir bashcompletiondir pcscbundledir kinkoconfdir mandir includedir localedir; do
	case ${!v} in
	/*) ;;
	*) echo "Bail out! $v is not an absolute path: '${!v}'"; exit 1 ;;
	esac
done
plan 12

start=$(date +%s)
"${as_user[@]}" make -s -C "$b" install DESTDIR="$dest" >"$tmp/install.log" 2>&1
rc=$?
echo "# make install as $("${as_user[@]}" id -un): exit $rc, $(($(date +%s) - start)) s"
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/install.log" | tail -20
check "make install succeeds as a non-root user" [ $rc -eq 0 ]

expected=(
	"$bindir/kinko" "$bindir/kinko-bankd" "$bindir/kinko-token-emu"
	"$pkcs11libdir/libkinko-pkcs11.so" "$includedir/kinko-pkcs11.h"
	"$p11moduledir/kinko.module"
	"$udevrulesdir/70-kinko-token.rules"
	"$bashcompletiondir/kinko" "$bashcompletiondir/kinko-bankd"
	"$pcscbundledir/Info.plist" "$pcscbundledir/Linux/libccid.so"
	"$kinkoconfdir/kinko.conf"
	"$mandir/man1/kinko.1" "$mandir/man1/kinko-bankd.1" "$mandir/man1/kinko-token-emu.1"
	"$mandir/man5/kinko.conf.5"
	"$localedir/ja/LC_MESSAGES/kinko.mo"
	"$localedir/ja/LC_MESSAGES/kinko-bankd.mo" "$localedir/ja/LC_MESSAGES/kinko-token-emu.mo"
	${manja[@]+"${manja[@]}"}
)
missing=()
for f in "${expected[@]}"; do
	[ -f "$dest$f" ] || [ -L "$dest$f" ] || missing+=("$f")
done
[ ${#missing[@]} -eq 0 ] || printf '# missing: %s\n' "${missing[@]}"
check "every expected file is installed" [ ${#missing[@]} -eq 0 ]

(cd "$dest" && find . -type f -o -type l | sed 's|^\.||' | sort) >"$tmp/installed"
outside=$(grep -v "^$prefix/" "$tmp/installed")
[ -z "$outside" ] || printf "# outside $prefix: %s\n" $outside
check "nothing is installed outside the prefix $prefix" [ -z "$outside" ]

printf '%s\n' "${expected[@]}" | sort >"$tmp/expected"
extra=$(comm -23 "$tmp/installed" "$tmp/expected")
[ -z "$extra" ] || printf '# not expected: %s\n' $extra
check "nothing but the expected files is installed" [ -z "$extra" ]

check "no libtool .la file is installed" [ -z "$(grep '\.la$' "$tmp/installed")" ]

# pcscd's bundle: its library is a link to the installed libccid, whatever DESTDIR was.
check "the pcscd bundle's library links to the installed libccid ($libccid)" \
	[ "$(readlink "$dest$pcscbundledir/Linux/libccid.so")" = "$libccid" ]

check "kinko.module names the installed module" \
	grep -sqx "module: $pkcs11libdir/libkinko-pkcs11.so" "$dest$p11moduledir/kinko.module"

# The installed module loads and answers C_GetInfo (with no token configured pkcs11-tool
# ends with "No slots." and exit 1, so its output is what counts).
if command -v pkcs11-tool >/dev/null && [ -z "${KINKO_SANITIZED:-}" ]; then
	KINKO_CONF=/dev/null KINKO_EMU_SOCKETS= pkcs11-tool --module "$dest$pkcs11libdir/libkinko-pkcs11.so" \
		--show-info >"$tmp/info.log" 2>&1
	grep -q '^Manufacturer *kinko$' "$tmp/info.log" || sed 's/^/# /' "$tmp/info.log"
	check "the installed module loads (pkcs11-tool --show-info)" grep -q '^Manufacturer *kinko$' "$tmp/info.log"
else
	skip "the installed module loads (pkcs11-tool --show-info)" "pkcs11-tool missing or a sanitizer build"
fi

# The installed catalogue is the one kinko reads: under a Japanese locale, kinko without a
# subcommand says so in Japanese (KINKO_LOCALEDIR stands for the DESTDIR-less $(localedir)).
if locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
	LANG=ja_JP.UTF-8 KINKO_LOCALEDIR="$dest$localedir" "$dest$bindir/kinko" >"$tmp/ja.log" 2>&1
	LC_ALL=C.UTF-8 grep -qP '[\p{Han}\p{Hiragana}]' "$tmp/ja.log" || sed 's/^/# /' "$tmp/ja.log" | tail -5
	check "the installed catalogue gives kinko's Japanese messages" env LC_ALL=C.UTF-8 grep -qP '[\p{Han}\p{Hiragana}]' "$tmp/ja.log"
else
	skip "the installed catalogue gives kinko's Japanese messages" "the ja_JP.UTF-8 locale is not installed"
fi

# The installed Japanese page reads as man shows it to a reader (man-db finds the language in
# the man/ja/ path).
if [ ${#manja[@]} -eq 0 ]; then
	skip "man -l shows the installed ja/man1/kinko.1 in Japanese" "configure found no po4a: no Japanese man pages"
elif ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' || ! command -v man >/dev/null; then
	skip "man -l shows the installed ja/man1/kinko.1 in Japanese" "the ja_JP.UTF-8 locale or man-db is missing"
else
	LC_ALL=ja_JP.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$dest$mandir/ja/man1/kinko.1" 2>&1 | LC_ALL=C.UTF-8 col -b >"$tmp/man-ja.txt"
	grep -q '^名前' "$tmp/man-ja.txt" || head -5 "$tmp/man-ja.txt" | sed 's/^/# /'
	check "man -l shows the installed ja/man1/kinko.1 in Japanese" grep -q '^名前' "$tmp/man-ja.txt"
fi

# The installed completions load in bash (with bash-completion's library) and complete.
if [ -r /usr/share/bash-completion/bash_completion ]; then
	# shellcheck disable=SC2016
	bash -c '. /usr/share/bash-completion/bash_completion && . "$1" && . "$2" &&
		COMP_WORDS=(kinko-bankd contract "") COMP_CWORD=2 COMP_LINE="kinko-bankd contract " COMP_POINT=21 &&
		_kinko_bankd && printf "%s\n" "${COMPREPLY[@]}" &&
		COMP_WORDS=(kinko pin "") COMP_CWORD=2 COMP_LINE="kinko pin " COMP_POINT=10 &&
		_kinko && printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$dest$bashcompletiondir/kinko" "$dest$bashcompletiondir/kinko-bankd" >"$tmp/comp.log" 2>&1
	grep -qx revoke "$tmp/comp.log" && grep -qx unblock "$tmp/comp.log" || sed 's/^/# /' "$tmp/comp.log" | tail -5
	check "the installed bash completions load and complete" \
		sh -c 'grep -qx revoke "$1" && grep -qx unblock "$1"' _ "$tmp/comp.log"
else
	skip "the installed bash completions load and complete" "bash-completion is not installed"
fi

"${as_user[@]}" make -s -C "$b" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1
left=$(cd "$dest" && find . -type f -o -type l)
[ -z "$left" ] || printf '# left after uninstall: %s\n' $left
check "make uninstall removes every file" [ -z "$left" ]
