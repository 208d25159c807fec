#!/usr/bin/env bash
# The same seed flow under LANG=C is English: the enrollment's result, the status screens, the
# wrong-PIN and wrong-イ messages, and not one Japanese word (the manuals' letters イ, ロ, ニ,
# ト, チ are kept in English too: they are katakana, which this allows).
FLOW_LANG=c
. "$(dirname "$0")/flow_lang.sh"

plan $((FLOW_TESTS_all + 5))
flow_start kinko
flow_all

if grep -qF "certificate obtained on the token" "$T/flow.log" && grep -qE "^  valid until +[0-9]{4}-[0-9]{2}-[0-9]{2}\$" "$T/flow.log"; then
	ok "C: the enrollment's result is English, its date ISO"
else
	not_ok "C: the enrollment's result is English, its date ISO"; diag "$T/flow.log" 40
fi
if grep -qx "Contract status" "$T/flow.log" && grep -qx "User status" "$T/flow.log"; then
	ok "C: the status screens are Contract status and User status"
else
	not_ok "C: the status screens are Contract status and User status"; diag "$T/flow.log" 40
fi
if ! LC_ALL=C.UTF-8 grep -qP '[\p{Han}\p{Hiragana}]' "$T/flow.log"; then
	ok "C: no Japanese word in the whole flow"
else
	not_ok "C: no Japanese word in the whole flow"; LC_ALL=C.UTF-8 grep -P '[\p{Han}\p{Hiragana}]' "$T/flow.log" | head -5 | sed 's/^/# /'
fi

flow_lang_failures
if [ "$WRONG_PIN_RC" -eq 3 ] && grep -qF "wrong token PIN; 2 tries left" "$T/wrong-pin"; then
	ok "C: a wrong token PIN: wrong token PIN; 2 tries left (exit 3)"
else
	not_ok "C: a wrong token PIN: wrong token PIN; 2 tries left (exit 3)"; diag "$T/wrong-pin"
fi
if [ "$WRONG_I_RC" -eq 4 ] && grep -qE "contract PIN \(イ\)" "$T/wrong-i" &&
	grep -qE "[0-9]+ tries left" "$T/wrong-i"; then
	ok "C: a wrong contract PIN (イ) at logon: named, tries left, exit 4"
else
	not_ok "C: a wrong contract PIN (イ) at logon: named, tries left, exit 4"; diag "$T/wrong-i"
fi
