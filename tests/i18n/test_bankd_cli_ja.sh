#!/usr/bin/env bash
# kinko-bankd's and kinko-token-emu's command lines follow the user's language: under
# LANG=ja_JP.UTF-8 the help, init, contract add (its prompts, result and the customer card's
# heading; the digits grid stays as it is), contract show and unlock, an error, serve's start
# line and the emulator's help, start line and errors are Japanese, with the manuals' terms and
# no English sentence; under LANG=C the same commands speak English.
set -u
. "${KINKO_SRCDIR:-.}/tests/lib/i18n.sh"
kit_ja_or_skip_all

. "${KINKO_SRCDIR:-.}/tests/lib/tap.sh"
. "${KINKO_SRCDIR:-.}/tests/lib/bank.sh"
. "${KINKO_SRCDIR:-.}/tests/lib/emu.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-bankd-ja.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do proc_stop "$p"; done
	rm -rf "$T"
}
trap cleanup EXIT

has() { grep -qF -- "$2" "$1"; }
# An English sentence: three lowercase words in a row ("the admin may", "is not locked").
# Command lines of the synopsis (commands and options, the same in every language) are left out.
english() { kit_english_leaks "$1" 3; }
no_english() {
	if english "$1" >/dev/null; then
		english "$1" | head -3 | sed 's/^/# English: /'
		return 1
	fi
	return 0
}
# Short outputs (a result, an error) have no two English words in a row at all.
no_english_words() {
	if kit_english_leaks "$1" 2 >/dev/null; then
		kit_english_leaks "$1" 2 | head -3 | sed 's/^/# English: /'
		return 1
	fi
	return 0
}
# The locale for one command (LC_ALL and LANGUAGE would override LANG). Arrays, not functions:
# "${JA[@]}" cmd & is the command's own pid (env execs it), so kill -TERM reaches it.
JA=(env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=ja_JP.UTF-8)
EN=(env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C)

# serve_briefly LOG TEXT ENV...: kinko-bankd serve of $T/bank under `ENV` (the locale) until its
# stderr in LOG says TEXT (up to 20 s), then SIGTERM, so LOG holds its start and stop lines.
serve_briefly() {
	local log="$1" text="$2"
	shift 2
	local BANK_SERVE_CMD=("$@" "$BANKD" serve)
	bank_serve "$T/bank" "$T/port" "$log"
	PIDS+=("$BANK_SERVE_PID")
	proc_wait_for 20 grep -qF -- "$text" "$log"
	proc_stop "$BANK_SERVE_PID"
}

# Every command on the same fixed day: dates in the answers are known.
export KINKO_BANKD_NOW=2027-12-07
printf 'confirmation_password=passw0rdB\ncontract_pin=1111\ncontract_confirmation_pin=2222\n' >"$T/s"
chmod 600 "$T/s"

# --help
"${JA[@]}" "$BANKD" --help >"$T/help.ja" 2>&1
check_quiet "kinko-bankd --help under ja: 使い方" has "$T/help.ja" "使い方:"
check_quiet "the help names the customer card and the contract PIN (イ) in the manuals' terms" \
	sh -c "grep -qF 'ワンタイムパスワード（お客様カード）' '$T/help.ja' && grep -qF 'ご契約先暗証番号 (イ)' '$T/help.ja' && grep -qF '利用者暗証番号 (ト)' '$T/help.ja'"
check_quiet "the help keeps the commands and options" \
	sh -c "grep -qF -- '--allow-core-dumps' '$T/help.ja' && grep -qF 'kinko-bankd contract add --dir DIR' '$T/help.ja'"
check_quiet "no English sentence in the Japanese help" no_english "$T/help.ja"

# init
"${JA[@]}" "$BANKD" init --dir "$T/bank" --bank-code 0123 >"$T/init.ja" 2>&1
check_quiet "init under ja says the bank was created, with its bank code" \
	has "$T/init.ja" "金庫コード 0123 の銀行を $T/bank に作成しました"
check_quiet "no English in init's result" no_english_words "$T/init.ja"

# contract add, from a secrets file: the customer card
"${JA[@]}" "$BANKD" contract add --dir "$T/bank" --company "ACME" --contract-id 1234567890 \
	--applied 2027-12-01 --secrets-file "$T/s" >"$T/add.ja" 2>"$T/add.err"
check_quiet "contract add's card heading is Japanese: ご契約先 ... のワンタイムパスワード（お客様カード）" \
	has "$T/add.ja" "ご契約先 1234567890（ACME）のワンタイムパスワード（お客様カード）です。"
check_quiet "with the instruction to print it and hand it over" has "$T/add.ja" "表示はこの一度だけです。印刷してお渡しください。"
check_quiet "the digits grid is the same data: a column header and rows A to E of 10 digits" \
	sh -c "grep -qxF '    0 1 2 3 4 5 6 7 8 9' '$T/add.ja' && [ \"\$(grep -cE '^  [A-E]( [0-9]){10}\$' '$T/add.ja')\" = 5 ]"
check_quiet "no English on the card" no_english_words "$T/add.ja"
check_quiet "and nothing on stderr" test ! -s "$T/add.err"

# contract add past day 80: the warning, with a Japanese date
"${JA[@]}" "$BANKD" contract add --dir "$T/bank" --company "Late" --contract-id 1234567891 \
	--applied 2027-09-01 --secrets-file "$T/s" >/dev/null 2>"$T/late.ja"
check_quiet "the admin-window warning is Japanese with Japanese dates (2027年11月20日)" \
	sh -c "grep -qF '警告: ご契約先 1234567891 を登録しましたが' '$T/late.ja' && grep -qF '2027年11月20日' '$T/late.ja' && grep -qF '申込日 2027年9月1日' '$T/late.ja'"
check_quiet "no English in the warning" no_english_words "$T/late.ja"

# contract add on a terminal: the prompts keep the manuals' letters
if command -v python3 >/dev/null; then
	"${JA[@]}" python3 "$DRIVE" "$T/tty.ja" 60 ':\s*\Z' passwB ':\s*\Z' passwB ':\s*\Z' 1111 ':\s*\Z' 1111 \
		':\s*\Z' 2222 ':\s*\Z' 2222 -- "$BANKD" contract add --dir "$T/bank" --company Tty \
		--contract-id 1234567892 --applied 2027-12-01 >/dev/null 2>&1
	check_quiet "on a terminal the prompts are Japanese with the letters: ご契約先暗証番号 (イ), ご契約先確認暗証番号 (ロ)" \
		sh -c "grep -qF 'ご契約先暗証番号 (イ)を入力してください: ' '$T/tty.ja' && grep -qF '確認のため、ご契約先確認暗証番号 (ロ)をもう一度入力してください: ' '$T/tty.ja' && grep -qF '確認用パスワード (B)' '$T/tty.ja'"
else
	skip "on a terminal the prompts are Japanese with the letters" "python3 is needed for a pseudo-terminal"
fi

# contract show, unlock, an error
"${JA[@]}" "$BANKD" contract show --dir "$T/bank" --contract-id 1234567890 >"$T/show.ja" 2>&1
check_quiet "contract show is Japanese: 申込日 in Japanese date style, 状態" \
	sh -c "grep -qF '申込日 2027年12月1日（管理者の電子証明書取得は 2028年2月18日 まで）' '$T/show.ja' && grep -qF '状態 利用可能（暗証番号の誤り 0 回）' '$T/show.ja'"
check_quiet "no English in contract show" no_english_words "$T/show.ja"
"${JA[@]}" "$BANKD" contract unlock --dir "$T/bank" --contract-id 1234567890 >"$T/unlock.ja" 2>&1
check_quiet "contract unlock says what it did in Japanese" \
	has "$T/unlock.ja" "ご契約先 1234567890 はロックされていませんでした。誤り回数は 0 回でした"
"${JA[@]}" "$BANKD" contract unlock --dir "$T/bank" --contract-id 3999999999 >"$T/nf.ja" 2>&1
rc=$?
check_quiet "unlock of an unknown contract: exit 3 (the same in every language)" test "$rc" = 3
check_quiet "and the error is Japanese: ご契約先 3999999999 はありません" \
	has "$T/nf.ja" "kinko-bankd: ご契約先 3999999999 はありません"
check_quiet "no English in the error" no_english_words "$T/nf.ja"

# serve's start line
serve_briefly "$T/serve.ja" "で提供しています" "${JA[@]}"
check_quiet "serve's start line is Japanese: the bank code, the port, the CRL" \
	sh -c "grep -qE '^kinko-bankd: 金庫コード 0123 の銀行を 127\\.0\\.0\\.1 のポート [0-9]+ で提供しています（CRL は https://localhost:[0-9]+/crl。同時接続は最大 [0-9]+）\$' '$T/serve.ja'"
check_quiet "and its stop line: 停止しました" has "$T/serve.ja" "kinko-bankd: 停止しました"
check_quiet "no English in serve's lines" no_english_words "$T/serve.ja"
cp -r "$T/bank" "$T/nocert" && rm "$T/nocert/ca.crt"
"${JA[@]}" "$BANKD" serve --dir "$T/nocert" --listen 127.0.0.1:0 >"$T/nocert.ja" 2>&1
rc=$?
check_quiet "serve without its CA: exit 1 and a Japanese error (から CA を読み込めません)" \
	sh -c "[ $rc = 1 ] && grep -qxF 'kinko-bankd: $T/nocert から CA を読み込めません' '$T/nocert.ja'"

# kinko-token-emu
"${JA[@]}" "$EMU" --help >"$T/emu-help.ja" 2>&1
check_quiet "kinko-token-emu --help under ja: 使い方, トークンのPIN, PUK（ロック解除コード）" \
	sh -c "grep -qF '使い方:' '$T/emu-help.ja' && grep -qF 'トークンのPIN' '$T/emu-help.ja' && grep -qF 'PUK（ロック解除コード）' '$T/emu-help.ja'"
check_quiet "the emulator's options stay in their column" grep -qE '^  --pin-file F +トークンのPIN' "$T/emu-help.ja"
check_quiet "no English sentence in the emulator's Japanese help" no_english "$T/emu-help.ja"
EMU_AS=("${JA[@]}")
emu_init "$T/token" "$T/emu-init.ja" --serial 7
check_quiet "the emulator's --init result is Japanese: シリアル番号 7" has "$T/emu-init.ja" "シリアル番号 7"
emu_serve "$T/token" "$T/token.sock" "$T/emu-serve.ja"
PIDS+=("$EMU_SERVE_PID")
proc_wait_for 20 grep -qF -- "トークン 7" "$T/emu-serve.ja"
proc_stop "$EMU_SERVE_PID"
EMU_AS=()
check_quiet "the emulator's start line is Japanese" \
	has "$T/emu-serve.ja" "kinko-token-emu: トークン 7 を $T/token.sock で提供しています（カードは挿さっています）"
"${JA[@]}" "$EMU" --socket "$T/x.sock" >"$T/emu-err.ja" 2>&1
check_quiet "an emulator error is Japanese: --state FILE が必要です" \
	sh -c "grep -qF 'kinko-token-emu: --state FILE が必要です' '$T/emu-err.ja' && ! grep -qE '[a-z]{2,} [a-z]{2,}' '$T/emu-err.ja'"

# LANG=C: English
"${EN[@]}" "$BANKD" --help >"$T/help.en" 2>&1
check_quiet "under LANG=C the help is English" \
	sh -c "grep -qF 'Usage:' '$T/help.en' && grep -qF 'Exit codes: 0 success' '$T/help.en' && ! grep -qF '使い方' '$T/help.en'"
"${EN[@]}" "$BANKD" contract add --dir "$T/bank" --company "ACME" --contract-id 1234567893 \
	--applied 2027-12-01 --secrets-file "$T/s" >"$T/add.en" 2>&1
check_quiet "under LANG=C the card heading is English" \
	has "$T/add.en" "Customer card of contract 1234567893 (ACME). It is shown only now: print it and hand it over."
"${EN[@]}" "$BANKD" contract show --dir "$T/bank" --contract-id 1234567893 >"$T/show.en" 2>&1
check_quiet "under LANG=C dates are ISO: applied 2027-12-01" has "$T/show.en" "applied 2027-12-01 (admin certificate until 2028-02-18)"
"${EN[@]}" "$BANKD" contract unlock --dir "$T/bank" --contract-id 3999999999 >"$T/nf.en" 2>&1
check_quiet "under LANG=C the error is English" has "$T/nf.en" "kinko-bankd: no contract 3999999999"
serve_briefly "$T/serve.en" "serving on" "${EN[@]}"
check_quiet "under LANG=C serve's start line is English" \
	sh -c "grep -qE '^kinko-bankd: bank 0123 serving on 127\\.0\\.0\\.1 port [0-9]+ ' '$T/serve.en' && grep -qF 'kinko-bankd: stopped' '$T/serve.en'"
"${EN[@]}" "$EMU" --help >"$T/emu-help.en" 2>&1
check_quiet "under LANG=C the emulator's help is English" \
	sh -c "grep -qF 'Provisioning (--init creates a fresh token' '$T/emu-help.en' && ! grep -qF '使い方' '$T/emu-help.en'"

# The plan at the end: the count of the checks above.
plan "$TAP_N"
