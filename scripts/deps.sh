#!/usr/bin/env bash
# Installs the Debian 12 packages kinko needs to build, test and demo, if any is missing.
# Usage: scripts/deps.sh            (as root, or with sudo available)
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libssl-dev libp11-kit-dev p11-kit libp11-dev libusb-1.0-0-dev libcurl4-openssl-dev libsqlite3-dev
	libcmocka-dev libevent-dev libjansson-dev umockdev libumockdev-dev
	clang libclang-rt-14-dev valgrind
	openssl curl sqlite3 python3 python3-cryptography jq
	man-db groff-base
	opensc gnutls-bin libengine-pkcs11-openssl softhsm2
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "kinko: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "kinko: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
