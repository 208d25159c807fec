#!/usr/bin/env bash
# kinko's whole test suite: installs what is missing, then builds and runs every test
# (plain build with -Werror, the same under ASan+UBSan, unit tests under valgrind, the
# libFuzzer targets for a bounded time, the module built alone, the logon in real browsers
# (make check-browser, on the plain build), the Debian packages built, installed and purged in
# clean Debian 12 roots (make check-deb), and make distcheck).
# Ends with "N passed, N failed".
#
#   ./test.sh            everything
#   FUZZ_SECONDS=60 ./test.sh   longer fuzzing (default 20 s per target)
#   SKIP_DISTCHECK=1 ./test.sh  skip the distcheck stage
set -uo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# The PC/SC tests (a private pcscd with vsmartcard-vpcd readers, tests/lib/pcsc.sh) run here,
# as root: a missing piece fails them instead of skipping them.
export KINKO_PCSC_REQUIRED=1
# The same for the tools the interop tests drive (tests/lib/tap.sh's need): deps.sh installs
# them all, so a missing one is a failure here, not a skip.
export KINKO_INTEROP_REQUIRED=1
out="$top/_build"
passed=0
failed=0
failures=()

scripts/deps.sh --browsers --packaging || { echo "could not install dependencies"; echo "0 passed, 1 failed"; exit 1; }
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed"; exit 1; }

note_fail() { failed=$((failed + 1)); failures+=("$1"); }

# Adds the PASS/FAIL counts of an automake test-suite.log (TAP: one line per test case).
count_suite() {
	local log=$1 stage=$2 p f
	if [ ! -f "$log" ]; then note_fail "$stage: no test log"; return; fi
	p=$(awk '/^# PASS:/ {print $3}' "$log"); f=$(awk '/^# (FAIL|ERROR|XPASS):/ {s += $3} END {print s+0}' "$log")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	[ "${f:-0}" -eq 0 ] || failures+=("$stage: $f failed, see $log")
}

# stage NAME DIR CONFIGURE-ARGS... : configure, build, make check
stage() {
	local name=$1 dir=$2; shift 2
	echo "== $name"
	rm -rf "$dir"; mkdir -p "$dir"
	if ! (cd "$dir" && "$top/configure" -q "$@" >configure.out 2>&1); then
		cat "$dir/configure.out"; note_fail "$name: configure"; return 1
	fi
	if ! (cd "$dir" && make -j"$(nproc)" >build.out 2>&1); then
		tail -40 "$dir/build.out"; note_fail "$name: build"; return 1
	fi
	(cd "$dir" && make -j"$(nproc)" check "${CHECK_ARGS[@]}" >check.out 2>&1)
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP)' "$dir/check.out" | grep -v '^PASS' || true
	count_suite "$dir/test-suite.log" "$name"
	grep -E '^# (TOTAL|PASS|FAIL|ERROR)' "$dir/test-suite.log" 2>/dev/null | tr '\n' ' '; echo
}

CHECK_ARGS=()
stage "build with -Werror, make check" "$out/plain" --enable-werror

# plain_target NAME TARGET [VAR=VALUE...]: a stage of its own on the plain build, make TARGET
# (which runs its tests through make check): its results counted from test-suite.log, its time
# said. Output in the plain build's TARGET.out.
plain_target() {
	local name=$1 target=$2 started=$SECONDS
	shift 2
	echo "== $name (make $target on the plain build)"
	if [ ! -x "$out/plain/kinko" ]; then note_fail "$name: no plain build"; return 1; fi
	rm -f "$out/plain/test-suite.log"
	(cd "$out/plain" && env "$@" make -j"$(nproc)" "$target" >"$target.out" 2>&1)
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP)' "$out/plain/$target.out" | grep -v '^PASS' || true
	count_suite "$out/plain/test-suite.log" "$name"
	grep -E '^# (TOTAL|PASS|FAIL|ERROR)' "$out/plain/test-suite.log" 2>/dev/null | tr '\n' ' '; echo
	echo "$name stage: $((SECONDS - started)) s"
}

# Chromium and Firefox headless with kinko's module; once, not in the sanitizer build (a
# browser cannot load the instrumented module). A missing browser or npm package fails here.
plain_target browsers check-browser KINKO_BROWSER_REQUIRED=1 &&
	echo "screenshots in $out/plain/tests/browser/artefacts/"

stage "ASan+UBSan, make check" "$out/asan" --enable-werror --enable-sanitizers CC=clang

echo "== unit tests under valgrind"
CHECK_ARGS=(LOG_COMPILER="valgrind --error-exitcode=99 -q --leak-check=full --errors-for-leak-kinds=definite"
	TESTS="$(cd "$out/plain" 2>/dev/null && ls tests/unit/test_* 2>/dev/null | grep -v '\.' | tr '\n' ' ')")
if [ -d "$out/plain" ]; then
	rm -f "$out/plain/test-suite.log"
	(cd "$out/plain" && make -j"$(nproc)" check "${CHECK_ARGS[@]}" >valgrind.out 2>&1)
	grep -E '^(FAIL|ERROR)' "$out/plain/valgrind.out" || true
	count_suite "$out/plain/test-suite.log" "valgrind"
fi

echo "== fuzzers, ${FUZZ_SECONDS}s each"
fz="$out/fuzz"
rm -rf "$fz"; mkdir -p "$fz"
if (cd "$fz" && "$top/configure" -q --enable-fuzzers CC=clang >configure.out 2>&1 &&
	make -j"$(nproc)" fuzz/fuzz_tlv fuzz/fuzz_apdu_dispatch fuzz/fuzz_module_parse fuzz/fuzz_bankd_request fuzz/fuzz_bankd_api fuzz/fuzz_kinko_answers fuzz/fuzz_emu_vpcd fuzz/fuzz_csr_evidence >build.out 2>&1); then
	for t in fuzz_tlv fuzz_apdu_dispatch fuzz_module_parse fuzz_bankd_request fuzz_bankd_api fuzz_kinko_answers fuzz_emu_vpcd fuzz_csr_evidence; do
		corpus="$fz/corpus-$t"; mkdir -p "$corpus"
		seeds="$top/fuzz/corpus/${t#fuzz_}"
		[ -d "$seeds" ] || seeds=""
		if (cd "$fz" && "./fuzz/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 -close_fd_mask=2 \
			"$corpus" $seeds >"$t.out" 2>&1); then
			echo "PASS: $t ($(grep -Eo 'Done [0-9]+ runs' "$fz/$t.out" | tail -1))"
			passed=$((passed + 1))
		else
			tail -30 "$fz/$t.out"; note_fail "fuzzer $t"
		fi
	done
else
	tail -30 "$fz/build.out" "$fz/configure.out" 2>/dev/null; note_fail "fuzz build"
fi

echo "== the module alone (--disable-bankd --disable-cli --disable-emulator --disable-tests)"
# Configures without even looking for the optional parts' libraries, builds, installs into a
# DESTDIR: the module is there, no program, and it links none of those libraries.
mo="$out/module-only"
rm -rf "$mo"; mkdir -p "$mo"
mo_why=""
if ! (cd "$mo" && "$top/configure" -q --enable-werror --disable-bankd --disable-cli \
	--disable-emulator --disable-tests >configure.out 2>&1); then
	mo_why="configure failed, see $mo/configure.out"
elif grep -Eq 'checking for (sqlite3|libevent|jansson|libcurl|libp11|cmocka|umockdev)' "$mo/config.log"; then
	mo_why="configure looked for an optional part's library, see $mo/config.log"
elif ! (cd "$mo" && make -j"$(nproc)" >build.out 2>&1 && make install DESTDIR="$mo/dest" >install.out 2>&1); then
	mo_why="build or install failed, see $mo/build.out and $mo/install.out"
else
	mo_so=$(find "$mo/dest" -name libkinko-pkcs11.so -type f)
	if [ -z "$mo_so" ]; then
		mo_why="make install did not install libkinko-pkcs11.so"
	elif [ -n "$(find "$mo/dest" -path '*/bin/*' -type f)" ]; then
		mo_why="make install installed a program: $(find "$mo/dest" -path '*/bin/*' -type f | tr '\n' ' ')"
	elif [ "$(cd "$mo/dest" && find . -name '*.mo' -printf '%f\n')" != kinko.mo ]; then
		mo_why="make install did not install kinko.mo alone: $(cd "$mo/dest" && find . -name '*.mo' | tr '\n' ' ')"
	elif objdump -p "$mo_so" | awk '/NEEDED/ {print $2}' |
		grep -Ev '^(libcrypto|libusb-1\.0|libpcsclite|libassuan|libgpg-error|libc|ld-linux[-a-z0-9_]*)\.so' >"$mo/needed.extra"; then
		mo_why="the module links $(tr '\n' ' ' <"$mo/needed.extra")"
	fi
fi
if [ -z "$mo_why" ]; then
	echo "PASS: module alone ($(objdump -p "$mo_so" | awk '/NEEDED/ {printf "%s ", $2}'))"
	passed=$((passed + 1))
else
	echo "FAIL: module alone: $mo_why"; note_fail "module alone: $mo_why"
fi

# The Debian packages: built in a clean Debian 12 root holding only their Build-Depends,
# offline, as an unprivileged user; lintian; installed with apt-get into another clean root,
# checked, the seed flow run on the installed binaries, removed and purged (tests/deb/). Needs
# root and Debian's mirror.
plain_target "Debian packages" check-deb && echo "packages in $out/plain/tests/deb/out/"

DISTCHECK_TESTS="tests/unit/test_tlv tests/unit/test_apdu tests/emu/test_emu_socket tests/pkcs11/test_p11_general"
DISTCHECK_TESTS+=" tests/install/test_install.sh tests/doc/test_man_warnings.sh tests/i18n/test_po_complete.sh tests/unit/test_i18n"
if [ -z "${SKIP_DISTCHECK:-}" ]; then
	echo "== make distcheck"
	# The tarball is built, unpacked, configured out of tree, installed and uninstalled; its
	# check runs a smoke subset, the full suite having run above, with the install and man
	# page tests: what the tarball ships must install and format too.
	if (cd "$out/plain" && make distcheck TESTS="$DISTCHECK_TESTS" >distcheck.out 2>&1); then
		echo "PASS: distcheck"; passed=$((passed + 1))
	else
		tail -30 "$out/plain/distcheck.out"; note_fail "distcheck"
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
