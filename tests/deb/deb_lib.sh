# shellcheck shell=bash disable=SC2034  # (variables read by the sourcing scripts)
# The Debian package stage's kit (make check-deb; sourced by tests/deb/test_deb_*.sh): clean
# Debian 12 roots made by mmdebstrap from Debian's mirror, and commands run inside them, each in
# a mount namespace of its own (its /proc and the read-only source tree at /src vanish with it).
#
#   deb_stage_or_skip             skip_all unless in make check-deb (KINKO_DEB_STAGE=1); there, a
#                                 missing piece (root, mmdebstrap, the mirror) fails the test
#   deb_root_make ROOT VARIANT [PACKAGE...]
#                                 a bookworm root (mmdebstrap VARIANT: buildd, apt) with PACKAGEs;
#                                 its log in ROOT.log
#   deb_in ROOT COMMAND...        COMMAND in ROOT, as root, with a clean environment
#   deb_in_offline ROOT COMMAND...  the same with no network (a network namespace of its own)
#   DEB_OUT                       where test_deb_build.sh leaves the packages for the others
# KINKO_DEB_KEEP=1 keeps each test's temporary directory and root (to look into a failure).
set -u
B="${KINKO_BUILDDIR:-.}"
S="${KINKO_SRCDIR:-.}"
DEB_OUT="$B/tests/deb/out"
# Debian 12 as a user has it: the release, its updates and security suites. KINKO_DEB_MIRROR
# names another mirror (a local one, say) for all three.
DEB_MIRROR="${KINKO_DEB_MIRROR:-http://deb.debian.org/debian}"
DEB_SECURITY="${KINKO_DEB_MIRROR:-http://deb.debian.org/debian-security}"
# (No Python bytecode written: the tools' caches would count as files the packages left.)
DEB_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1)

# shellcheck source=tests/lib/tap.sh
. "$S/tests/lib/tap.sh"

deb_stage_or_skip() {
	[ "${KINKO_DEB_STAGE:-0}" = 1 ] || skip_all "the Debian package tests run in make check-deb"
	[ "$(id -u)" -eq 0 ] || deb_missing "the package stage makes Debian roots: it needs root"
	command -v mmdebstrap >/dev/null || deb_missing "mmdebstrap not installed (scripts/deps.sh --packaging)"
	command -v unshare >/dev/null || deb_missing "unshare not installed (util-linux)"
}
# The stage was asked for (./test.sh): a missing piece is a failure, not a skip.
deb_missing() {
	echo "Bail out! $1"
	exit 1
}

deb_root_make() {
	local root="$1" variant="$2" inc
	shift 2
	inc=$(
		IFS=,
		echo "$*"
	)
	rm -rf "$root"
	timeout 900 mmdebstrap --mode=root --variant="$variant" ${inc:+--include="$inc"} \
		--aptopt='Acquire::Retries "3"' bookworm "$root" \
		"deb $DEB_MIRROR bookworm main" "deb $DEB_MIRROR bookworm-updates main" \
		"deb $DEB_SECURITY bookworm-security main" >"$root.log" 2>&1
}

# deb_chroot UNSHARE-FLAGS ROOT COMMAND...: COMMAND in ROOT under a clean environment, in a mount
# namespace of its own (plus the UNSHARE-FLAGS' namespaces), killed after $DEB_TIMEOUT (900) s.
deb_chroot() {
	local flags="$1" root="$2" src
	shift 2
	src=$(cd "$S" && pwd)
	# shellcheck disable=SC2086  # (flags: zero or more words)
	timeout -k 10 "${DEB_TIMEOUT:-900}" unshare --mount --propagation private $flags --fork sh -c '
		r="$1" s="$2"
		shift 2
		mount -t proc proc "$r/proc" && mount -t tmpfs tmpfs "$r/dev/shm" &&
			mkdir -p "$r/src" && mount --bind "$s" "$r/src" && mount -o remount,bind,ro "$r/src" || exit 125
		exec chroot "$r" "$@"' sh "$root" "$src" "${DEB_ENV[@]}" "$@"
}
deb_in() { deb_chroot "" "$@"; }
deb_in_offline() { deb_chroot --net "$@"; }
