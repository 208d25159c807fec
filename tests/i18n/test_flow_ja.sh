#!/usr/bin/env bash
# The whole seed flow of the manuals under LANG=ja_JP.UTF-8 reads Japanese: the enrollment's
# result with a Japanese date, the admin's ご契約先ステータス and the user's 利用者ステータス, no
# English sentence anywhere on the happy path; a wrong token PIN says
# 「トークンのPINが違います。残り2回」 and a wrong ご契約先暗証番号 (イ) its tries left; their
# --json keep the keys, code and exit status of LANG=C, with the message in Japanese.
FLOW_LANG=ja
. "$(dirname "$0")/flow_lang.sh"

plan $((FLOW_TESTS_all + 9))
flow_start kinko
flow_all

ja_date='[0-9]{4}年([1-9]|1[0-2])月([1-9]|[12][0-9]|3[01])日'
if grep -qF "電子証明書をトークンに取得しました" "$T/flow.log" && grep -qE "^  有効期限 +$ja_date\$" "$T/flow.log"; then
	ok "ja: the enrollment's result is Japanese, its date 年月日"
else
	not_ok "ja: the enrollment's result is Japanese, its date 年月日"; diag "$T/flow.log" 40
fi
if grep -qx "ご契約先ステータス" "$T/flow.log" && grep -qx "利用者ステータス" "$T/flow.log" &&
	grep -qE "有効期間 $ja_date 〜 $ja_date" "$T/flow.log"; then
	ok "ja: the status screens are ご契約先ステータス and 利用者ステータス, their dates 年月日"
else
	not_ok "ja: the status screens are ご契約先ステータス and 利用者ステータス, their dates 年月日"; diag "$T/flow.log" 40
fi
leaks=$(kit_english_leaks "$T/flow.log" 3)
if [ -z "$leaks" ] && [ -s "$T/flow.log" ]; then
	ok "ja: no English sentence in the whole flow ($(wc -l <"$T/flow.log") lines)"
else
	not_ok "ja: no English sentence in the whole flow"; printf '%s\n' "$leaks" | head -10 | sed 's/^/# leaked: /'
fi

flow_lang_failures
if [ "$WRONG_PIN_RC" -eq 3 ] && grep -qF "トークンのPINが違います。残り2回" "$T/wrong-pin" &&
	[ -z "$(kit_english_leaks "$T/wrong-pin" 2)" ]; then
	ok "ja: a wrong token PIN: トークンのPINが違います。残り2回 (exit 3), no English"
else
	not_ok "ja: a wrong token PIN: トークンのPINが違います。残り2回 (exit 3), no English"; diag "$T/wrong-pin"
fi
if [ "$WRONG_PIN_JSON_RC" -eq 3 ] && [ "$(json_field "$T/wrong-pin.json" code)" = pin_incorrect ] &&
	json_field "$T/wrong-pin.json" message | grep -qF "トークンのPINが違います"; then
	ok "ja: --json: code pin_incorrect, the message in Japanese"
else
	not_ok "ja: --json: code pin_incorrect, the message in Japanese"; diag "$T/wrong-pin.json"
fi
flow_lang_json_same "ja: --json of the wrong PIN has the keys, code and exit of LANG=C" "$T/wrong-pin.json" \
	k_user --secrets-file "$T/bad-token" --json pin check
k_user pin check >/dev/null 2>&1
if [ "$WRONG_I_RC" -eq 4 ] && grep -qE "ご契約先暗証番号 \(イ\) が違います。残り[0-9]+回" "$T/wrong-i" &&
	[ -z "$(kit_english_leaks "$T/wrong-i" 2)" ]; then
	ok "ja: a wrong ご契約先暗証番号 (イ) at logon: named, tries left, exit 4, no English"
else
	not_ok "ja: a wrong ご契約先暗証番号 (イ) at logon: named, tries left, exit 4, no English"; diag "$T/wrong-i"
fi
if [ "$WRONG_I_JSON_RC" -eq 4 ] && [ "$(json_field "$T/wrong-i.json" secret)" = contract_pin ] &&
	json_field "$T/wrong-i.json" message | grep -qF "ご契約先暗証番号 (イ)"; then
	ok "ja: --json: secret contract_pin, the message in Japanese"
else
	not_ok "ja: --json: secret contract_pin, the message in Japanese"; diag "$T/wrong-i.json"
fi
flow_lang_json_same "ja: --json of the wrong イ has the keys, code and exit of LANG=C" "$T/wrong-i.json" \
	k_admin --secrets-file "$T/bad-i" --json logon "${BANK_OPTS[@]}"
