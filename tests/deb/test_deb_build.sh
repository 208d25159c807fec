#!/usr/bin/env bash
# The Debian packages build as Debian builds them: in a clean Debian 12 root holding only
# build-essential and what debian/control's Build-Depends names, as an unprivileged user, with
# no network (dpkg-buildpackage -us -uc -b), reproducibly; lintian finds no error and no
# warning; each package holds what the README's table says. The packages are left in
# tests/deb/out for test_deb_install.sh, their sizes and lintian's output in this test's log.
. "${KINKO_SRCDIR:-.}/tests/deb/deb_lib.sh"
deb_stage_or_skip
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-deb-build.XXXXXX")
trap '[ -n "${KINKO_DEB_KEEP:-}" ] || rm -rf "$T"' EXIT
root="$T/root"

if deb_root_make "$root" buildd; then
	ok "a clean Debian 12 build root (mmdebstrap --variant=buildd)"
else
	not_ok "a clean Debian 12 build root (mmdebstrap --variant=buildd)"
	diag "$root.log"
	deb_missing "no build root: is Debian's mirror reachable?"
fi

# The source as committed (git ls-files: a clean clone's tree), else the whole source directory
# without build trees.
mkdir -p "$root/build/src"
if git -C "$S" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$S" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
		tar -C "$root/build/src" -xf -
else
	(cd "$S" && tar --exclude=./_build --exclude=./debian/build -cf - .) | tar -C "$root/build/src" -xf -
fi
# A second copy elsewhere, for the reproducibility check below.
mkdir -p "$root/build-again/elsewhere"
cp -a "$root/build/src" "$root/build-again/elsewhere/src"
chown -R 65534:65534 "$root/build" "$root/build-again"

run deb_in "$root" sh -c 'apt-get update -qq &&
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q --no-install-recommends /build/src'
check_ok_out "debian/control's Build-Depends install into it (apt-get build-dep)"
[ "$RC" -eq 0 ] || diag "$T/out" 30

# The source package too (format 3.0 (native)), from the clean tree, for lintian's source checks
# (debian/copyright, debian/tests/control, ...).
run deb_in_offline "$root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env HOME=/build sh -c 'cd /build && dpkg-source -b src'
check_ok_out "dpkg-source -b makes the source package" "building kinko in kinko_"

started=$SECONDS
run deb_in_offline "$root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env HOME=/build DEB_BUILD_OPTIONS="parallel=$(nproc)" sh -c 'cd /build/src && dpkg-buildpackage -us -uc -b'
if [ "$RC" -eq 0 ]; then
	ok "dpkg-buildpackage -us -uc -b builds, offline, as an unprivileged user ($((SECONDS - started)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b builds, offline, as an unprivileged user"
	diag "$T/out" 40
fi

# Reproducible: built again in another directory, time zone and umask, every package (the
# -dbgsym ones too) is the same, byte for byte.
run deb_in_offline "$root" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env HOME=/build-again TZ=Asia/Tokyo DEB_BUILD_OPTIONS="parallel=$(nproc)" \
	sh -c 'umask 0002 && cd /build-again/elsewhere/src && dpkg-buildpackage -us -uc -b'
differ=""
for f in "$root"/build/*.deb; do
	cmp -s "$f" "$root/build-again/elsewhere/${f##*/}" || differ="$differ ${f##*/}"
done
if [ "$RC" -eq 0 ] && [ -z "$differ" ] && [ -n "$(ls "$root"/build/*.deb 2>/dev/null)" ]; then
	ok "reproducible: a second build elsewhere (path, TZ, umask) makes the same $(ls "$root"/build/*.deb | wc -l) packages"
else
	not_ok "reproducible: a second build elsewhere (path, TZ, umask) makes the same packages (exit $RC;$differ)"
	[ "$RC" -eq 0 ] || diag "$T/out" 20
fi

pkgs=(libkinko-pkcs11 libkinko-pkcs11-dev kinko kinko-bankd kinko-token-emu)
rm -rf "$DEB_OUT"
mkdir -p "$DEB_OUT"
missing=""
for p in "${pkgs[@]}"; do
	f=$(ls "$root/build/${p}_"*.deb 2>/dev/null | head -1)
	if [ -n "$f" ]; then cp "$f" "$DEB_OUT/"; else missing="$missing $p"; fi
done
cp "$root/build/"*.changes "$root/build/"*-dbgsym_*.deb "$root/build/"*.buildinfo "$root/build/"*.dsc \
	"$root/build/"*.tar.* "$DEB_OUT/" 2>/dev/null
if [ -z "$missing" ]; then
	ok "the ${#pkgs[@]} binary packages: ${pkgs[*]}"
else
	not_ok "the ${#pkgs[@]} binary packages: missing$missing"
fi

# lintian as an unprivileged user (it says so when run as root), every tag shown.
chmod -R a+rX "$DEB_OUT"
run setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$T" TMPDIR="$T" \
	lintian -I -E --pedantic --show-overrides --tag-display-limit 0 "$DEB_OUT"/*.changes "$DEB_OUT"/*.dsc
if [ -s "$T/out" ]; then sed 's/^/# lintian: /' "$T/out"; else echo "# lintian: (no tag)"; fi
if [ "$RC" -le 1 ] && [ -s "$DEB_OUT/kinko_"*.changes ] && ! grep -Eq '^[EW]: ' "$T/out"; then
	ok "lintian -I -E --pedantic: no error, no warning"
else
	not_ok "lintian -I -E --pedantic: no error, no warning (exit $RC)"
fi

# deb_has PACKAGE PATH-REGEX...: the package's file list (dpkg-deb -c) has each.
deb_has() {
	local p="$1" f re miss=""
	shift
	f=$(ls "$DEB_OUT/${p}_"*.deb 2>/dev/null | head -1)
	[ -n "$f" ] || { not_ok "$p holds what the README says: no package"; return; }
	dpkg-deb -c "$f" | awk '{print $6}' | sed 's|^\.||' >"$T/list"
	for re in "$@"; do grep -Eq "^$re$" "$T/list" || miss="$miss $re"; done
	if [ -z "$miss" ]; then ok "$p holds what the README says"; else not_ok "$p lacks:$miss"; fi
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb_has libkinko-pkcs11 "/usr/lib/$ma/pkcs11/libkinko-pkcs11.so" /usr/share/p11-kit/modules/kinko.module \
	/etc/kinko/kinko.conf /usr/lib/udev/rules.d/70-kinko-token.rules \
	/usr/lib/pcsc/drivers/kinko-ccid.bundle/Contents/Info.plist /usr/share/locale/ja/LC_MESSAGES/kinko.mo
deb_has libkinko-pkcs11-dev /usr/include/kinko-pkcs11.h
deb_has kinko /usr/bin/kinko /usr/share/man/man1/kinko.1.gz /usr/share/man/ja/man1/kinko.1.gz \
	/usr/share/bash-completion/completions/kinko
deb_has kinko-bankd /usr/bin/kinko-bankd /usr/share/man/man1/kinko-bankd.1.gz \
	/usr/share/man/ja/man1/kinko-bankd.1.gz /lib/systemd/system/kinko-bankd.service \
	/usr/share/bash-completion/completions/kinko-bankd /usr/share/locale/ja/LC_MESSAGES/kinko-bankd.mo
deb_has kinko-token-emu /usr/bin/kinko-token-emu /usr/share/man/man1/kinko-token-emu.1.gz \
	/usr/share/locale/ja/LC_MESSAGES/kinko-token-emu.mo
f=$(ls "$DEB_OUT"/libkinko-pkcs11_*.deb 2>/dev/null | head -1)
run dpkg-deb -I "$f" conffiles
check_ok_out "/etc/kinko/kinko.conf is libkinko-pkcs11's conffile" /etc/kinko/kinko.conf

for f in "$DEB_OUT"/*.deb; do
	printf '# size: %s %s bytes, installed %s KiB\n' "$(basename "$f")" "$(stat -c %s "$f")" \
		"$(dpkg-deb -f "$f" Installed-Size)"
done
plan "$TAP_N"
