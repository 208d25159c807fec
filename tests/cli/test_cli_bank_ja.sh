#!/usr/bin/env bash
# The bank flows of kinko speak the user's language. Under LANG=ja_JP.UTF-8: the
# admin's enrollment result (電子証明書, its expiry as 年月日), a wrong contract PIN named with
# its tries left (ご契約先暗証番号 (イ) が違います。残り4回), the logon's status screen
# (ご契約先ステータス), user registration, issuance and logoff in Japanese, and no English sentence
# on the happy path. Under LANG=C the same steps in English. --json: the same keys, codes and
# exit statuses in both languages. kinko asks the bank for its texts in the user's language:
# Accept-Language "ja, en;q=0.5" under ja, "en" under C, on every request.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/../lib/i18n.sh"
kit_ja_or_skip_all
need jq
need python3

plan 23

tokens_backend softhsm
export KINKO_LOCALEDIR="${KINKO_LOCALEDIR:-$B/tests/locale}"
[ -f "$KINKO_LOCALEDIR/ja/LC_MESSAGES/kinko.mo" ] || bail "no kinko.mo under $KINKO_LOCALEDIR"

token_new admin
bank_new main
bank_contract main
bank_start main
URL=$(bank_url main)
CA=$(bank_ca main)
party_secrets admin "$(bank_card main)" >/dev/null
secrets_write "$T/wrongpin" "token_pin=$TOKEN_PIN" "contract_pin=0000"

ja() { LANG=ja_JP.UTF-8 LC_ALL="" LANGUAGE="" kinko_as admin "$@"; }
en() { LANG=C LC_ALL="" LANGUAGE="" kinko_as admin "$@"; }
# shellcheck source=tests/lib/i18n.sh
. "$(dirname "$0")/../lib/i18n.sh"
english_leaks() { kit_english_leaks "$1" 3; }
no_english() { # no_english NAME: the last run said no English sentence
	local leaks
	leaks=$(english_leaks "$T/out")
	if [ -z "$leaks" ]; then ok "$1"; else not_ok "$1"; printf '# %s\n' "$leaks"; fi
}

# --- Japanese ---
run ja enroll --bank "$URL" --cacert "$CA" --admin --contract-id "$CONTRACT"
check_ok_out "ja: enroll says 電子証明書 was obtained" "電子証明書をトークンに取得しました" "CN          $CN"
# One year from the bank's today (a day either way for a leap day or midnight).
if grep -qE "^  有効期限    $(date -u -d '+1 year' +%Y)年([1-9]|1[0-2])月([1-9]|[12][0-9]|3[01])日\$" "$T/out"; then
	ok "ja: the certificate's expiry is a Japanese date (YYYY年M月D日)"
else not_ok "ja: the certificate's expiry is a Japanese date (YYYY年M月D日)"; diag "$T/out"; fi
check_out "ja: enroll's progress (key generation, request sent) is Japanese" \
	"トークン上で P-256 の鍵を生成しています…" "電子証明書の発行要求を銀行に送っています…"
no_english "ja: enroll says no English sentence"

KINKO_SECRETS="$T/wrongpin" run ja logon --bank "$URL"
check_rc_out "ja: a wrong contract PIN is named with the tries left (exit 4)" 4 \
	"ご契約先暗証番号 (イ) が違います。残り4回"
no_english "ja: the wrong PIN's message has no English sentence"

run ja logon --bank "$URL"
check_ok_out "ja: logon shows the status screen ご契約先ステータス" "ご契約先ステータス" \
	"利用者番号（ご契約先ID）  $CONTRACT" "ログオン者                管理者"
no_english "ja: logon says no English sentence"

run ja status
check_ok_out "ja: kinko status is ご契約先ステータス" "ご契約先ステータス" "ログオン中です"
run ja admin user add "$USER_ID"
check_ok_out "ja: a user registered" "利用者 $USER_ID を登録しました"
run ja admin issue "$USER_ID"
check_ok_out "ja: 利用者電子証明書発行" "利用者 $USER_ID の利用者電子証明書発行を行いました"
run ja admin users
check_ok_out "ja: the users table has Japanese headings" "利用者" "発行日" "取得期限" "$USER_ID"
no_english "ja: admin users says no English sentence"
run ja logoff
check_ok_out "ja: logoff" "からログオフしました"
no_english "ja: logoff says no English sentence"

# --- English: the same steps ---
KINKO_SECRETS="$T/wrongpin" run en logon --bank "$URL"
check_rc_out "C: a wrong contract PIN in English (exit 4)" 4 \
	"the bank refused the contract PIN (イ): 4 tries left"
run en logon --bank "$URL"
check_ok_out "C: the status screen in English" "Contract status" "logged on as  admin"
if grep -v 'イ' "$T/out" | LC_ALL=C grep -q $'[\xe3-\xe9]'; then
	not_ok "C: no Japanese text under LANG=C"; diag "$T/out"
else ok "C: no Japanese text under LANG=C"; fi
run en logoff
check_ok_out "C: logoff in English" "Logged off from $URL"

# --- --json: keys, codes and exit statuses do not follow the language ---
json_shape() { jq -S 'del(.error.message, .error.messages, .error.detail) | paths | map(tostring) | join(".")' "$1"; }
KINKO_SECRETS="$T/wrongpin" run ja --json logon --bank "$URL"
rc_ja=$RC; cp "$T/stdout" "$T/ja.json"
run en logon --bank "$URL" # a complete logon clears the wrong answer
KINKO_SECRETS="$T/wrongpin" run en --json logon --bank "$URL"
rc_en=$RC; cp "$T/stdout" "$T/en.json"
if [ "$rc_ja" = 4 ] && [ "$rc_en" = 4 ] && [ "$(json_shape "$T/ja.json")" = "$(json_shape "$T/en.json")" ] &&
	[ "$(jq -c '[.error.code, .error.secret, .error.tries_left, .exit]' "$T/ja.json")" = '["wrong_secret","contract_pin",4,4]' ] &&
	[ "$(jq -c '[.error.code, .error.secret, .error.tries_left, .exit]' "$T/en.json")" = '["wrong_secret","contract_pin",4,4]' ]; then
	ok "--json: a wrong PIN has the same keys, code wrong_secret and exit 4 in ja and C"
else
	not_ok "--json: a wrong PIN has the same keys, code wrong_secret and exit 4 in ja and C"
	echo "# ja (exit $rc_ja): $(cat "$T/ja.json")"; echo "# C (exit $rc_en): $(cat "$T/en.json")"
fi
run ja --json status
rc_ja=$RC; cp "$T/stdout" "$T/ja.json"
run en --json status
rc_en=$RC; cp "$T/stdout" "$T/en.json"
if [ "$rc_ja" = 0 ] && [ "$rc_en" = 0 ] && cmp -s "$T/ja.json" "$T/en.json"; then
	ok "--json status is the same object in ja and C"
else
	not_ok "--json status is the same object in ja and C"; echo "# ja: $(cat "$T/ja.json")"; echo "# C: $(cat "$T/en.json")"
fi

# --- Accept-Language on every request to the bank ---
# A bank that records the header of each request and answers 503: kinko's reachability check
# (GET cacerts) and its enrollment request (POST simpleenroll) both reach it.
cat >"$T/lang_bank.py" <<'EOF'
import http.server, ssl, sys
cert, key, port_file, log = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n: self.rfile.read(n)
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, self.headers.get("Accept-Language", "-")))
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
    do_GET = do_POST = reply
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(cert, key)
s.socket = c.wrap_socket(s.socket, server_side=True)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$T/lang_bank.py" "$(bank_dir main)/server.crt" "$(bank_dir main)/server.key" "$T/lang.port" "$T/lang.log" &
LANG_PID=$!
CLEANUP_HOOK='proc_stop "$LANG_PID"'
proc_wait_for 10 test -s "$T/lang.port" || bail "the recording bank did not start"
LURL="https://localhost:$(cat "$T/lang.port")"
run ja enroll --bank "$LURL" --cacert "$CA" --admin --contract-id "$CONTRACT"
ja_log=$(cat "$T/lang.log" 2>/dev/null); : >"$T/lang.log"
if [ "$RC" -ne 0 ] && grep -q '^GET /.well-known/est/cacerts ja, en;q=0.5$' <<<"$ja_log" &&
	grep -q '^POST /.well-known/est/simpleenroll ja, en;q=0.5$' <<<"$ja_log" &&
	! grep -qv 'ja, en;q=0.5$' <<<"$ja_log"; then
	ok "ja: every request to the bank asks for Accept-Language: ja, en;q=0.5"
else not_ok "ja: every request to the bank asks for Accept-Language: ja, en;q=0.5"; printf '# %s\n' "$ja_log"; fi
run en enroll --bank "$LURL" --cacert "$CA" --admin --contract-id "$CONTRACT"
en_log=$(cat "$T/lang.log" 2>/dev/null)
if grep -q '^GET /.well-known/est/cacerts en$' <<<"$en_log" && grep -q '^POST /.well-known/est/simpleenroll en$' <<<"$en_log" &&
	! grep -qv ' en$' <<<"$en_log"; then
	ok "C: every request to the bank asks for Accept-Language: en"
else not_ok "C: every request to the bank asks for Accept-Language: en"; printf '# %s\n' "$en_log"; fi
