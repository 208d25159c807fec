# shellcheck shell=bash
# The seed flow of the manuals (tests/cli/flow.sh: admin enrollment, logon with the customer
# card, user registration and issuance, logoff, user enrollment, user logon) under one
# language, every line kinko printed kept in $T/flow.log; then a wrong token PIN, a wrong
# contract PIN (イ) and their --json. Sourced by test_flow_ja.sh (FLOW_LANG=ja) and
# test_flow_c.sh (FLOW_LANG=c), which assert what a reader of that language must see.
CLI_TMP_PREFIX=kinko-i18n-flow
. "${KINKO_SRCDIR:?}/tests/cli/cli_lib.sh"
. "$KINKO_SRCDIR/tests/cli/flow.sh"
if [ "$FLOW_LANG" = ja ]; then
	kit_ja_or_skip_all
	export LANG=ja_JP.UTF-8
else
	export LANG=C
fi
unset LC_ALL LC_MESSAGES LANGUAGE
need_p11tool_on_kinko
need sqlite3
[ -x "$KINKO" ] || bail "$KINKO not built"

# Every kinko run of the flow, as the user read it (stderr: prompts' answers come from the
# secrets file, progress and errors; stdout: the results).
run() {
	"$@" >"$T/stdout" 2>"$T/stderr"
	RC=$?
	cat "$T/stdout" "$T/stderr" >"$T/out"
	cat "$T/stderr" "$T/stdout" >>"$T/flow.log"
}

# flow_lang_failures: a wrong token PIN (user), a wrong contract PIN (イ) at the admin's logon,
# each also with --json; their outputs in $T/wrong-pin{,.json}, $T/wrong-i{,.json}.
flow_lang_failures() {
	secrets_write "$T/bad-token" "token_pin=99990000"
	k_user --secrets-file "$T/bad-token" pin check >"$T/wrong-pin" 2>&1
	WRONG_PIN_RC=$?
	k_user --secrets-file "$T/bad-token" --json pin check >"$T/wrong-pin.json" 2>/dev/null
	WRONG_PIN_JSON_RC=$?
	k_user pin check >/dev/null 2>&1   # the right PIN: the tries back to 3
	secrets_write "$T/bad-i" "token_pin=$TOKEN_PIN" "contract_pin=1111" "card_file=$CARD"
	k_admin --secrets-file "$T/bad-i" logon "${BANK_OPTS[@]}" >"$T/wrong-i" 2>&1
	WRONG_I_RC=$?
	k_admin --secrets-file "$T/bad-i" --json logon "${BANK_OPTS[@]}" >"$T/wrong-i.json" 2>/dev/null
	WRONG_I_JSON_RC=$?
}

# json_field FILE KEY: the error object's KEY (jq), "" when absent.
json_field() { jq -r ".error.$2 // empty" "$1" 2>/dev/null; }

# json_shape FILE: the error object's keys, sorted, with its code and the exit: what must not
# change with the language.
json_shape() { jq -c '[(.error | keys), .error.code, .exit]' "$1" 2>/dev/null; }

# flow_lang_json_same NAME FILE CMD...: CMD's --json answer under LANG=C has the same keys, code
# and exit as FILE's (the run under this test's language).
flow_lang_json_same() {
	local name=$1 file=$2
	shift 2
	LANG=C "$@" >"$T/c.json" 2>/dev/null
	local a b
	a=$(json_shape "$file")
	b=$(json_shape "$T/c.json")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		ok "$name"
	else
		not_ok "$name"; echo "# $FLOW_LANG: $a"; echo "# C:  $b"
	fi
}
