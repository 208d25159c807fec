# shellcheck shell=bash disable=SC2034  # (variables used by the sourcing scripts)
# The browser tests' shell side (sourced by the case_*.sh bodies, which test_<browser>_*.sh
# source with BROWSER set): the bank and the emulated tokens of tests/cli/cli_lib.sh, each party
# enrolled with the kinko CLI, the party's browser HOME set up as `kinko browser setup` leaves a
# user's, and run_scenario.js run in that browser, its steps turned into TAP.
#
#   browser_need                  skip (fail with KINKO_BROWSER_REQUIRED=1) without the browser,
#                                 node, playwright-core (chromium), NSS's tools
#   browser_steps SCENARIO        how many test points the scenario's run gives
#   browser_bank PARTY...         the emulated tokens, the bank with the test contract; the
#                                 admin enrolled (kinko enroll --admin)
#   browser_enroll_user           the user enrolled (after the admin issued in a browser)
#   browser_setup PARTY           PARTY's HOME (a Firefox profile in profiles.ini too): the
#                                 module and the bank's CA in its NSS DBs, pin_source =
#                                 pinentry in its kinko.conf
#   browser_run SCENARIO PARTY PINENTRY-LINE...
#                                 the scenario in $BROWSER as PARTY (only PARTY's token in reach),
#                                 the scripted pinentry answering the LINEs (pin:..., cancel);
#                                 one test point per step; its pinentry's log in BROWSER_PINLOG
#   browser_pin_asked WORD        how many WORD lines (GETPIN, SETERROR, MESSAGE) the last run's
#                                 pinentry received
#   browser_check_asked NAME WORD=N...
#                                 a test point: the last run's pinentry received each WORD N times
#   browser_check_tries_full NAME a test point: kinko sees the admin's token PIN tries full
# Every browser runs in its own process group (setsid), killed at exit and after
# KINKO_BROWSER_RUN_SECONDS (default 150); each step has KINKO_BROWSER_STEP_MS (20000).
# PNG screenshots: $KINKO_BUILDDIR/tests/browser/artefacts/<browser>-<scenario>-<page>.png.
: "${BROWSER:?set BROWSER (chromium or firefox) before sourcing browser_lib.sh}"
CLI_TMP_PREFIX="kinko-browser-$BROWSER"
# shellcheck source=tests/cli/cli_lib.sh
. "${KINKO_SRCDIR:-.}/tests/cli/cli_lib.sh"
# k_admin, k_user: kinko as each party, with the party's own state (the CA it pinned).
# shellcheck source=tests/cli/flow.sh
. "${KINKO_SRCDIR:-.}/tests/cli/flow.sh"

BROWSER_SRC="${KINKO_SRCDIR:-.}/tests/browser"
# npm ci's node_modules (make check-browser) and the artefacts live in the build tree.
BROWSER_OUT="$B/tests/browser"
ARTEFACTS="$BROWSER_OUT/artefacts"
PINENTRY_PROG="$B/tests/lib/pinentry_script"
BROWSER_STEP_MS=${KINKO_BROWSER_STEP_MS:-20000}
BROWSER_RUN_SECONDS=${KINKO_BROWSER_RUN_SECONDS:-150}
# The bank's pages in Japanese, as the manuals show them (the pinentry's texts too).
BROWSER_LANG=${KINKO_BROWSER_LANG:-ja_JP.UTF-8}
export NODE_PATH="$BROWSER_OUT/node_modules"
BROWSER_PID=""
BROWSER_RUNS=0
BROWSER_PINLOG=""

# The browser's process group: TERM, then KILL after 5 s.
browser_stop() {
	local i
	[ -n "$BROWSER_PID" ] || return 0
	kill -TERM -- "-$BROWSER_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 -- "-$BROWSER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$BROWSER_PID" 2>/dev/null
	wait "$BROWSER_PID" 2>/dev/null
	BROWSER_PID=""
}

# With BROWSER_CERT_CHOICE=policy (as root; Chromium) a run's client certificate is chosen by
# the AutoSelectCertificateForUrls policy, as an administrator sets it for every user: a policy
# file of the run's own in /etc/chromium/policies/managed, for the bank's origin only, removed
# when the run ends and at exit. Otherwise by the same setting in the run's own profile.
BROWSER_POLICY=""
browser_policy_write() {
	local filter
	filter=$(jq -cn --arg p "$BANK_URL" --arg cn "$(browser_issuer_cn)" '{pattern: $p, filter: {ISSUER: {CN: $cn}}}')
	BROWSER_POLICY="/etc/chromium/policies/managed/kinko-test-$$-$BROWSER_RUNS.json"
	mkdir -p "$(dirname "$BROWSER_POLICY")" &&
		jq -n --arg f "$filter" '{AutoSelectCertificateForUrls: [$f]}' >"$BROWSER_POLICY"
}
browser_policy_remove() {
	[ -z "$BROWSER_POLICY" ] || rm -f "$BROWSER_POLICY"
	BROWSER_POLICY=""
}
CLEANUP_HOOK="browser_stop; browser_policy_remove"

browser_missing() {
	[ "${KINKO_BROWSER_REQUIRED:-0}" = 1 ] && bail "$1 (KINKO_BROWSER_REQUIRED=1)"
	skip_all "$1"
}

browser_need() {
	local t
	# A stage of their own: a browser start costs seconds, the plain suite stays quick.
	[ "${KINKO_BROWSER_STAGE:-0}" = 1 ] || skip_all "browser tests run in make check-browser"
	# The browser would need the sanitizer runtime preloaded; the plain build's run counts.
	[ "${KINKO_SANITIZED:-0}" = 1 ] && skip_all "sanitizer build: a browser cannot load the instrumented module"
	command -v node >/dev/null 2>&1 || browser_missing "node not installed"
	# kinko browser setup's tools (libnss3-tools).
	for t in certutil modutil jq; do
		command -v "$t" >/dev/null 2>&1 || browser_missing "$t not installed"
	done
	case "$BROWSER" in
	chromium)
		[ -x "${KINKO_CHROMIUM:-/usr/bin/chromium}" ] || browser_missing "chromium not installed"
		[ -f "$NODE_PATH/playwright-core/package.json" ] ||
			browser_missing "playwright-core not installed in $NODE_PATH (make check-browser runs npm ci)"
		;;
	firefox)
		command -v firefox-esr >/dev/null 2>&1 || browser_missing "firefox-esr not installed"
		;;
	*) bail "BROWSER=$BROWSER: chromium or firefox" ;;
	esac
	[ -x "$KINKO" ] || bail "$KINKO not built"
	[ -x "$PINENTRY_PROG" ] || bail "$PINENTRY_PROG not built (make check builds it)"
}

browser_steps() {
	node "$BROWSER_SRC/run_scenario.js" --steps "$1" | wc -l
}

browser_bank() {
	local p
	tokens_backend kinko
	for p in "$@"; do token_new "$p"; done
	bank_main_serve
	k_admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT" >"$T/enroll-admin.log" 2>&1 ||
		{ diag "$T/enroll-admin.log"; bail "kinko enroll --admin failed"; }
}

browser_enroll_user() {
	k_user enroll "${BANK_OPTS[@]}" --user "$USER_ID" --contract-id "$CONTRACT" >"$T/enroll-user.log" 2>&1 ||
		{ diag "$T/enroll-user.log"; bail "kinko enroll --user failed"; }
}

browser_home() { printf '%s' "$T/home-$1"; }
# The Firefox profile of PARTY's HOME, listed in its profiles.ini (where kinko browser setup
# looks), with its NSS DB; Chromium's is $HOME/.pki/nssdb.
browser_ff_profile() { printf '%s/.mozilla/firefox/kinko.test' "$(browser_home "$1")"; }

# browser_setup PARTY: PARTY's HOME with one Firefox profile, then set up by kinko browser setup.
browser_setup() {
	local home
	home=$(browser_home "$1")
	mkdir -p "$(browser_ff_profile "$1")"
	printf '[General]\nStartWithLastProfile=1\nVersion=2\n\n[Profile0]\nName=kinko-test\nIsRelative=1\nPath=kinko.test\nDefault=1\n' \
		>"$home/.mozilla/firefox/profiles.ini"
	browser_setup_nss "$1" >"$T/setup-$1.log" 2>&1 || { diag "$T/setup-$1.log"; bail "setting up the $1's browsers failed"; }
}

# `kinko browser setup --bank URL --trust-bank-ca` in PARTY's HOME, with PARTY's kinko state
# (the CA its enrollment pinned for the bank): the module registered as "kinko" in both NSS
# DBs, that CA trusted for TLS servers, pin_source = pinentry in $XDG_CONFIG_HOME/kinko.
browser_setup_nss() {
	local home
	home=$(browser_home "$1")
	HOME="$home" XDG_CONFIG_HOME="$home/.config" KINKO_STATE_DIR="$T/state-$1" KINKO_PINENTRY="$PINENTRY_PROG" \
		timeout -k 5 60 "$KINKO" --module "$KINKO_P11" browser setup --bank "$BANK_URL" --trust-bank-ca
}

browser_issuer_cn() {
	openssl x509 -in "$BANK_CA" -noout -subject -nameopt RFC2253 | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p'
}

# The profile a run uses: Chromium a fresh one in the run's DIR (its NSS DB is the HOME's);
# Firefox the HOME's profile, whose NSS DB holds the module.
browser_profile_dir() {
	case "$BROWSER" in
	firefox) browser_ff_profile "$2" ;;
	*) printf '%s/profile' "$1" ;;
	esac
}

# browser_config DIR SCENARIO PARTY: run_scenario.js's config (no secret in it: the party's
# secrets file is named, as for kinko).
browser_config() {
	local dir="$1" scenario="$2" party="$3" home
	home=$(browser_home "$party")
	jq -n --arg scenario "$scenario" --arg browser "$BROWSER" --arg bankUrl "$BANK_URL" \
		--arg issuerCN "$(browser_issuer_cn)" --arg home "$home" --arg profileDir "$(browser_profile_dir "$dir" "$party")" \
		--arg artefacts "$ARTEFACTS" --argjson stepTimeoutMs "$BROWSER_STEP_MS" \
		--arg secretsFile "$T/secrets-$party" --arg userId "$USER_ID" \
		--arg sockets "${TOK_DIR[$party]}/sock" --arg conf "$KINKO_CONF" --arg pinentry "$PINENTRY_PROG" \
		--arg script "file:$dir/pinentry" --arg xdg "$home/.config" --arg lang "$BROWSER_LANG" \
		--arg certChoice "${BROWSER_POLICY:+policy}" \
		'{scenario: $scenario, browser: $browser, bankUrl: $bankUrl, issuerCN: $issuerCN,
		  certChoice: (if $certChoice == "" then "profile" else $certChoice end),
		  home: $home, profileDir: $profileDir, artefacts: $artefacts, stepTimeoutMs: $stepTimeoutMs,
		  secretsFile: $secretsFile, userId: $userId,
		  env: {KINKO_EMU_SOCKETS: $sockets, KINKO_CONF: $conf, KINKO_PINENTRY: $pinentry,
		        PINENTRY_SCRIPT: $script, XDG_CONFIG_HOME: $xdg, HOME: $home, LANG: $lang}}' \
		>"$dir/config.json"
}

# browser_tap STEPS OUT RC: one test point per step name in STEPS, from run_scenario.js's OUT;
# a step with no line (the runner killed or crashed) fails with the runner's status.
browser_tap() {
	local steps="$1" out="$2" rc="$3" name res why
	while IFS= read -r name; do
		res=$(awk -F'\t' -v n="$name" '$2 == n { print $1; exit }' "$out")
		why=$(awk -F'\t' -v n="$name" '$2 == n { print $3; exit }' "$out")
		case "$res" in
		ok) ok "$BROWSER: $name" ;;
		"not ok") not_ok "$BROWSER: $name"; echo "# $why" ;;
		*) not_ok "$BROWSER: $name"; echo "# no result: the runner ended with status $rc" ;;
		esac
	done <"$steps"
}

browser_run() {
	local scenario="$1" party="$2" dir i rc
	shift 2
	BROWSER_RUNS=$((BROWSER_RUNS + 1))
	dir="$T/run-$BROWSER_RUNS-$scenario"
	mkdir -p "$dir"
	(umask 077 && printf '%s\n' "$@" >"$dir/pinentry")
	BROWSER_PINLOG="$dir/pinentry.log"
	if [ "${BROWSER_CERT_CHOICE:-profile}" = policy ] && [ "$BROWSER" = chromium ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "# not root: the certificate chosen by the profile's setting, not by the policy"
		else
			browser_policy_write || bail "cannot write the policy file $BROWSER_POLICY"
			echo "# the certificate chosen by the policy in $BROWSER_POLICY"
		fi
	fi
	browser_config "$dir" "$scenario" "$party"
	node "$BROWSER_SRC/run_scenario.js" --steps "$scenario" >"$dir/steps"
	setsid node "$BROWSER_SRC/run_scenario.js" "$dir/config.json" >"$dir/out" 2>"$dir/err" &
	BROWSER_PID=$!
	for ((i = 0; i < BROWSER_RUN_SECONDS * 10; i++)); do
		kill -0 "$BROWSER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BROWSER_PID" 2>/dev/null; then
		echo "# $BROWSER ($scenario) still running after $BROWSER_RUN_SECONDS s: killed"
		browser_stop
		rc=137
	else
		wait "$BROWSER_PID"
		rc=$?
		# What it started (a browser that outlived the runner) goes with it.
		browser_stop
	fi
	browser_policy_remove
	browser_tap "$dir/steps" "$dir/out" "$rc"
	grep '^#' "$dir/out" | tr '\t' ' '
	if [ "$rc" -ne 0 ]; then
		diag "$dir/err" 10
		diag "$BROWSER_PINLOG" 10
	fi
}

browser_pin_asked() {
	local n
	n=$(grep -c "^$1\b" "$BROWSER_PINLOG" 2>/dev/null)
	printf '%s' "${n:-0}"
}

browser_check_asked() {
	local name="$1" kv got bad=""
	shift
	for kv in "$@"; do
		got=$(browser_pin_asked "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || bad="$bad ${kv%%=*} $got times, not ${kv#*=};"
	done
	if [ -z "$bad" ]; then ok "$BROWSER: $name"; else not_ok "$BROWSER: $name"; echo "#$bad"; fi
}

# After the browser closed the token is kinko's again; "ok" is neither low nor locked.
browser_check_tries_full() {
	run k_admin --json token info
	if [ "$RC" -eq 0 ] && jq -e '.. | objects | select(has("pin")) | .pin == "ok"' "$T/stdout" >/dev/null; then
		ok "$BROWSER: $1"
	else
		not_ok "$BROWSER: $1"; diag "$T/out"
	fi
}
