#!/usr/bin/env bash
# Installs the Debian 12 packages kinko needs to build, test and demo, if any is missing.
# Usage: scripts/deps.sh            (as root, or with sudo available)
#        scripts/deps.sh --browsers also what the browser tests drive (./test.sh's stage)
#        scripts/deps.sh --packaging  also what building and checking the Debian packages takes
#                                     (./test.sh's stage; the packages' own build dependencies
#                                     are installed into the stage's build root from debian/control)
#        (both flags may be given)
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libssl-dev libp11-kit-dev p11-kit libp11-dev libusb-1.0-0-dev libcurl4-openssl-dev libsqlite3-dev
	libassuan-dev pinentry-tty libnss3-tools
	libcmocka-dev libevent-dev libjansson-dev umockdev libumockdev-dev
	clang libclang-rt-14-dev clang-format-14 valgrind
	openssl curl sqlite3 python3 python3-cryptography jq
	man-db groff-base bash-completion
	gettext autopoint po4a locales
	pcscd vsmartcard-vpcd libpcsclite-dev libccid pcsc-tools
	opensc gnutls-bin libengine-pkcs11-openssl softhsm2
	openjdk-17-jdk-headless
	yubico-piv-tool ykcs11
	openssh-client openssh-server
)
# The browser stage (make check-browser): the browsers, NSS's modutil/certutil, fonts for the
# Japanese pages' screenshots. Node and npm (playwright-core) are looked for as commands: a
# Node from elsewhere (NodeSource's nodejs carries npm) is not replaced by Debian's.
for flag in "$@"; do
	case "$flag" in
	--browsers)
		PACKAGES+=(chromium firefox-esr libnss3-tools pinentry-tty fonts-noto-cjk)
		command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)
		;;
	# The Debian package stage (make check-deb): clean Debian 12 roots made by mmdebstrap, in
	# which the packages are built and installed; lintian and dpkg-dev's tools on this machine.
	--packaging) PACKAGES+=(mmdebstrap lintian dpkg-dev util-linux) ;;
	*) echo "scripts/deps.sh: unknown option $flag" >&2; exit 2 ;;
	esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# The Japanese messages are tested under ja_JP.UTF-8: generate the locale once (the tests say
# why they skip when it cannot be had, e.g. without root).
ja_locale() {
	locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' && return 0
	[ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ] || { echo "kinko: cannot generate ja_JP.UTF-8 without root" >&2; return 0; }
	if [ -f /etc/locale.gen ] && ! grep -q '^ja_JP.UTF-8 UTF-8' /etc/locale.gen; then
		echo 'ja_JP.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
	fi
	$SUDO locale-gen >/dev/null 2>&1 || echo "kinko: locale-gen ja_JP.UTF-8 failed" >&2
}

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && { ja_locale; exit 0; }

echo "kinko: installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
	echo "kinko: need root or sudo to install: ${missing[*]}" >&2; exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ja_locale
