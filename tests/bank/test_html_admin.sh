#!/usr/bin/env bash
# kinko-bankd's admin screens (manual I-3) in HTML, as a browser drives them, by curl with the
# admin's client certificate: logon with イ and the card digits read from #otp-positions →
# ご契約先ステータス → ご契約先管理情報変更 → 利用者情報登録／変更 → register → 利用者選択 → 変更 →
# issue with ロ → done → ログオフ, with the element ids the browser tests select; the user then
# enrolls by EST (the screens run the JSON API's operations); a user's session is refused; no
# PIN typed ever appears in a page; a POST a browser marks cross-site is refused; the Japanese
# screens; the 電子証明書取得 page's command.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 53
# Secrets unlike anything else in a page, so a page that echoed one would be seen.
PIN=Ipin-8265
CONF=Rpin-4093
admin_bank "$(date -u -d '-10 days' +%F)"
H=(-b "$T/jar.html" -c "$T/jar.html")
mkdir "$T/pages"
# page METHOD PATH [curl args]: http, and the body kept for the secrets check at the end.
page() {
	local code
	code=$(http "$@")
	cp "$T/out" "$(mktemp "$T/pages/XXXXXX")"
	echo "$code"
}
# answered GOT WANT [STRING...]: the status GOT is WANT and the page holds every STRING.
answered() {
	local got=$1 want=$2 s
	shift 2
	[ "$got" = "$want" ] || return 1
	for s in "$@"; do grep -qF -- "$s" "$T/out" || return 1; done
}

check_quiet "the logon page has form#logon-form, input#pin, button#logon-submit (200)" \
	answered \
	"$(page GET / "${A[@]}" "${H[@]}")" 200 '<form id="logon-form" method="post" action="/logon" autocomplete="off">' 'id="pin" name="pin"' 'id="logon-submit"'
check_quiet "it carries a csrf value and sets its cookie, HttpOnly and SameSite=Strict" \
	sh -c "[ -n \"\$1\" ] && grep -q '^Set-Cookie: kinko_csrf=[0-9a-f]\{32\}; Path=/; Secure; HttpOnly; SameSite=Strict' '$T/hdr'" _ "$(html_csrf)"
check_quiet "pages forbid framing and foreign content" \
	sh -c "grep -q \"^Content-Security-Policy: default-src 'none'; form-action 'self'; frame-ancestors 'none'\" '$T/hdr' && grep -q '^X-Frame-Options: DENY' '$T/hdr' && grep -q '^Cache-Control: no-store' '$T/hdr'"
LCSRF=$(html_csrf)
check_quiet "a logon without the csrf value is 403" equals "$(page POST /logon "${A[@]}" "${H[@]}" --data-urlencode pin=0000)" 403
check_quiet "the 403 page says why in #error" contains "$T/out" 'id="error"'
check_quiet "a logon with a wrong csrf value is 403" \
	equals "$(page POST /logon "${A[@]}" "${H[@]}" --data-urlencode pin=0000 --data-urlencode "csrf=${LCSRF//[0-9]/a}")" 403
check_quiet "a logon with the value but without its cookie is 403" \
	equals "$(page POST /logon "${A[@]}" --data-urlencode pin=0000 --data-urlencode "csrf=$LCSRF")" 403
check_quiet "a browser's cross-site POST to the JSON logon is 403 (Sec-Fetch-Site)" \
	equals "$(page POST /api/logon "${A[@]}" -H 'Sec-Fetch-Site: cross-site' -H 'Content-Type: text/plain' -d '{"pin":"0000"}')" 403
check_quiet "a same-site one to the form, even with the csrf value, is a 403 page" \
	answered \
	"$(page POST /logon "${A[@]}" "${H[@]}" -H 'Sec-Fetch-Site: same-site' --data-urlencode pin=0000 --data-urlencode "csrf=$LCSRF")" 403 'id="error"'
check_quiet "the refused logons counted no wrong PIN: a wrong PIN now leaves 4 tries (401)" \
	answered \
	"$(page POST /logon "${A[@]}" "${H[@]}" --data-urlencode pin=0000 --data-urlencode "csrf=$LCSRF")" 401 'wrong contract PIN (イ); 4 tries left'
check_quiet "the right PIN gives #otp-positions, input#digits, button#otp-submit (200)" \
	answered "$(page POST /logon "${A[@]}" "${H[@]}" -H 'Sec-Fetch-Site: same-origin' --data-urlencode "pin=$PIN" --data-urlencode "csrf=$(html_csrf)")" 200 \
	'id="otp-positions" data-positions="' 'id="digits" name="digits"' 'id="otp-submit"'
POS=$(sed -n 's/.*data-positions="\(..\),\(..\)".*/\1 \2/p' "$T/out")
LID=$(sed -n 's/.*name="logon_id" value="\([0-9a-f]*\)".*/\1/p' "$T/out")
check_quiet "the card digits log the admin on: 303 to /status with a SameSite=Strict session" \
	sh -c "[ \"\$1\" = 303 ] && grep -q '^Location: /status' '$T/hdr' && grep -q '^Set-Cookie: kinko_session=[0-9a-f]\{32\}; Path=/; Secure; HttpOnly; SameSite=Strict' '$T/hdr'" _ \
	"$(page POST /logon/otp "${A[@]}" "${H[@]}" --data-urlencode "logon_id=$LID" --data-urlencode "digits=$(card_digits "$T/card" "$POS")" --data-urlencode "csrf=$(html_csrf)")"
check_quiet "ご契約先ステータス: #status data-role=admin, a#contract-admin to /admin, button#logoff-submit" \
	answered \
	"$(page GET /status "${A[@]}" "${H[@]}")" 200 '<section id="status" data-role="admin">' '<a id="contract-admin" href="/admin">' 'id="logoff-submit"'
SCSRF=$(html_csrf)
check_quiet "the session's csrf value is another than the logon's" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$SCSRF" "$LCSRF"
check_quiet "ご契約先管理情報変更 (/admin) links a#users-link to /admin/users" \
	answered "$(page GET /admin "${A[@]}" "${H[@]}")" 200 '<a id="users-link" href="/admin/users">'
check_quiet "利用者情報登録／変更 has table#users and a#user-register to /admin/users/new" \
	answered "$(page GET /admin/users "${A[@]}" "${H[@]}")" 200 '<table id="users">' '<a id="user-register" href="/admin/users/new">'
check_quiet "the register form: form#user-form to /admin/users, input#user_id, #user_pin, #user_confirmation_pin, button#user-submit" \
	answered \
	"$(page GET /admin/users/new "${A[@]}" "${H[@]}")" 200 '<form id="user-form" method="post" action="/admin/users" autocomplete="off">' 'id="user_id"' 'type="password" id="user_pin"' 'type="password" id="user_confirmation_pin"' 'id="user-submit"'

# Cross-site forms: no value, a wrong one, another session's; nothing registered.
reg() { page POST /admin/users "${A[@]}" "${H[@]}" --data-urlencode user_id=hanako --data-urlencode user_pin=Tpin-5172 --data-urlencode user_confirmation_pin=Cpin-6394 "$@"; }
logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN" >/dev/null
page GET /status "${A[@]}" -b "$JAR" >/dev/null
OTHER=$(html_csrf)
check_quiet "registering without the csrf value is 403" equals "$(reg)" 403
check_quiet "with a wrong csrf value is 403" equals "$(reg --data-urlencode "csrf=${SCSRF//[0-9]/f}")" 403
check_quiet "with another session's csrf value is 403" \
	sh -c '[ "$1" = 403 ] && [ -n "$2" ] && [ "$2" != "$3" ]' _ "$(reg --data-urlencode "csrf=$OTHER")" "$OTHER" "$SCSRF"
check_quiet "the refused forms registered nobody" \
	sh -c "! '$BANKD' contract show --dir '$BANK' --contract-id '$CONTRACT' | grep -q hanako"
check_quiet "the register form registers the user: a page with #done (200)" \
	answered "$(reg --data-urlencode "csrf=$SCSRF")" 200 'id="done"' 'hanako'
check_quiet "the list has tr[data-user-id=hanako] with a.user-select to /admin/users/hanako" \
	answered "$(page GET /admin/users "${A[@]}" "${H[@]}")" 200 '<tr data-user-id="hanako"><td><a class="user-select" href="/admin/users/hanako">'
check_quiet "利用者選択: the change form to /admin/users/hanako and form#issue-form with input#confirmation_pin, button#issue-submit" \
	answered \
	"$(page GET /admin/users/hanako "${A[@]}" "${H[@]}")" 200 '<form id="user-form" method="post" action="/admin/users/hanako" autocomplete="off">' '<form id="issue-form" method="post" action="/admin/users/hanako/issue" autocomplete="off">' 'type="password" id="confirmation_pin"' 'id="issue-submit"'
check_quiet "every form of the page carries a csrf field" \
	equals "$(grep -c '<form ' "$T/out")" "$(grep -c 'name="csrf"' "$T/out")"
check_quiet "変更: new PINs for the user, a page with #done (200)" \
	answered \
	"$(page POST /admin/users/hanako "${A[@]}" "${H[@]}" --data-urlencode user_pin=Tpin2-7710 --data-urlencode user_confirmation_pin=Cpin2-3348 --data-urlencode "csrf=$SCSRF")" 200 'id="done"'
check_quiet "a PIN too short is refused on the form again, nothing repeated (400)" \
	sh -c "[ \"\$1\" = 400 ] && grep -qF 'id=\"error\"' '$T/out' && ! grep -qF 'Tpin3' '$T/out'" _ \
	"$(page POST /admin/users/hanako "${A[@]}" "${H[@]}" --data-urlencode user_pin=Tpin3 --data-urlencode user_confirmation_pin=x --data-urlencode "csrf=$SCSRF")"
check_quiet "changing the PINs with another session's csrf value is 403 (the user enrolls with the old ones below)" \
	equals "$(page POST /admin/users/hanako "${A[@]}" "${H[@]}" --data-urlencode user_pin=Xpin-1357 --data-urlencode user_confirmation_pin=Xpin-2468 --data-urlencode "csrf=$OTHER")" 403
issue() { page POST /admin/users/hanako/issue "${A[@]}" "${H[@]}" --data-urlencode "confirmation_pin=$1" "${@:2}"; }
check_quiet "issuing without the csrf value is 403" equals "$(issue Wrong-0000)" 403
check_quiet "with another session's csrf value is 403" equals "$(issue Wrong-0000 --data-urlencode "csrf=$OTHER")" 403
check_quiet "the refused issues counted no wrong ロ: a wrong one now leaves 4 tries (401)" \
	answered "$(issue Wrong-0000 --data-urlencode "csrf=$SCSRF")" 401 'wrong contract confirmation PIN (ロ); 4 tries left'
check_quiet "the user was not issued yet" \
	sh -c "'$BANKD' contract show --dir '$BANK' --contract-id '$CONTRACT' | grep -q 'user hanako: not issued'"
check_quiet "issuing with ロ: a page with #done naming the window (200)" \
	answered "$(issue "$CONF" --data-urlencode "csrf=$SCSRF")" 200 'id="done"' "$(date -u -d '+79 days' +%F)"
csr_ec hanako
check_quiet "the user enrolls by EST with the PINs the screens set (200)" \
	equals "$(enroll "$CONTRACT/hanako" Tpin2-7710 Cpin2-3348 "$T/hanako.csr")" 200
certs_of "$T/out" "$T/hanako.crt"
U=(--cert "$T/hanako.crt" --key "$T/hanako.key")

# The user's own session: its status screen, and no admin screen, not even with its csrf.
http GET / "${U[@]}" -c "$T/jar.user" >/dev/null
check_quiet "the user logs on with ト in the HTML form (303)" \
	equals "$(page POST /logon "${U[@]}" -b "$T/jar.user" -c "$T/jar.user" --data-urlencode pin=Tpin2-7710 --data-urlencode "csrf=$(html_csrf)")" 303
check_quiet "the user's status: #status data-role=user and no a#contract-admin" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF 'data-role=\"user\"' '$T/out' && ! grep -qF 'contract-admin' '$T/out'" _ "$(page GET /status "${U[@]}" -b "$T/jar.user")"
UCSRF=$(html_csrf)
check_quiet "a user's session at /admin is a 403 page with #error" \
	answered "$(page GET /admin "${U[@]}" -b "$T/jar.user")" 403 'id="error"'
check_quiet "and at /admin/users/hanako (403)" equals "$(page GET /admin/users/hanako "${U[@]}" -b "$T/jar.user")" 403
check_quiet "a user's session cannot register, even with its own csrf value (403)" \
	equals "$(page POST /admin/users "${U[@]}" -b "$T/jar.user" --data-urlencode user_id=evil --data-urlencode user_pin=Epin-1234 --data-urlencode user_confirmation_pin=Epin-1234 --data-urlencode "csrf=$UCSRF")" 403

# Japanese screens (when the system can show them).
if locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\?8'; then
	check_quiet "with Accept-Language: ja, /admin/users is 利用者情報登録／変更 (lang=ja)" \
		answered "$(page GET /admin/users "${A[@]}" "${H[@]}" -H 'Accept-Language: ja')" 200 \
		'<html lang="ja">' '<h2>利用者情報登録／変更</h2>' '>利用者登録</a>'
	check_quiet "and /admin is ご契約先管理情報変更" \
		answered "$(page GET /admin "${A[@]}" "${H[@]}" -H 'Accept-Language: ja')" 200 '<h2>ご契約先管理情報変更</h2>'
else
	skip "/admin/users in Japanese" "the locale ja_JP.UTF-8 is not installed"
	skip "/admin in Japanese" "the locale ja_JP.UTF-8 is not installed"
fi

# 電子証明書取得: the logon page without a certificate leads there; the command works.
check_quiet "without a certificate the logon page has #no-certificate and a#get-certificate to /certificate" \
	answered "$(page GET /)" 200 'id="no-certificate"' '<a id="get-certificate" href="/certificate">'
check_quiet "/certificate shows code#enroll-command with this bank's URL" \
	answered "$(page GET /certificate)" 200 "<code id=\"enroll-command\">kinko enroll --bank https://localhost:$PORT --admin</code>"
check_quiet "and the user's command" contains "$T/out" "<code id=\"enroll-command-user\">kinko enroll --bank https://localhost:$PORT --user <var>"
KINKO_BIN="${KINKO_BUILDDIR:-.}/kinko"
if [ -x "$KINKO_BIN" ]; then
	# No token here: the command gets past its options and the bank's CA to the token search.
	CMD=$(sed -n 's/.*<code id="enroll-command">\([^<]*\)<.*/\1/p' "$T/out")
	# shellcheck disable=SC2086
	KINKO_STATE_DIR="$T/state" KINKO_MODULE=/nonexistent timeout 30 $KINKO_BIN ${CMD#kinko } --cacert "$BANK/ca.crt" --contract-id "$CONTRACT" </dev/null >"$T/kinko.out" 2>&1
	check_quiet "kinko accepts the page's command (no usage error, exit $?)" sh -c '[ "$1" != 2 ]' _ $?
else
	skip "kinko accepts the page's command" "no kinko in this build"
fi

# ログオフ: without the csrf value nothing ends; with it the session is gone.
check_quiet "logoff without the csrf value is 403" equals "$(page POST /logoff "${A[@]}" "${H[@]}")" 403
check_quiet "and the session still works" equals "$(page GET /admin "${A[@]}" "${H[@]}")" 200
check_quiet "logoff with it: a page with #done (200)" \
	answered "$(page POST /logoff "${A[@]}" "${H[@]}" --data-urlencode "csrf=$SCSRF")" 200 'id="done"'
check_quiet "after logoff /admin is the logon page (401)" equals "$(page GET /admin "${A[@]}" "${H[@]}")" 401

# No secret typed into a form ever came back in a page.
check_quiet "no page holds a PIN that was typed (イ, ロ, ト, チ)" \
	sh -c "! grep -rlE 'Ipin-8265|Rpin-4093|Tpin-5172|Cpin-6394|Tpin2-7710|Cpin2-3348|Wrong-0000|Epin-1234|Xpin-1357|Xpin-2468' '$T/pages'"
check_quiet "no password input has a value" sh -c "! grep -rhE 'type=\"password\"[^>]*value=' '$T/pages'"
check_quiet "every form is autocomplete=off" sh -c "! grep -rh '<form ' '$T/pages' | grep -v 'autocomplete=\"off\"' | grep -v 'action=\"/logoff\"'"
stop_and_check
