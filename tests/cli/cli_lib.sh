# shellcheck shell=bash disable=SC2034  # (variables used by the sourcing scripts)
# Shared helpers of the kinko CLI tests (tests/cli/) and of demo.sh: a bank (kinko-bankd) and
# tokens (kinko's emulator behind kinko's module, or SoftHSM2) in one temporary directory,
# the `kinko` command run as one party (admin / user) with that party's token and secrets,
# snapshots of the token and the bank (for "nothing changed"), TAP output.
#
# Source it from a script run in the build dir (KINKO_BUILDDIR set by the harness):
#   . "$(dirname "$0")/cli_lib.sh"
#   tokens_backend kinko          # or softhsm
#   token_new admin; token_new user
#   bank_new main; bank_contract main; bank_start main
#   kinko_as admin enroll --bank "$(bank_url main)" --admin --cacert "$(bank_ca main)"
# Everything started here is stopped on exit (trap), by its own pid.
set -u

B="${KINKO_BUILDDIR:-.}"
# The programs under test: the build tree's, or an installed set (tests/deb runs the seed flow
# on the Debian packages': KINKO_TEST_BINDIR=/usr/bin, KINKO_TEST_MODULE the packaged module).
KINKO="${KINKO_TEST_BINDIR:-$B}/kinko"
KINKO_P11="${KINKO_TEST_MODULE:-$B/pkcs11/.libs/libkinko-pkcs11.so}"
SOFTHSM_P11=""
for _m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
	/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so; do
	[ -f "$_m" ] && { SOFTHSM_P11="$_m"; break; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/${CLI_TMP_PREFIX:-kinko-cli}.XXXXXX")
# kinko's per-bank state (session cookies, pinned CAs) stays in the temp dir.
KINKO_STATE_DIR="$T/state"
mkdir -p "$KINKO_STATE_DIR"
chmod 700 "$KINKO_STATE_DIR"
export KINKO_STATE_DIR

# --- credentials of the test contract (test values, throwaway banks and tokens only) ---
CONTRACT=1234567890          # A
BANK_CODE=0123               # 金庫コード: CN = A + bank code
CN="$CONTRACT$BANK_CODE"
CONF_PASSWORD=passw0rdB      # B
CONTRACT_PIN=4821            # イ
CONTRACT_CONF_PIN=7390       # ロ
USER_ID=user01               # ニ
USER_PIN=5163                # ト
USER_CONF_PIN=2947           # チ
# Token secrets: not the factory ones (123456 / 12345678), so no forced first change.
TOKEN_PIN=24681357
TOKEN_PUK=86421357

# --- processes: every pid started here, stopped at exit ---
declare -A TOK_PID=() TOK_URI=() TOK_LABEL=() TOK_DIR=() BANK_PID=() BANK_PORT=()
CLEANUP_HOOK=""
cli_cleanup() {
	local n
	[ -n "$CLEANUP_HOOK" ] && eval "$CLEANUP_HOOK"
	fake_stop
	for n in "${!BANK_PID[@]}"; do bank_stop "$n"; done
	for n in "${!TOK_PID[@]}"; do token_stop "$n"; done
	[ -n "${CLI_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cli_cleanup EXIT
trap 'exit 1' INT TERM

# --- TAP (plan, ok, check, run, ... in tests/lib/tap.sh) ---
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
# shellcheck source=tests/lib/bank.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/bank.sh"
# shellcheck source=tests/lib/emu.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/emu.sh"
bail() { echo "${BAIL_PREFIX:-Bail out!} $*"; exit 1; }
# check_rc_out NAME RC STRING...: the last run exited with RC and said every STRING.
check_rc_out() {
	local name="$1" want="$2"
	shift 2
	if [ "$RC" -ne "$want" ]; then
		not_ok "$name"
		echo "# exit status $RC, expected $want"
		diag "$T/out"
		return 0
	fi
	check_out "$name" "$@"
	[ -z "${CLI_DEBUG:-}" ] || diag "$T/out"
}
# check_same NAME FILE1 FILE2: ok when both files are identical (a diff otherwise).
check_same() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; diff "$2" "$3" | head -20 | sed 's/^/# /'; fi
}

# secrets_write FILE key=value...: a secrets file for `kinko --secrets-file` (mode 0600).
secrets_write() {
	local f="$1" kv
	shift
	(umask 077 && : >"$f")
	for kv in "$@"; do printf '%s\n' "$kv" >>"$f"; done
}

# --- tokens ---
# tokens_backend kinko|softhsm: which PKCS#11 module the tokens are behind; sets MODULE.
tokens_backend() {
	BACKEND="$1"
	case "$1" in
	kinko)
		[ -x "$EMU" ] || bail "$EMU not built"
		[ -f "$KINKO_P11" ] || bail "$KINKO_P11 not built"
		MODULE="$KINKO_P11"
		KINKO_EMU_SOCKETS=""
		export KINKO_EMU_SOCKETS
		# No system kinko.conf (no USB scanning, no other sockets).
		: >"$T/kinko.conf"
		KINKO_CONF="$T/kinko.conf"
		export KINKO_CONF
		;;
	softhsm)
		command -v softhsm2-util >/dev/null 2>&1 || skip_all "softhsm2-util not installed"
		[ -n "$SOFTHSM_P11" ] || skip_all "libsofthsm2.so not found"
		MODULE="$SOFTHSM_P11"
		mkdir -p "$T/softhsm/tokens"
		printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
			"$T/softhsm/tokens" >"$T/softhsm/softhsm2.conf"
		SOFTHSM2_CONF="$T/softhsm/softhsm2.conf"
		export SOFTHSM2_CONF
		;;
	*) bail "tokens_backend: unknown backend $1" ;;
	esac
}

# have_softhsm: SoftHSM2 is there to be a backend (softhsm2-util and its module).
have_softhsm() { [ -n "$SOFTHSM_P11" ] && command -v softhsm2-util >/dev/null 2>&1; }

# backends_check WHAT KINKO-ARG SOFTHSM-ARG: the script's backend_checks on kinko's module and on
# SoftHSM2 ($CHECKS results each), each skipped where it cannot run: kinko's in a sanitizer
# build (pkcs11-tool cannot load the instrumented module; SoftHSM2's still run kinko under
# ASan), SoftHSM2's when it is not installed.
backends_check() {
	local _
	if [ "${KINKO_SANITIZED:-0}" = 1 ]; then
		for _ in $(seq "$CHECKS"); do skip "kinko: $1 checks" "sanitizer build: pkcs11-tool cannot load the module"; done
	else
		backend_checks kinko "$2"
	fi
	if have_softhsm; then
		backend_checks softhsm "$3"
	else
		for _ in $(seq "$CHECKS"); do skip "softhsm: $1 checks" "SoftHSM2 not installed"; done
	fi
}

# uri_escape STRING: RFC 7512 percent-encoding of a token label.
uri_escape() {
	local s="$1" out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[A-Za-z0-9._~-]) out="$out$c" ;;
		*) out="$out$(printf '%%%02X' "'$c")" ;;
		esac
	done
	printf '%s' "$out"
}

# token_new NAME [SERIAL [INIT-OPTION...]]: a fresh token with PIN $TOKEN_PIN, PUK (SoftHSM2:
# SO PIN) $TOKEN_PUK. kinko: provisioned with the emulator's INIT-OPTIONs too
# (--pin-must-change) and, when TOKEN_ATTEST_CA names a maker's CA directory (attest_maker),
# an attestation key it certifies; served on $T/tok-NAME/sock (control socket ctl), added to
# KINKO_EMU_SOCKETS (start every token before the first kinko command). Sets TOK_URI[NAME],
# TOK_LABEL[NAME].
token_new() {
	local name="$1" serial="${2:-}" d="$T/tok-$1"
	shift $(($# < 2 ? $# : 2))
	mkdir -p "$d"
	case "$BACKEND" in
	kinko)
		[ -n "$serial" ] || serial=$(( (RANDOM % 90000) * 10 + 100000 + ${#TOK_DIR[@]} ))
		secrets_write "$d/pin" "$TOKEN_PIN"
		secrets_write "$d/puk" "$TOKEN_PUK"
		emu_init "$d/state" "$d/init.log" --serial "$serial" --pin-file "$d/pin" --puk-file "$d/puk" \
			${TOKEN_ATTEST_CA:+--attestation-ca-cert "$TOKEN_ATTEST_CA/attestation-ca.pem"} \
			${TOKEN_ATTEST_CA:+--attestation-ca-key "$TOKEN_ATTEST_CA/attestation-ca.key"} "$@" ||
			bail "kinko-token-emu --init failed: $(cat "$d/init.log")"
		TOK_DIR[$name]="$d"
		token_serve "$name"
		TOK_LABEL[$name]="kinko PIV #$serial"
		KINKO_EMU_SOCKETS="${KINKO_EMU_SOCKETS:+$KINKO_EMU_SOCKETS:}$d/sock"
		;;
	softhsm)
		TOK_LABEL[$name]="kinko-$name"
		softhsm2-util --init-token --free --label "kinko-$name" --pin "$TOKEN_PIN" --so-pin "$TOKEN_PUK" \
			>"$d/init.log" 2>&1 || bail "softhsm2-util --init-token failed: $(cat "$d/init.log")"
		TOK_DIR[$name]="$d"
		;;
	esac
	TOK_URI[$name]="pkcs11:token=$(uri_escape "${TOK_LABEL[$name]}")"
}

# token_serve NAME: (re)start the emulator of an initialised kinko token.
token_serve() {
	local d="${TOK_DIR[$1]}" rc=0
	rm -f "$d/ctl"
	emu_serve "$d/state" "$d/sock" "$d/emu.log" --control "$d/ctl" || rc=$?
	TOK_PID[$1]=$EMU_SERVE_PID
	[ "$rc" -eq 0 ] || { diag "$d/emu.log"; bail "the emulator of $1 did not start"; }
}

# token_stop NAME: SIGTERM to the emulator (kinko backend; nothing to stop for SoftHSM2).
token_stop() {
	proc_stop "${TOK_PID[$1]:-}"
	unset 'TOK_PID[$1]'
}
# token_remove NAME / token_insert NAME: hot-plug (emulator SIGUSR1 / SIGUSR2).
token_remove() { kill -USR1 "${TOK_PID[$1]}"; }
token_insert() { kill -USR2 "${TOK_PID[$1]}"; }
token_uri() { printf '%s' "${TOK_URI[$1]}"; }

# token_save NAME: keep a copy of NAME's token as it is now (kinko: the emulator's state file;
# SoftHSM2: the whole token directory). token_use_saved NAME: from now on NAME's token is that
# copy (the same token as it was then); token_use_current NAME: back to the real one.
token_save() {
	case "$BACKEND" in
	kinko) cp "${TOK_DIR[$1]}/state" "${TOK_DIR[$1]}/saved.state" ;;
	softhsm)
		rm -rf "$T/softhsm/saved"
		cp -a "$T/softhsm/tokens" "$T/softhsm/saved"
		sed "s|^directories.tokendir = .*|directories.tokendir = $T/softhsm/saved|" \
			"$T/softhsm/softhsm2.conf" >"$T/softhsm/saved.conf"
		;;
	esac
}
token_use_saved() {
	local d="${TOK_DIR[$1]}" rc=0
	case "$BACKEND" in
	kinko)
		token_stop "$1"
		emu_serve "$d/saved.state" "$d/saved.sock" "$d/emu.log" || rc=$?
		TOK_PID[$1]=$EMU_SERVE_PID
		[ "$rc" -eq 0 ] || bail "the emulator of $1's saved token did not start"
		KINKO_EMU_SOCKETS=${KINKO_EMU_SOCKETS//"$d/sock"/"$d/saved.sock"}
		;;
	softhsm) SOFTHSM2_CONF="$T/softhsm/saved.conf" ;;
	esac
}
token_use_current() {
	local d="${TOK_DIR[$1]}"
	case "$BACKEND" in
	kinko)
		token_stop "$1"
		rm -f "$d/saved.sock"
		KINKO_EMU_SOCKETS=${KINKO_EMU_SOCKETS//"$d/saved.sock"/"$d/sock"}
		token_serve "$1"
		;;
	softhsm) SOFTHSM2_CONF="$T/softhsm/softhsm2.conf" ;;
	esac
}

# In a sanitizer build (KINKO_SANITIZED=1) kinko's module is instrumented: an unmodified tool
# (pkcs11-tool) loads it only with the sanitizer runtime preloaded, the one the module was
# built against (gcc: the libasan it links; clang: its shared ASan runtime, which carries
# UBSan's handlers too). Leak checks are the instrumented programs' business, not the tool's.
SAN_PRELOAD=""
if [ "${KINKO_SANITIZED:-0}" = 1 ] && [ -f "$KINKO_P11" ]; then
	SAN_PRELOAD=$(ldd "$KINKO_P11" 2>/dev/null | awk '/lib(asan|ubsan)\.so/ { printf "%s ", $3 }')
	if [ -z "$SAN_PRELOAD" ] && command -v clang >/dev/null 2>&1; then
		SAN_PRELOAD=$(clang -print-file-name="libclang_rt.asan-$(uname -m).so")
		[ -f "$SAN_PRELOAD" ] || SAN_PRELOAD=""
	fi
fi
# need_p11tool_on_kinko: before the plan of a script that inspects kinko's tokens with
# pkcs11-tool: skips the whole script in a sanitizer build where the runtime cannot be preloaded.
need_p11tool_on_kinko() {
	need pkcs11-tool
	[ "${KINKO_SANITIZED:-0}" = 1 ] || return 0
	[ -n "$SAN_PRELOAD" ] && LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS=detect_leaks=0 \
		pkcs11-tool --module "$KINKO_P11" -I 2>/dev/null | grep -q "Manufacturer *kinko" ||
		skip_all "sanitizer build: pkcs11-tool cannot load the instrumented module (no runtime to preload)"
}
# p11tool_as NAME ARGS...: OpenSC's pkcs11-tool on NAME's token (module $MODULE).
p11tool_as() {
	if [ -n "$SAN_PRELOAD" ] && [ "$MODULE" = "$KINKO_P11" ]; then
		LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			pkcs11-tool --module "$MODULE" --token-label "${TOK_LABEL[$1]}" "${@:2}"
	else
		pkcs11-tool --module "$MODULE" --token-label "${TOK_LABEL[$1]}" "${@:2}"
	fi
}

# token_objects NAME: the token's objects (type, label, ID), one per line, sorted; logs in with
# $TOKEN_PIN to see private keys too (a successful login also restores the PIN tries).
# token_objects_public NAME: the same without login (certificates and public keys).
token_objects() { p11tool_as "$1" --login --pin "$TOKEN_PIN" --list-objects 2>&1 | token_objects_norm; }
token_objects_public() { p11tool_as "$1" --list-objects 2>&1 | token_objects_norm; }
token_objects_norm() {
	awk '/Object;/ { if (o != "") print o; o = $0 } /label:|ID:|subject:/ { o = o " |" $0 }
		END { if (o != "") print o }' | tr -s ' ' | sort
}
# token_key_count NAME: how many private keys the token holds.
token_key_count() { token_objects "$1" | grep -c "Private Key Object"; }

# --- banks ---
# bank_new NAME [NOW] [BANK-CODE]: kinko-bankd init in $T/bank-NAME (clock NOW if given);
# trusting the maker's CA of BANK_ATTEST_ROOT when set (its new contracts require attestation).
bank_new() {
	local d="$T/bank-$1"
	if [ -n "${2:-}" ]; then
		KINKO_BANKD_NOW="$2" "$BANKD" init --dir "$d" --bank-code "${3:-$BANK_CODE}" \
			--bank-name "Kinko Shinkin ($1)" ${BANK_ATTEST_ROOT:+--attestation-root "$BANK_ATTEST_ROOT"} \
			>"$T/bank-$1.init.log" 2>&1
	else
		"$BANKD" init --dir "$d" --bank-code "${3:-$BANK_CODE}" --bank-name "Kinko Shinkin ($1)" \
			${BANK_ATTEST_ROOT:+--attestation-root "$BANK_ATTEST_ROOT"} >"$T/bank-$1.init.log" 2>&1
	fi || bail "kinko-bankd init failed: $(cat "$T/bank-$1.init.log")"
}
# attest_maker DIR: a token maker's attestation CA (kinko-token-emu --make-attestation-ca) in DIR,
# for TOKEN_ATTEST_CA (tokens it certifies) and BANK_ATTEST_ROOT (DIR/attestation-ca.pem).
attest_maker() {
	"$EMU" --make-attestation-ca "$1" >"$1.log" 2>&1 || bail "kinko-token-emu --make-attestation-ca failed: $(cat "$1.log")"
}
bank_dir() { printf '%s' "$T/bank-$1"; }
bank_ca() { printf '%s' "$T/bank-$1/ca.crt"; }
# bank_contract NAME [CONTRACT] [APPLIED] [auto|manual]: the contract with the test secrets;
# the customer card (kinko-bankd's printout) in $(bank_card NAME [CONTRACT]).
bank_contract() {
	local name="$1" id="${2:-$CONTRACT}" applied="${3:-$(date -u +%F)}" approval="${4:-auto}"
	local d="$T/bank-$1"
	secrets_write "$d/contract-$id.secrets" "confirmation_password=$CONF_PASSWORD" \
		"contract_pin=$CONTRACT_PIN" "contract_confirmation_pin=$CONTRACT_CONF_PIN"
	"$BANKD" contract add --dir "$d" --company "ACME Trading K.K." --contract-id "$id" \
		--applied "$applied" --approval "$approval" --secrets-file "$d/contract-$id.secrets" \
		>"$d/card-$id.txt" 2>"$d/contract-$id.log" ||
		bail "kinko-bankd contract add failed: $(cat "$d/contract-$id.log")"
}
bank_card() { printf '%s' "$T/bank-$1/card-${2:-$CONTRACT}.txt"; }
# bank_start NAME [NOW]: serve on 127.0.0.1:0 (clock NOW if given); bank_url NAME afterwards.
bank_start() {
	local d="$T/bank-$1" rc=0
	bank_serve "$d" "$d.port" "$d.log" "${2:-}" || rc=$?
	BANK_PID[$1]=$BANK_SERVE_PID
	[ "$rc" -eq 0 ] || { diag "$d.log"; bail "kinko-bankd serve ($1) did not start"; }
	BANK_PORT[$1]=$(cat "$d.port")
}
bank_stop() {
	proc_stop "${BANK_PID[$1]:-}"
	unset 'BANK_PID[$1]'
}
# bank_up NAME...: banks without a contract yet (bank_new), then served (bank_start).
bank_up() {
	local n
	for n in "$@"; do bank_new "$n"; done
	for n in "$@"; do bank_start "$n"; done
}
# bank_unused_port: UNUSED_PORT, a local port no one listens on (a bank's, stopped at once).
bank_unused_port() {
	bank_up gone
	UNUSED_PORT=${BANK_PORT[gone]}
	bank_stop gone
}
# bank_main_serve [CONTRACT...]: the bank main with the test contract (and one more contract per
# CONTRACT, never enrolled), served: BANK_URL, BANK_CA, BANK_OPTS (kinko's --bank and --cacert),
# CARD (the test contract's customer card), the admin's (with CARD) and the user's secrets files.
bank_main_serve() {
	local c
	bank_new main
	bank_contract main
	for c in "$@"; do bank_contract main "$c"; done
	bank_start main
	BANK_URL=$(bank_url main)
	BANK_CA=$(bank_ca main)
	BANK_OPTS=(--bank "$BANK_URL" --cacert "$BANK_CA")
	CARD=$(bank_card main)
	party_secrets admin "$CARD" >/dev/null
	party_secrets user >/dev/null
}
bank_restart() { bank_stop "$1"; bank_start "$@"; }
bank_url() { printf 'https://localhost:%s' "${BANK_PORT[$1]}"; }
bank_log() { printf '%s' "$T/bank-$1.log"; }
# bank_snapshot NAME: the bank's certificates (serial, owner, status) and users (issued day),
# sorted: equal snapshots mean no certificate was issued, superseded or revoked.
bank_snapshot() {
	sqlite3 -readonly "$T/bank-$1/bank.db" \
		"SELECT 'cert', serial, contract_id, user_id, status FROM cert ORDER BY serial;
		 SELECT 'user', contract_id, user_id, ifnull(issued_day, '-') FROM user ORDER BY user_id;"
}
# bank_failures NAME [USER]: the wrong-answer counter of the contract (or of a user).
bank_failures() {
	if [ -n "${2:-}" ]; then
		sqlite3 -readonly "$T/bank-$1/bank.db" "SELECT failures FROM user WHERE user_id = '$2'"
	else
		sqlite3 -readonly "$T/bank-$1/bank.db" "SELECT failures FROM contract WHERE contract_id = '$CONTRACT'"
	fi
}

# fake_start BANK MODE [PORT]: tests/cli/fake_bank.py (a hostile bank, see there) with BANK's
# server certificate, so kinko's --cacert is BANK's CA; FAKE_URL, FAKE_PORT_FILE. One at a
# time: a second call replaces the first; stopped at exit.
FAKE_PID=""
fake_stop() { proc_stop "$FAKE_PID"; FAKE_PID=""; }
fake_start() {
	fake_stop
	FAKE_PORT_FILE="$T/fake.port"
	rm -f "$FAKE_PORT_FILE" "$FAKE_PORT_FILE.posts"
	python3 "$(dirname "${BASH_SOURCE[0]}")/fake_bank.py" "$T/bank-$1/server.crt" "$T/bank-$1/server.key" \
		"$FAKE_PORT_FILE" "$2" ${3:+"$3"} 2>>"$T/fake.log" &
	FAKE_PID=$!
	proc_wait_for 10 test -s "$FAKE_PORT_FILE" || { diag "$T/fake.log"; bail "the fake bank did not start"; }
	FAKE_URL="https://localhost:$(cat "$FAKE_PORT_FILE")"
}

# --- the parties ---
# party_secrets NAME [CARD-FILE]: the secrets file of the admin ("admin") or of a user (any
# other name): token PIN and PUK, the bank credentials of the manual (A's PINs イ ロ, or ト チ);
# the admin's also names the customer card file (card_file=, read by kinko at logon).
party_secrets() {
	local f="$T/secrets-$1"
	if [ "$1" = admin ]; then
		secrets_write "$f" "token_pin=$TOKEN_PIN" "puk=$TOKEN_PUK" "new_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
			"contract_confirmation_pin=$CONTRACT_CONF_PIN" "user_pin=$USER_PIN" \
			"user_confirmation_pin=$USER_CONF_PIN" ${2:+"card_file=$2"}
	else
		secrets_write "$f" "token_pin=$TOKEN_PIN" "puk=$TOKEN_PUK" "new_pin=$TOKEN_PIN" "user_pin=$USER_PIN" \
			"user_confirmation_pin=$USER_CONF_PIN"
	fi
	printf '%s' "$f"
}
# kinko_as NAME SUBCOMMAND ARGS...: `kinko` as that party: NAME's token on $MODULE, NAME's
# secrets file ($T/secrets-NAME unless KINKO_SECRETS is set). Run without a controlling
# terminal (setsid), so a secret missing from the file fails instead of prompting, and under
# a time limit (KINKO_TIMEOUT seconds, default 60), so a hang fails the one command.
kinko_as() {
	local name="$1"
	shift
	[ -f "$T/secrets-$name" ] || party_secrets "$name" >/dev/null
	timeout -k 5 "${KINKO_TIMEOUT:-60}" setsid -w "$KINKO" --module "$MODULE" --token "${TOK_URI[$name]}" \
		--secrets-file "${KINKO_SECRETS:-$T/secrets-$name}" "$@"
}

# token_ec_pub_der NAME ID OUT: the P-256 public key of key ID on NAME's token as DER SPKI,
# built from the EC_POINT that pkcs11-tool lists. (pkcs11-tool --read-object --type pubkey
# frees a buffer before EVP_PKEY_fromdata reads it — OpenSC 0.23's bug, fatal under ASan.)
token_ec_pub_der() {
	p11tool_as "$1" --list-objects --type pubkey --id "$2" 2>/dev/null |
		python3 -c '
import sys
pt = [l.split()[1] for l in sys.stdin if l.strip().startswith("EC_POINT:")][0]
pt = bytes.fromhex(pt)[2:]  # the DER OCTET STRING around the point
assert len(pt) == 65 and pt[0] == 4
hdr = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
open(sys.argv[1], "wb").write(hdr + pt)' "$3"
}
