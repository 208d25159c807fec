#!/usr/bin/env bash
# kinko-bankd's staff commands: contract add on a terminal (each secret twice, the manuals'
# letters in the prompts, a mismatch asked again up to 3 times), the warning for an application
# date past day 80, the group/other-readable secrets file warning, what contract unlock did,
# --version, and the bounds of serve's counts (--max-connections, --auth-fail-limit).
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 36
TODAY=$(date -u +%F)
KINKO_BANKD_NOW="$TODAY" "$BANKD" init --dir "$BANK" --bank-code "$BANK_CODE" >/dev/null
db() { sqlite3 "$BANK/bank.db" "$1"; }

# tty_add ID ANSWER...: contract add on a pseudo-terminal (tests/lib/pty_drive.py), each
# ANSWER typed after a prompt ending in ": ". The terminal's output in $T/tty, the exit code
# printed.
tty_add() {
	local id="$1" a pairs=()
	shift
	for a in "$@"; do pairs+=(':\s*\Z' "$a"); done
	python3 "$DRIVE" "$T/tty" 60 "${pairs[@]}" -- "$BANKD" contract add --dir "$BANK" \
		--company "Tty K.K." --contract-id "$id" --applied "$(date -u +%F)"
	echo $?
}

if ! command -v python3 >/dev/null; then
	for _ in $(seq 9); do skip "contract add on a terminal" "python3 is needed for a pseudo-terminal"; done
else
	check_quiet "on a terminal, contract add asks each secret twice and adds the contract" \
		equals "$(tty_add 3000000001 passwB passwB 1111 1111 2222 2222)" 0
	check_quiet "the prompts name B, イ and ロ in the manuals' terms" \
		sh -c "grep -qF '(B)' '$T/tty' && grep -qF 'contract PIN (イ)' '$T/tty' && grep -qF 'contract confirmation PIN (ロ)' '$T/tty'"
	check_quiet "no prompt says (i) or (ro)" sh -c "! grep -qE '\\((i|ro)\\)' '$T/tty'"
	check_quiet "each secret is asked a second time" equals "$(grep -o 'again' "$T/tty" | wc -l)" 3
	check_quiet "the customer card is printed" contains "$T/tty" "Customer card of contract 3000000001"
	check_quiet "a mismatch is said and asked again, then the contract is added" \
		sh -c "[ \"\$1\" = 0 ] && grep -qF 'do not match' '$T/tty'" _ \
		"$(tty_add 3000000002 passwB passwB 1111 1112 1111 1111 2222 2222)"
	check_quiet "a secret too short is said at once and asked again" \
		sh -c "[ \"\$1\" = 0 ] && grep -qF '4-64 printable' '$T/tty'" _ \
		"$(tty_add 3000000004 passwB passwB 11 11 1111 1111 2222 2222)"
	check_quiet "three mismatches give up with exit 2" \
		equals "$(tty_add 3000000003 passwB passwB 1111 1112 1111 1113 1111 1114)" 2
	check_quiet "and add nothing" sh -c "! '$BANKD' contract show --dir '$BANK' --contract-id 3000000003"
fi

# The application date and the admin's 80-day window.
OLD=$(day_plus "$TODAY" -80)
printf 'confirmation_password=passw0rdB\ncontract_pin=1111\ncontract_confirmation_pin=2222\n' > "$T/s"
chmod 600 "$T/s"
check_quiet "a contract applied 80 days ago (today is day 81) is still added" \
	sh -c "KINKO_BANKD_NOW='$TODAY' '$BANKD' contract add --dir '$BANK' --company Late --contract-id 3000000010 --applied '$OLD' --secrets-file '$T/s' >/dev/null 2>'$T/err'"
check_quiet "with a warning that the admin window closed and from when" \
	sh -c "grep -qF 'warning' '$T/err' && grep -qF 'closed' '$T/err' && grep -qF \"since $(day_plus "$OLD" 80)\" '$T/err'"
check_quiet "applied 79 days ago (today is day 80): no warning" \
	sh -c "KINKO_BANKD_NOW='$TODAY' '$BANKD' contract add --dir '$BANK' --company OnTime --contract-id 3000000011 --applied '$(day_plus "$TODAY" -79)' --secrets-file '$T/s' >/dev/null 2>'$T/err' && ! [ -s '$T/err' ]"

# A secrets file others can read.
cp "$T/s" "$T/s644"
chmod 644 "$T/s644"
check_quiet "a secrets file readable by group or others still works" \
	sh -c "'$BANKD' contract add --dir '$BANK' --company Open --contract-id 3000000012 --applied '$TODAY' --secrets-file '$T/s644' >/dev/null 2>'$T/err'"
check_quiet "with a warning naming the file and chmod 600" \
	sh -c "grep -qF 'warning' '$T/err' && grep -qF '$T/s644' '$T/err' && grep -qF 'chmod 600' '$T/err'"
chmod 640 "$T/s644"
check_quiet "group-readable alone is warned about too" \
	sh -c "'$BANKD' contract add --dir '$BANK' --company Open2 --contract-id 3000000013 --applied '$TODAY' --secrets-file '$T/s644' >/dev/null 2>'$T/err' && grep -qF 'chmod 600' '$T/err'"
check_quiet "a 0600 secrets file gets no warning" \
	sh -c "'$BANKD' contract add --dir '$BANK' --company Closed --contract-id 3000000014 --applied '$TODAY' --secrets-file '$T/s' >/dev/null 2>'$T/err' && ! [ -s '$T/err' ]"

# contract unlock says what it did.
unlock_out() { "$BANKD" contract unlock --dir "$BANK" "$@" 2>&1; }
check_quiet "unlock of a contract that was not locked says so" \
	contains <(unlock_out --contract-id 3000000010) "contract 3000000010 was not locked"
db "UPDATE contract SET failures = 5 WHERE contract_id = '3000000010'"
unlock_out --contract-id 3000000010 > "$T/unlock"
check_quiet "unlock of a locked contract says the counter was 5, now 0" \
	contains "$T/unlock" "contract 3000000010 unlocked: failure counter was 5, now 0"
check_quiet "and the counter is 0" equals "$(db "SELECT failures FROM contract WHERE contract_id = '3000000010'")" 0
db "UPDATE contract SET failures = 3 WHERE contract_id = '3000000010'"
check_quiet "unlock with 3 wrong answers counted: not locked, counter was 3, now 0" \
	contains <(unlock_out --contract-id 3000000010) "contract 3000000010 was not locked: failure counter was 3, now 0"
db "INSERT INTO user (contract_id, user_id, pin, conf_pin, failures) VALUES ('3000000010', 'taro', x'00', x'00', 5)"
check_quiet "unlock of a locked user names the user" \
	contains <(unlock_out --contract-id 3000000010 --user-id taro) "user taro of contract 3000000010 unlocked: failure counter was 5, now 0"
check_quiet "unlock of an unknown contract is exit 3" \
	sh -c "'$BANKD' contract unlock --dir '$BANK' --contract-id 3999999999 2>/dev/null; [ \$? = 3 ]"

# --version.
VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "${KINKO_BUILDDIR:-.}/Makefile")
check_quiet "--version prints kinko-bankd and the package version" equals "$("$BANKD" --version)" "kinko-bankd $VERSION"
check_quiet "version (the command) prints the same" equals "$("$BANKD" version)" "kinko-bankd $VERSION"
check_quiet "--version exits 0" "$BANKD" --version
check_quiet "the usage mentions --version" sh -c "'$BANKD' --help | grep -qF -- '--version'"

# serve's counts: decimal digits only, within bounds; a refusal is a usage error (2) that says
# the range. An accepted count gets as far as the bank directory (here missing: exit 1).
serve_count() {
	"$BANKD" serve --dir "$T/no-such-bank" --listen 127.0.0.1:0 "$1" "$2" >"$T/count.out" 2>&1
	echo $?
}
for v in 0 05 1048577 12x; do
	check_quiet "serve refuses --max-connections $v (2, the range said)" sh -c \
		"[ \"\$1\" = 2 ] && grep -qF -- '--max-connections wants 1 to 1048576' '$T/count.out'" _ \
		"$(serve_count --max-connections "$v")"
done
for v in -1 1000001; do
	check_quiet "serve refuses --auth-fail-limit $v (2, the range said)" sh -c \
		"[ \"\$1\" = 2 ] && grep -qF -- '--auth-fail-limit wants 0 to 1000000' '$T/count.out'" _ \
		"$(serve_count --auth-fail-limit "$v")"
done
check_quiet "serve accepts --max-connections 1048576 (fails later, on the directory)" sh -c \
	"[ \"\$1\" = 1 ] && ! grep -qF wants '$T/count.out'" _ "$(serve_count --max-connections 1048576)"
check_quiet "serve accepts --auth-fail-limit 0 (fails later, on the directory)" sh -c \
	"[ \"\$1\" = 1 ] && ! grep -qF wants '$T/count.out'" _ "$(serve_count --auth-fail-limit 0)"

# The typed secrets are the contract's: the admin enrolls with them.
if command -v python3 >/dev/null; then
	start_server
	csr_ec tty
	check_quiet "the secrets typed on the terminal enroll the admin (200)" equals "$(enroll 3000000002 1111 2222 "$T/tty.csr")" 200
	stop_and_check
else
	skip "the secrets typed on the terminal enroll the admin" "python3 is needed for a pseudo-terminal"
	skip "SIGTERM stops the server" "python3 is needed for a pseudo-terminal"
fi
