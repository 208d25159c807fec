#!/usr/bin/env bash
# kinko-bankd answers in Japanese or English: the language from Accept-Language (Japanese
# whenever a ja range has q > 0, English otherwise and without the header), overridden by
# ?lang=ja|en and the kinko_lang cookie the pages' switch link sets; the HTML screens with the
# manuals' names, lang attribute, UTF-8 declared, Vary; JSON refusals with a translated
# "message" beside the unchanged "error", "secret" and "tries_left"; EST text refusals; the
# operator's log stays English.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

locale -a 2>/dev/null | grep -qix 'ja_JP.utf-\?8' ||
	skip_all "the locale ja_JP.UTF-8 is not installed (scripts/deps.sh generates it)"

plan 54
APPLIED=$(date -u -d '-10 days' +%F)
admin_bank "$APPLIED"
JA=(-H 'Accept-Language: ja')
EN=(-H 'Accept-Language: en')

# page NAME: the lang attribute of the last page.
page_lang() { sed -n 's/.*<html lang="\([a-z]*\)">.*/\1/p' "$T/out"; }
hdr() { grep -i "^$1:" "$T/hdr" | tr -d '\r'; }

# The logon screen without a certificate, in both languages.
check_quiet "Accept-Language: ja gets the logon screen in Japanese (200, lang=\"ja\")" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<html lang=\"ja\">' '$T/out'" _ "$(http GET / "${JA[@]}")"
check_quiet "its title and heading are ログオン" sh -c "grep -qF ' - ログオン</title>' '$T/out' && grep -qF '<h2>ログオン</h2>' '$T/out'"
check_quiet "it explains 電子証明書取得 in Japanese" sh -c "grep -qF '<h3>電子証明書取得</h3>' '$T/out' && grep -qF 'この銀行が発行した電子証明書が必要です' '$T/out'"
check_quiet "no English sentence leaks into the Japanese page" sh -c "! sed 's/<[^>]*>//g' '$T/out' | grep -qE 'Logon|certificate|Choose|Obtain'"
check_quiet "it declares UTF-8 in the page" contains "$T/out" '<meta charset="utf-8">'
check_quiet "and in Content-Type" equals "$(hdr Content-Type)" "Content-Type: text/html; charset=utf-8"
check_quiet "Vary names Accept-Language" sh -c "grep -qi '^Vary: Accept-Language' '$T/hdr'"
check_quiet "the switch link leads to the English page" contains "$T/out" '<a href="/?lang=en" hreflang="en" lang="en">English</a>'
check_quiet "Accept-Language: en gets English (lang=\"en\", Logon, Obtain certificate)" \
	sh -c "[ \"\$1\" = 200 ] && [ \"\$(sed -n 's/.*<html lang=\"\([a-z]*\)\">.*/\1/p' '$T/out')\" = en ] && grep -qF '<h2>Logon</h2>' '$T/out' && grep -qF '<h3>Obtain certificate</h3>' '$T/out'" _ "$(http GET / "${EN[@]}")"
check_quiet "the English page's switch link leads to 日本語" contains "$T/out" '<a href="/?lang=ja" hreflang="ja" lang="ja">日本語</a>'
http GET / >/dev/null
check_quiet "no Accept-Language: English" equals "$(page_lang)" en

# The rule: Japanese whenever a ja range is acceptable (q > 0), whatever its rank.
for al in 'en;q=0.9, ja;q=0.1' 'ja-JP' 'fr, JA;Q=0.5' 'en-US,en;q=0.9,ja;q=0.001'; do
	http GET / -H "Accept-Language: $al" >/dev/null
	check_quiet "Accept-Language: $al is Japanese" equals "$(page_lang)" ja
done
for al in 'ja;q=0, en' 'ja;q=0.000' '*' 'jav' 'en-GB, fr;q=0.5' 'ja;q=2' 'ja;q=0.1234' ''; do
	http GET / -H "Accept-Language: $al" >/dev/null
	check_quiet "Accept-Language: '$al' is English" equals "$(page_lang)" en
done

# Concurrent requests in both languages, on the worker thread (pages) and on the loop (404),
# each keep their own language.
PIDS=()
for i in $(seq 1 12); do
	l=$([ $((i % 2)) = 0 ] && echo ja || echo en)
	curl -s --cacert "$BANK/ca.crt" -H "Accept-Language: $l" -o "$T/par.$i.$l.page" "$URL/" &
	PIDS+=($!)
	curl -s --cacert "$BANK/ca.crt" -H "Accept-Language: $l" -o "$T/par.$i.$l.404" "$URL/nope" &
	PIDS+=($!)
done
wait "${PIDS[@]}"
check_quiet "24 concurrent requests, half ja half en: every answer in its own language" sh -c "
	for f in '$T'/par.*.ja.page; do grep -qF '<html lang=\"ja\">' \"\$f\" || exit 1; done
	for f in '$T'/par.*.en.page; do grep -qF '<html lang=\"en\">' \"\$f\" || exit 1; done
	for f in '$T'/par.*.ja.404; do grep -qxF '見つかりません' \"\$f\" || exit 1; done
	for f in '$T'/par.*.en.404; do grep -qxF 'not found' \"\$f\" || exit 1; done
	[ \$(ls '$T'/par.* | wc -l) = 24 ]"

# The switch link: ?lang= outranks Accept-Language and is kept in a cookie that does too.
check_quiet "?lang=en with Accept-Language: ja is English" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<html lang=\"en\">' '$T/out'" _ "$(http GET '/?lang=en' "${JA[@]}" -c "$T/jar.lang")"
check_quiet "it sets the kinko_lang=en cookie (Secure)" sh -c "grep -q '^Set-Cookie: kinko_lang=en; Path=/;.*Secure' '$T/hdr'"
http GET / "${JA[@]}" -b "$T/jar.lang" >/dev/null
check_quiet "the cookie keeps the pages English despite Accept-Language: ja" equals "$(page_lang)" en
http GET '/?lang=ja' "${EN[@]}" -b "$T/jar.lang" >/dev/null
check_quiet "?lang=ja switches back to Japanese" equals "$(page_lang)" ja
http GET '/?lang=xx' "${JA[@]}" >/dev/null
check_quiet "an unknown lang= is ignored (Accept-Language decides)" equals "$(page_lang)" ja

# With the admin's certificate: the PIN form, a wrong PIN, the card, the status screen.
check_quiet "the PIN form's label is ご契約先暗証番号 (イ)" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<label>ご契約先暗証番号 (イ) ' '$T/out' && grep -qF '<dd>管理者</dd>' '$T/out'" _ "$(http GET / "${A[@]}" "${JA[@]}" -c "$T/jar.html")"
check_quiet "a wrong PIN on the Japanese form names the secret and the tries left (401)" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'ご契約先暗証番号 (イ)が違います。残り4回' '$T/out'" _ "$(http POST /logon "${A[@]}" "${JA[@]}" -b "$T/jar.html" --data-urlencode pin=0000 --data-urlencode "csrf=$(html_csrf)")"
HCSRF=$(html_csrf)
check_quiet "the JSON refusal with Accept-Language: ja is 401" \
	equals "$(http POST /api/logon "${A[@]}" "${JA[@]}" -d '{"pin":"0000"}')" 401
check_quiet "its \"message\" is Japanese" contains "$T/out" '"message":"ご契約先暗証番号 (イ)が違います。残り3回"'
check_quiet "its \"error\", \"secret\" and \"tries_left\" are unchanged" \
	sh -c "grep -qF '\"error\":\"wrong contract PIN (イ); 3 tries left\"' '$T/out' && grep -qF '\"secret\":\"contract_pin\"' '$T/out' && grep -qF '\"tries_left\":3' '$T/out'"
http POST /api/logon "${A[@]}" "${EN[@]}" -d '{"pin":"0000"}' >/dev/null
check_quiet "in English \"message\" is the English sentence" contains "$T/out" '"message":"wrong contract PIN (イ); 2 tries left"'
http GET /api/status "${A[@]}" "${JA[@]}" >/dev/null
check_quiet "a JSON refusal without a session: \"error\" English, \"message\" Japanese" \
	sh -c "grep -qF '\"error\":\"not logged on\"' '$T/out' && grep -qF '\"message\":\"ログオンしていません\"' '$T/out'"
check_quiet "the right PIN gives the card screen in Japanese" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<h2>ワンタイムパスワード（お客様カード）</h2>' '$T/out' && grep -qF 'の数字を入力してください。' '$T/out'" _ "$(http POST /logon "${A[@]}" "${JA[@]}" -b "$T/jar.html" --data-urlencode pin="$PIN" --data-urlencode "csrf=$HCSRF")"
check_quiet "the admin logs on (200)" equals "$(logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN")" 200
JAR="$T/jar.admin.crt"
check_quiet "the admin's status screen is ご契約先ステータス" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<h2>ご契約先ステータス</h2>' '$T/out' && grep -qF '<a href=\"/status?lang=en\"' '$T/out'" _ "$(http GET /status "${A[@]}" "${JA[@]}" -b "$JAR")"
check_quiet "it shows the glossary's 利用者番号（ご契約先ID） (A) and a Japanese date" \
	sh -c "grep -qF '<dt>利用者番号（ご契約先ID） (A)</dt>' '$T/out' && grep -qE '<dd>[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日</dd>' '$T/out'"
check_quiet "it has the 利用者電子証明書発行 section" contains "$T/out" '<h3>利用者電子証明書発行</h3>'
http GET /status "${A[@]}" "${EN[@]}" -b "$JAR" >/dev/null
check_quiet "in English it is Contract status with an ISO date" \
	sh -c "grep -qF '<h2>Contract status</h2>' '$T/out' && grep -qE '<dd>[0-9]{4}-[0-9]{2}-[0-9]{2}</dd>' '$T/out'"

# A user: registered, issued, enrolled; the status screen is 利用者ステータス.
http POST /api/admin/users "${A[@]}" -b "$JAR" -d '{"user_id":"taro","user_pin":"3333","user_confirmation_pin":"4444"}' >/dev/null
http POST /api/admin/users/taro/issue "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}" >/dev/null
csr_ec taro
check_quiet "an EST refusal with Accept-Language: ja is Japanese text, its headers unchanged (401)" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF '利用者暗証番号 (ト)が違います。残り4回' '$T/out' && grep -q '^Kinko-Wrong-Secret: user_pin' '$T/hdr' && grep -q '^Kinko-Tries-Left: 4' '$T/hdr'" _ \
	"$(enroll "$CONTRACT/taro" 0000 4444 "$T/taro.csr" "${JA[@]}")"
check_quiet "the user enrolls (200)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 200
certs_of "$T/out" "$T/taro.crt"
U=(--cert "$T/taro.crt" --key "$T/taro.key")
check_quiet "an admin JSON refusal is Japanese in \"message\", English in \"error\" (404)" \
	sh -c "[ \"\$1\" = 404 ] && grep -qF '\"error\":\"no such user in this contract\"' '$T/out' && grep -qF '\"message\":\"このご契約にその利用者はいません\"' '$T/out'" _ \
	"$(http POST /api/admin/users/jiro/issue "${A[@]}" "${JA[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}")"
http POST /api/admin/users "${A[@]}" -b "$JAR" -d '{"user_id":"jiro","user_pin":"5555","user_confirmation_pin":"6666"}' >/dev/null
csr_ec jiro
check_quiet "the bank's rules refuse in Japanese: a user not issued yet (403)" \
	sh -c "[ \"\$1\" = 403 ] && grep -qF '管理者がまだこの利用者に電子証明書を発行していません' '$T/out'" _ \
	"$(enroll "$CONTRACT/jiro" 5555 6666 "$T/jiro.csr" "${JA[@]}")"
csr_rsa weak 1024
check_quiet "and a weak key (403)" \
	sh -c "[ \"\$1\" = 403 ] && grep -qF '鍵が弱すぎます' '$T/out'" _ "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/weak.csr" "${JA[@]}")"
http GET / "${U[@]}" -c "$T/jar.taro" >/dev/null
http POST /logon "${U[@]}" "${JA[@]}" -b "$T/jar.taro" -c "$T/jar.taro" --data-urlencode pin=3333 --data-urlencode "csrf=$(html_csrf)" >/dev/null
check_quiet "the user's status screen is 利用者ステータス" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<h2>利用者ステータス</h2>' '$T/out' && grep -qF '<dt>利用者ID (ニ)</dt><dd>taro</dd>' '$T/out'" _ "$(http GET /status "${U[@]}" "${JA[@]}" -b "$T/jar.taro")"
check_quiet "the admin's status screen names taro's certificate's state in words: 有効" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<td>有効</td>' '$T/out'" _ "$(http GET /status "${A[@]}" "${JA[@]}" -b "$JAR")"
http GET /status "${U[@]}" -b "$T/jar.taro" >/dev/null
check_quiet "logoff shows the ログオフ screen" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<h2>ログオフ</h2>' '$T/out' && grep -qF 'ログオフしました。' '$T/out'" _ "$(http POST /logoff "${U[@]}" "${JA[@]}" -b "$T/jar.taro" --data-urlencode "csrf=$(html_csrf)")"
check_quiet "the operator's log stays English (ASCII only)" sh -c "! LC_ALL=C grep -q '[^ -~]' '$T/server.log'"

# Without a Japanese catalogue: one warning for the operator, English answers that say so.
stop_server
mkdir -p "$T/no-catalogue"
KINKO_LOCALEDIR="$T/no-catalogue" start_server
http GET / "${JA[@]}" >/dev/null
check_quiet "without the catalogue Accept-Language: ja gets English, lang=\"en\"" equals "$(page_lang)" en
http GET /nope "${JA[@]}" >/dev/null
check_quiet "serve warned once that answers are English only" \
	equals "$(grep -c 'no Japanese message catalogue.*English only' "$T/server.log")" 1
stop_and_check
