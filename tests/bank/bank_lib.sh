# Shared helpers of the kinko-bankd TAP tests: a bank in a temp dir, a server on a free port,
# curl and openssl as the clients. Sourced by test_*.sh.
set -u

T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-bank.XXXXXX")
# Every curl of the tests under a deadline: a server that stops answering fails the test instead
# of hanging the suite (curl reads $CURL_HOME/.curlrc; libcurl in kinko does not).
export CURL_HOME="$T"
printf 'connect-timeout = 10\nmax-time = 60\n' >"$T/.curlrc"
BANK="$T/bank"
SRV_PID=""
CONTRACT=1234567890
BANK_CODE=0123
# Secrets of the first contract: B, イ, ロ.
PIN=1111
CONF=2222

cleanup() {
	proc_stop "$SRV_PID"
	rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
# shellcheck source=tests/lib/bank.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/bank.sh"
# contains FILE STRING: FILE holds STRING. An empty STRING fails: grep -F would match any file.
contains() { [ -n "$2" ] && grep -qF -- "$2" "$1"; }
equals() { [ "$1" = "$2" ]; }

day_plus() { date -u -d "$1 + $2 days" +%F; }
epoch_of() { date -u -d "$1" +%s; }

# new_bank APPLIED-DATE: a bank whose CA is valid from that date, and the first contract.
new_bank() {
	KINKO_BANKD_NOW="$1" "$BANKD" init --dir "$BANK" --bank-code "$BANK_CODE" --bank-name "Test <Shinkin> & Co" >/dev/null
	add_contract "$CONTRACT" "$1" auto "$PIN" "$CONF" "$T/card"
}

# add_contract ID APPLIED APPROVAL PIN CONF CARDFILE [COMPANY]
add_contract() {
	(umask 077; printf 'confirmation_password=passw0rdB\ncontract_pin=%s\ncontract_confirmation_pin=%s\n' "$4" "$5" > "$T/secrets")
	"$BANKD" contract add --dir "$BANK" --company "${7:-ACME Trading <K.K.>}" --contract-id "$1" \
		--applied "$2" --approval "$3" --secrets-file "$T/secrets" > "$6"
}

# start_server [NOW [SERVE-OPTION...]]: the bank with its clock at NOW (epoch seconds or
# YYYY-MM-DD; empty or none: real time) and the options; BANK_SERVE_CMD as for bank_serve.
start_server() {
	bank_serve "$BANK" "$T/port" "$T/server.log" "$@"
	SRV_PID=$BANK_SERVE_PID
	PORT=$(cat "$T/port" 2>/dev/null)
	URL="https://localhost:$PORT"
}

stop_server() {
	proc_stop "$SRV_PID"
	SRV_RC=$PROC_RC
	SRV_PID=""
}

restart_server() { stop_server; start_server "$@"; }

# new_bank_served [APPLIED]: new_bank APPLIED (default today) and its server started.
new_bank_served() {
	new_bank "${1:-$(date -u +%F)}"
	start_server
}

# python_client OUT [ARG...]: the python program on stdin as a client of the server: its
# arguments the port, the CA file and the ARGs; its output (stdout and stderr) in OUT, shown as
# TAP comments.
python_client() {
	local out="$1"
	shift
	python3 - "$PORT" "$BANK/ca.crt" "$@" >"$out" 2>&1
	sed 's/^/# /' "$out"
}

# admin_bank APPLIED: new_bank APPLIED, its server started, and the admin's certificate from
# the first contract: key and certificate in $T/admin.key and $T/admin.crt, curl's options for
# them in A, the session cookie jar logon_admin fills in JAR.
admin_bank() {
	new_bank_served "$1"
	csr_ec admin
	enroll "$CONTRACT" "$PIN" "$CONF" "$T/admin.csr" >/dev/null
	certs_of "$T/out" "$T/admin.crt"
	A=(--cert "$T/admin.crt" --key "$T/admin.key")
	JAR="$T/jar.admin.crt"
}

# csr NAME ALG...: NAME.key and NAME.csr (base64 DER), the CSR asking for CN=evil.
csr() {
	local name="$1"
	shift
	openssl genpkey "$@" -out "$T/$name.key" 2>/dev/null
	openssl req -new -key "$T/$name.key" -subj "/CN=evil/O=Evil Corp" -outform DER -out "$T/$name.der"
	base64 < "$T/$name.der" > "$T/$name.csr"
}
csr_ec() { csr "$1" -algorithm EC -pkeyopt ec_paramgen_curve:"${2:-P-256}"; }
csr_rsa() { csr "$1" -algorithm RSA -pkeyopt rsa_keygen_bits:"${2:-2048}"; }

# http METHOD PATH [curl args...]: prints the status; body in $T/out, headers in $T/hdr.
http() {
	local method="$1" path="$2"
	shift 2
	curl -s --cacert "$BANK/ca.crt" -X "$method" -o "$T/out" -D "$T/hdr" -w '%{http_code}' "$@" "$URL$path"
}

# enroll USER PASS CONF CSRFILE [curl args]: simpleenroll with Basic + confirmation header.
enroll() {
	local user="$1" pass="$2" conf="$3" csrf="$4"
	shift 4
	http POST /.well-known/est/simpleenroll -u "$user:$pass" -H "Kinko-Confirmation-PIN: $conf" \
		-H 'Content-Type: application/pkcs10' --data-binary @"$csrf" "$@"
}

# certs_of FILE OUT: the certificates of a base64 certs-only CMS, as PEM.
certs_of() { base64 -d < "$1" | openssl pkcs7 -inform DER -print_certs -out "$2"; }

json_get() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$T/out"; }

# logon_admin CERT KEY CARDFILE PIN: both steps; the session cookie in $T/jar.<CERT basename>.
logon_admin() {
	local cert="$1" key="$2" card="$3" pin="$4"
	local code
	code=$(http POST /api/logon --cert "$cert" --key "$key" -d "{\"pin\":\"$pin\"}")
	[ "$code" = 200 ] || { echo "$code"; return; }
	local lid pos
	lid=$(json_get logon_id)
	pos=$(sed -n 's/.*"positions":\["\(..\)","\(..\)"\].*/\1 \2/p' "$T/out")
	http POST /api/logon/otp --cert "$cert" --key "$key" -c "$T/jar.$(basename "$cert")" \
		-d "{\"logon_id\":\"$lid\",\"digits\":\"$(card_digits "$card" "$pos")\"}"
}

# stop_and_check: the last test of each script; SIGTERM stops the server with exit 0 and
# nothing in its log comes from ASan/UBSan (in a sanitizer build).
stop_and_check() {
	stop_server
	if [ "$SRV_RC" = 0 ] && ! grep -qE 'Sanitizer|runtime error' "$T/server.log"; then
		ok "SIGTERM stops the server with exit 0, no sanitizer report"
	else
		not_ok "SIGTERM stops the server with exit 0, no sanitizer report"
		sed 's/^/# /' "$T/server.log" | grep -A20 -E 'Sanitizer|runtime error' | head -40
	fi
}

# The bank's HTML forms, as a browser sends them: html_csrf is the hidden csrf value of the
# last page ($T/out); the cookie jar given with -b/-c carries the kinko_csrf cookie of the logon
# forms and the session.
html_csrf() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/out" | head -n 1; }
