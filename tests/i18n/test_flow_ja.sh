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

# check_ja_refusal NAME RC WANT FILE REGEX: the refusal exited WANT (its status RC), and FILE,
# its output, matches REGEX (grep -E) with no two English words in a row.
check_ja_refusal() {
	if [ "$2" -eq "$3" ] && grep -qE -- "$5" "$4" && [ -z "$(kit_english_leaks "$4" 2)" ]; then
		ok "$1"
	else
		not_ok "$1"; diag "$4"
	fi
}
# check_ja_json NAME RC WANT FILE KEY VALUE TEXT: the --json refusal exited WANT (its status
# RC), its error's KEY in FILE is VALUE and its message holds TEXT.
check_ja_json() {
	if [ "$2" -eq "$3" ] && [ "$(json_field "$4" "$5")" = "$6" ] && json_field "$4" message | grep -qF -- "$7"; then
		ok "$1"
	else
		not_ok "$1"; diag "$4"
	fi
}

flow_lang_failures
check_ja_refusal "ja: a wrong token PIN: トークンのPINが違います。残り2回 (exit 3), no English" \
	"$WRONG_PIN_RC" 3 "$T/wrong-pin" "トークンのPINが違います。残り2回"
check_ja_json "ja: --json: code pin_incorrect, the message in Japanese" \
	"$WRONG_PIN_JSON_RC" 3 "$T/wrong-pin.json" code pin_incorrect "トークンのPINが違います"
flow_lang_json_same "ja: --json of the wrong PIN has the keys, code and exit of LANG=C" "$T/wrong-pin.json" \
	k_user --secrets-file "$T/bad-token" --json pin check
k_user pin check >/dev/null 2>&1
check_ja_refusal "ja: a wrong ご契約先暗証番号 (イ) at logon: named, tries left, exit 4, no English" \
	"$WRONG_I_RC" 4 "$T/wrong-i" "ご契約先暗証番号 \(イ\) が違います。残り[0-9]+回"
check_ja_json "ja: --json: secret contract_pin, the message in Japanese" \
	"$WRONG_I_JSON_RC" 4 "$T/wrong-i.json" secret contract_pin "ご契約先暗証番号 (イ)"
flow_lang_json_same "ja: --json of the wrong イ has the keys, code and exit of LANG=C" "$T/wrong-i.json" \
	k_admin --secrets-file "$T/bad-i" --json logon "${BANK_OPTS[@]}"
