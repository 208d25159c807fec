#!/usr/bin/env bash
# The packages test_deb_build.sh made, installed into a clean Debian 12 root with apt-get as a
# user installs them: the module registered with p11-kit and working from its installed path,
# the programs, their manual pages in English and Japanese, the shell completion, the service
# unit, the bank made as the README says and served as the unit runs it; the bank manuals' seed
# flow on the installed binaries alone; then removal leaves only the conffile, and purge leaves
# the root as it was before the install.
. "${KINKO_SRCDIR:-.}/tests/deb/deb_lib.sh"
deb_stage_or_skip
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-deb-install.XXXXXX")
# The emulator started in the root is stopped by its pid (written to emu.pid in the root).
emu_pidfile=""
trap '[ -s "$emu_pidfile" ] && kill -KILL "$(cat "$emu_pidfile")" 2>/dev/null; [ -n "${KINKO_DEB_KEEP:-}" ] || rm -rf "$T"' EXIT
root="$T/root"
pkgs=(libkinko-pkcs11 libkinko-pkcs11-dev kinko kinko-bankd kinko-token-emu)
for p in "${pkgs[@]}"; do
	ls "$DEB_OUT/${p}_"*.deb >/dev/null 2>&1 || deb_missing "no $p package in $DEB_OUT (test_deb_build.sh makes them)"
done
# rc_ok NAME: the last run succeeded (its output shown when not).
rc_ok() {
	if [ "$RC" -eq 0 ]; then ok "$1"; else not_ok "$1 (exit $RC)"; diag "$T/out" 20; fi
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MOD="/usr/lib/$ma/pkcs11/libkinko-pkcs11.so"

# What the checks and the seed flow drive (the test kit: tests/lib, tests/cli), nothing of kinko's.
# (python3-seccomp and iproute2: the bank under its unit's system call filter, in a network
# namespace of its own; autopkgtest and the dpkg-dev it installs for a source tree: debian/tests.)
tools=(p11-kit opensc man-db bash-completion systemd locales sqlite3 python3 openssl curl gettext-base procps
	python3-seccomp iproute2 autopkgtest dpkg-dev)
if deb_root_make "$root" apt "${tools[@]}"; then
	ok "a clean Debian 12 root with the checks' tools (mmdebstrap --variant=apt)"
else
	not_ok "a clean Debian 12 root with the checks' tools (mmdebstrap --variant=apt)"
	diag "$root.log"
	deb_missing "no root: is Debian's mirror reachable?"
fi
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
echo 'ja_JP.UTF-8 UTF-8' >>"$root/etc/locale.gen"
deb_in "$root" locale-gen >/dev/null 2>&1
mkdir -p "$root/debs"
for p in "${pkgs[@]}"; do cp "$DEB_OUT/${p}_"*.deb "$root/debs/"; done

# First what the packages depend on and recommend (apt-get satisfy), so that the root's state
# before kinko can be compared with its state after the purge.
deps=$(for f in "$root"/debs/*.deb; do dpkg-deb -f "$f" Depends Recommends | sed 's/^[A-Za-z-]*: //'; done |
	tr '\n' ',' | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' |
	grep -Ev '^(libkinko-pkcs11|libkinko-pkcs11-dev|kinko|kinko-bankd|kinko-token-emu)( |$)' | sort -u | paste -sd, -)
echo "# dependencies and recommendations: $deps"
run deb_in "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -q "$1"' sh "$deps"
check_ok_out "what the packages depend on and recommend installs (apt-get satisfy)"

# The root's files (not the package manager's records, caches, logs, the mount points, root's
# home where the test's tools keep their caches).
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./root -o -path ./src -o -path ./debs -o -path ./var/cache -o -path ./var/log \
		-o -path ./var/lib/dpkg -o -path ./var/lib/apt \) -prune -o -print | sort)
}
snapshot >"$T/before"

# A bank server installs kinko-bankd alone, a test rig kinko-token-emu alone: each speaks
# Japanese from its own catalogue (libkinko-pkcs11's kinko.mo is not there).
for p in kinko-bankd kinko-token-emu; do
	run deb_in "$root" sh -c 'dpkg -i /debs/"$1"_*.deb >/dev/null && LANG=ja_JP.UTF-8 "$1" --help' sh "$p"
	if [ "$RC" -eq 0 ] && grep -qF '使い方:' "$T/stdout" && [ ! -e "$root/usr/share/locale/ja/LC_MESSAGES/kinko.mo" ]; then
		ok "$p installed alone speaks Japanese under ja_JP.UTF-8 (its own catalogue)"
	else
		not_ok "$p installed alone speaks Japanese under ja_JP.UTF-8 (its own catalogue)"
		diag "$T/out"
	fi
done
run deb_in "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /debs/*.deb'
check_ok_out "apt-get install ./*.deb installs the ${#pkgs[@]} packages" "Setting up kinko " \
	"Setting up libkinko-pkcs11-dev "
grep -o '[0-9]* newly installed' "$T/out" | sed 's/^/# apt-get: /'
# The packages' files and links (not their directories, which other packages share).
for f in "$root"/debs/*.deb; do dpkg-deb -c "$f"; done | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||' | sort -u >"$T/files"
deb_in "$root" sh -c 'cat /var/lib/dpkg/info/*.conffiles 2>/dev/null' | sort -u >"$T/conffiles.all"
grep -Fxf "$T/files" "$T/conffiles.all" >"$T/conffiles"
echo "# conffiles: $(tr '\n' ' ' <"$T/conffiles")"

# pcscd's bundle for the USB token: its library is libccid's (installed by the dependency), and
# it names the VID:PID the udev rule gives the token.
rule=$(grep -v '^#' "$S/data/70-kinko-token.rules")
vid=$(sed -n 's/.*idVendor}=="\([0-9a-fA-F]*\)".*/\1/p' <<<"$rule")
pid=$(sed -n 's/.*idProduct}=="\([0-9a-fA-F]*\)".*/\1/p' <<<"$rule")
bundle=/usr/lib/pcsc/drivers/kinko-ccid.bundle/Contents
run deb_in "$root" sh -c 'readlink -e "$1/Linux/libccid.so" && tr "[:upper:]" "[:lower:]" <"$1/Info.plist"' sh "$bundle"
check_ok_out "pcscd's kinko-ccid.bundle: libccid's library, the token's VID:PID $vid:$pid" \
	"/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux/libccid.so" "<string>0x${vid,,}</string>" \
	"<string>0x${pid,,}</string>"

run deb_in "$root" p11-kit list-modules
check_ok_out "p11-kit list-modules shows kinko's module" "kinko: $MOD" "library-manufacturer: kinko"

# An emulated token (the installed kinko-token-emu), reached by the installed module.
tok=/tmp/kinko-deb-tok
mkdir -p "$root$tok"
printf '24681357\n' >"$root$tok/pin"
printf '86421357\n' >"$root$tok/puk"
chmod 600 "$root$tok/pin" "$root$tok/puk"
run deb_in "$root" kinko-token-emu --state "$tok/state" --init --serial 424242 --pin-file "$tok/pin" --puk-file "$tok/puk"
rc_ok "kinko-token-emu --init makes a token"
emu_pidfile="$root$tok/emu.pid"
deb_in "$root" sh -c 'kinko-token-emu --state "$1/state" --socket "$1/sock" >"$1/emu.log" 2>&1 &
	echo $! >"$1/emu.pid"
	for i in $(seq 100); do [ -S "$1/sock" ] && exit 0; sleep 0.1; done; exit 1' sh "$tok"
run deb_in "$root" env KINKO_EMU_SOCKETS="$tok/sock" pkcs11-tool --module "$MOD" -L
check_ok_out "pkcs11-tool --module $MOD lists the emulated token" "kinko PIV #424242"
run deb_in "$root" env KINKO_EMU_SOCKETS="$tok/sock" kinko token list
check_ok_out "kinko token list finds the token through the installed module, no --module given" "kinko PIV #424242"
kill -TERM "$(cat "$emu_pidfile")" 2>/dev/null

run deb_in "$root" env LANG=ja_JP.UTF-8 kinko --help
check_ok_out "kinko speaks Japanese under ja_JP.UTF-8 (libkinko-pkcs11's kinko.mo)" "使い方:"
run deb_in "$root" kinko --version
version=$(dpkg-deb -f "$root"/debs/kinko_*.deb Version)
check_ok_out "kinko --version says the package's version" "$version"

# man(1) as a user runs it: formatted for a terminal, warnings on stderr. LOCALE PAGE HEADING.
for spec in "C.UTF-8 kinko NAME" "C.UTF-8 kinko-bankd NAME" "C.UTF-8 kinko-token-emu NAME" \
	"C.UTF-8 kinko.conf NAME" "ja_JP.UTF-8 kinko 名前" "ja_JP.UTF-8 kinko-bankd 名前"; do
	read -r loc page heading <<<"$spec"
	name="LANG=$loc man $page renders (${heading}), no warning"
	run deb_in "$root" env LANG="$loc" MANWIDTH=80 man -P cat "$page"
	if [ "$RC" -eq 0 ] && [ ! -s "$T/stderr" ] && grep -q "^$heading" "$T/stdout"; then
		ok "$name"
	else
		not_ok "$name"
		diag "$T/out"
	fi
done

# Completion as an interactive bash loads it: bash-completion's loader finds the script by the
# command's name; the subcommands complete.
complete_words() {
	deb_in "$root" bash -c '. /usr/share/bash-completion/bash_completion
		__load_completion "$1" || exit 3
		f=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$f" ] || exit 4
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$@"
}
run complete_words kinko to
check_ok_out "bash completes kinko's subcommands (installed completion)" token
run complete_words kinko-bankd con
check_ok_out "bash completes kinko-bankd's commands (installed completion)" contract

run deb_in "$root" systemd-analyze verify /lib/systemd/system/kinko-bankd.service
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ]; then
	ok "systemd-analyze verify kinko-bankd.service: no complaint"
else
	not_ok "systemd-analyze verify kinko-bankd.service: no complaint (exit $RC)"
	diag "$T/out"
fi
# systemd's own score of the unit's sandbox (0 best, 10 worst): 1.4 when written; above 2.5
# fails (--threshold counts tenths).
run deb_in "$root" systemd-analyze security --offline=true --threshold=25 "/lib/systemd/system/kinko-bankd.service"
grep -F 'Overall exposure level' "$T/out" | sed 's/^/# /'
check_ok_out "systemd-analyze security: kinko-bankd.service's exposure is at most 2.5" "Overall exposure level"
run deb_in "$root" stat -c '%U %a' /var/lib/kinko-bankd
check_ok_out "the service's system user owns /var/lib/kinko-bankd, mode 0700" "kinko-bankd 700"

# The bank as the README has the administrator make it, then served by the unit's ExecStart
# as the unit's user under the unit's system call filter (tests/deb/unit_filter.py: what systemd
# would apply), on 127.0.0.1:8443 in a network namespace of its own.
unit=/lib/systemd/system/kinko-bankd.service
run deb_in "$root" runuser -u kinko-bankd -- kinko-bankd init --dir /var/lib/kinko-bankd --bank-code 0123
check_ok_out "runuser -u kinko-bankd -- kinko-bankd init --dir /var/lib/kinko-bankd makes the bank"
run deb_chroot --net "$root" sh -c 'ip link set lo up || exit 3
	set -- $(sed -n "s/^ExecStart=//p" "$1")
	setpriv --reuid=kinko-bankd --regid=kinko-bankd --init-groups \
		python3 /src/tests/deb/unit_filter.py /lib/systemd/system/kinko-bankd.service "$@" 2>/tmp/bankd.err &
	for i in $(seq 100); do
		curl -fsS --max-time 5 --cacert /var/lib/kinko-bankd/ca.crt \
			https://127.0.0.1:8443/.well-known/est/cacerts -o /tmp/cacerts 2>/dev/null && break
		sleep 0.1
	done
	echo "served by user $(stat -c "%U" /proc/$!)"
	kill $!; wait $!
	base64 -d /tmp/cacerts | openssl pkcs7 -inform DER -print_certs -noout; cat /tmp/bankd.err' sh "$unit"
check_ok_out "the unit's ExecStart serves EST as kinko-bankd under the unit's system call filter" \
	"served by user kinko-bankd" "subject="

# The seed flow on the installed programs and module (debian/tests/seed-flow, the packages'
# autopkgtest), the bank under the unit's system call filter; its results are this test's,
# prefixed.
fb=/tmp/kinko-filtered
mkdir -p "$root$fb"
ln -sf /usr/bin/kinko "$root$fb/kinko"
ln -sf /usr/bin/kinko-token-emu "$root$fb/kinko-token-emu"
printf '#!/bin/sh\nexec python3 /src/tests/deb/unit_filter.py %s /usr/bin/kinko-bankd "$@"\n' "$unit" >"$root$fb/kinko-bankd"
chmod 755 "$root$fb/kinko-bankd"
run deb_in "$root" env KINKO_TEST_BINDIR="$fb" sh -c 'cd /src && sh debian/tests/seed-flow'
flow_n=0
while IFS= read -r line; do
	case "$line" in
	"ok "*) flow_n=$((flow_n + 1)); ok "installed: ${line#ok * - }" ;;
	"not ok "*) flow_n=$((flow_n + 1)); not_ok "installed: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T/stdout"
[ "$RC" -eq 0 ] && [ "$flow_n" -gt 0 ] || { not_ok "the seed flow on the installed binaries ran (exit $RC)"; diag "$T/out"; }

# The same as Debian's CI runs it: autopkgtest, debian/tests/control, on this root (virt-null).
run deb_in "$root" sh -c 'autopkgtest --output-dir /tmp/autopkgtest /debs/*.deb /src -- null'
grep -E '^seed-flow +(PASS|FAIL|SKIP)' "$T/out" | sed 's/^/# autopkgtest: /'
if [ "$RC" -eq 0 ] && grep -Eq '^seed-flow +PASS' "$T/out"; then
	ok "autopkgtest runs debian/tests on the installed packages: seed-flow passes"
else
	not_ok "autopkgtest runs debian/tests on the installed packages: seed-flow passes (exit $RC)"
	diag "$T/out" 30
fi

# Removal: every file the packages installed is gone but the conffile.
run deb_in "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$@"' sh "${pkgs[@]}"
rc_ok "apt-get remove removes the ${#pkgs[@]} packages"
left=$(while read -r f; do [ -e "$root$f" ] || [ -L "$root$f" ] && echo "$f"; done <"$T/files" | grep -Fxvf "$T/conffiles")
kept=$(while read -r f; do [ -f "$root$f" ] || echo "$f"; done <"$T/conffiles")
if [ -z "$left" ] && [ -z "$kept" ] && [ -s "$T/conffiles" ]; then
	ok "after remove only the conffiles are left ($(wc -l <"$T/conffiles") of $(wc -l <"$T/files") paths)"
else
	not_ok "after remove only the conffiles are left"
	echo "# files left: $left" | head -c 600; echo
	echo "# conffiles gone: $kept"
fi

run deb_in "$root" dpkg --purge "${pkgs[@]}"
rc_ok "dpkg --purge purges them"
snapshot >"$T/after"
if diff "$T/before" "$T/after" >"$T/diff"; then
	ok "after purge the root's files are those before the install"
else
	not_ok "after purge the root's files are those before the install"
	diag "$T/diff" 30
fi
run deb_in "$root" find / -xdev -user kinko-bankd
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ]; then
	ok "no file is owned by kinko-bankd's system user after purge"
else
	not_ok "no file is owned by kinko-bankd's system user after purge"
	diag "$T/out"
fi
plan "$TAP_N"
