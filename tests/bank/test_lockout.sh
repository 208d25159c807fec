#!/usr/bin/env bash
# kinko-bankd lockout, driven by curl: every evaluated wrong answer (contract PIN イ, card digits,
# confirmation PINs ロ/チ, user PIN ト) counts, a right answer resets the counter only when it
# completes the credential, the answers name the wrong secret and the tries left, and parallel
# clients (on one server and on two servers sharing the bank directory) get at most 5 evaluated
# wrong answers in total.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"
# Every guess here comes from 127.0.0.1: the per-address limit (test_server_ratelimit.sh) is
# off, so the per-credential counters are what is tested.
export KINKO_BANKD_AUTH_FAIL_LIMIT=0

plan 64
APPLIED=$(date -u -d '-10 days' +%F)
admin_bank "$APPLIED"

db() { sqlite3 "$BANK/bank.db" "$1"; }
cfail() { db "SELECT failures FROM contract WHERE contract_id = '${1:-$CONTRACT}'"; }
ufail() { db "SELECT failures FROM user WHERE contract_id = '$CONTRACT' AND user_id = '$1'"; }
unlock() { "$BANKD" contract unlock --dir "$BANK" --contract-id "$@" >/dev/null; }
pin_wrong() { http POST /api/logon "${A[@]}" -d '{"pin":"0000"}'; }
# The right PIN; positions in $T/pos, the logon ID in $T/lid. Prints the PIN step's status.
pin_right() {
	local code
	code=$(http POST /api/logon "${A[@]}" -d "{\"pin\":\"$PIN\"}")
	json_get logon_id > "$T/lid"
	sed -n 's/.*"positions":\["\(..\)","\(..\)"\].*/\1 \2/p' "$T/out" > "$T/pos"
	echo "$code"
}
# digits GOOD|BAD: the OTP step of the logon pin_right started.
digits() {
	local good d
	good=$(card_digits "$T/card" "$(cat "$T/pos")")
	d=$good
	[ "$1" = BAD ] && d=$(printf '%02d' $(( (10#$good + 1) % 100 )))
	http POST /api/logon/otp "${A[@]}" -c "$JAR" -d "{\"logon_id\":\"$(cat "$T/lid")\",\"digits\":\"$d\"}"
}
# The right PIN then wrong card digits: the OTP step's status, or "pin:CODE".
otp_wrong() {
	local code
	code=$(pin_right)
	[ "$code" = 200 ] || { echo "pin:$code"; return; }
	digits BAD
}
run() { local out="" c; for c in "$@"; do out="$out $($c)"; done; echo "${out# }"; }

# Right イ, wrong card digits, five times: the fifth wrong answer locks.
check_quiet "right PIN + wrong card digits: four answers are 401" equals "$(run otp_wrong otp_wrong otp_wrong otp_wrong)" "401 401 401 401"
check_quiet "the counter holds the four wrong card digits" equals "$(cfail)" 4
check_quiet "the 401 names the card digits" contains "$T/out" '"secret":"card_digits"'
check_quiet "the 401 says 1 try left (singular), in the JSON and the sentence" \
	sh -c "grep -qF '\"tries_left\":1' '$T/out' && grep -qF '1 try left' '$T/out' && ! grep -qF '1 tries' '$T/out'"
check_quiet "the fifth wrong card digits lock the contract (403)" equals "$(otp_wrong)" 403
check_quiet "the locking answer says locked and names the card digits" \
	sh -c "grep -qF '\"locked\":true' '$T/out' && grep -qF '\"secret\":\"card_digits\"' '$T/out' && grep -qF '\"tries_left\":0' '$T/out'"
check_quiet "the counter is 5" equals "$(cfail)" 5
check_quiet "a sixth logon with everything right is refused as locked (403)" equals "$(logon_admin "$T/admin.crt" "$T/admin.key" "$T/card" "$PIN")" 403
check_quiet "that refusal says locked without naming a secret" \
	sh -c "grep -qF '\"locked\":true' '$T/out' && ! grep -qF '\"secret\"' '$T/out'"
check_quiet "a refusal while locked evaluates nothing (counter still 5)" equals "$(cfail)" 5

# Interleavings of wrong PINs and right PINs with wrong card digits lock at the fifth wrong answer.
unlock "$CONTRACT"
check_quiet "wrong PIN, right PIN + wrong digits, ...: locked at the fifth wrong answer" \
	equals "$(run pin_wrong otp_wrong pin_wrong otp_wrong pin_wrong)" "401 401 401 401 403"
check_quiet "the counter is 5 after that interleaving" equals "$(cfail)" 5
unlock "$CONTRACT"
check_quiet "right PIN + wrong digits twice, wrong PIN twice, right PIN + wrong digits: locked at the fifth" \
	equals "$(run otp_wrong otp_wrong pin_wrong pin_wrong otp_wrong)" "401 401 401 401 403"
check_quiet "the counter is 5 after the second interleaving" equals "$(cfail)" 5
unlock "$CONTRACT"
check_quiet "wrong PIN" equals "$(pin_wrong)" 401
check_quiet "a wrong PIN names the contract PIN (イ) and 4 tries left" \
	sh -c "grep -qF '\"secret\":\"contract_pin\"' '$T/out' && grep -qF '\"tries_left\":4' '$T/out' && grep -qF 'wrong contract PIN (イ); 4 tries left' '$T/out'"
check_quiet "three more wrong answers of both kinds" equals "$(run otp_wrong pin_wrong otp_wrong)" "401 401 401"
check_quiet "the right PIN after 4 wrong answers asks for the card (200)" equals "$(pin_right)" 200
check_quiet "a right PIN alone only undoes its own count (still 4)" equals "$(cfail)" 4
check_quiet "the right card digits complete the logon (200)" equals "$(digits GOOD)" 200
check_quiet "a complete logon resets the counter to 0" equals "$(cfail)" 0

# Admin operations taking ロ.
http POST /api/admin/users "${A[@]}" -b "$JAR" -d '{"user_id":"taro","user_pin":"3333","user_confirmation_pin":"4444"}' >/dev/null
op() { http POST "/api/admin/users/taro/$1" "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$2\"}"; }
check_quiet "issuing with a wrong ロ is 401" equals "$(op issue 9999)" 401
check_quiet "the 401 names the contract confirmation PIN (ロ) and 4 tries left" \
	sh -c "grep -qF '\"secret\":\"contract_confirmation_pin\"' '$T/out' && grep -qF '\"tries_left\":4' '$T/out' && grep -qF 'wrong contract confirmation PIN (ロ); 4 tries left' '$T/out'"
check_quiet "the wrong ロ is counted" equals "$(cfail)" 1
check_quiet "issuing with the right ロ is 200" equals "$(op issue "$CONF")" 200
check_quiet "an admin operation's right ロ resets the counter" equals "$(cfail)" 0
check_quiet "revoke and issue with a wrong ロ, four times: 401" \
	equals "$(op revoke 9999) $(op issue 9999) $(op revoke 9999) $(op issue 9999)" "401 401 401 401"
check_quiet "the fourth says 1 try left" contains "$T/out" "1 try left"
check_quiet "the fifth wrong ロ locks the contract (403)" equals "$(op revoke 9999)" 403
check_quiet "the counter is 5 after five wrong ロ" equals "$(cfail)" 5
check_quiet "with the contract locked, the right ロ is refused (403)" equals "$(op issue "$CONF")" 403
unlock "$CONTRACT"

# EST: the user's ト right and チ wrong.
csr_ec taro
check_quiet "user EST with ト right and チ wrong is 401" equals "$(enroll "$CONTRACT/taro" 3333 9999 "$T/taro.csr")" 401
check_quiet "the 401 names the user confirmation PIN in Kinko-Wrong-Secret" contains "$T/hdr" "Kinko-Wrong-Secret: user_confirmation_pin"
check_quiet "Kinko-Tries-Left: 4" contains "$T/hdr" "Kinko-Tries-Left: 4"
check_quiet "the sentence names チ" contains "$T/out" "wrong user confirmation PIN (チ); 4 tries left"
check_quiet "user EST with both wrong names both" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'Kinko-Wrong-Secret: user_pin,user_confirmation_pin' '$T/hdr'" _ "$(enroll "$CONTRACT/taro" 0000 9999 "$T/taro.csr")"
check_quiet "two more wrong チ are 401, the last says 1 try left" \
	sh -c "[ \"\$1\" = '401 401' ] && grep -qF 'Kinko-Tries-Left: 1' '$T/hdr' && grep -qF '1 try left' '$T/out'" _ \
	"$(enroll "$CONTRACT/taro" 3333 9999 "$T/taro.csr") $(enroll "$CONTRACT/taro" 3333 9999 "$T/taro.csr")"
check_quiet "the fifth wrong answer locks the user (403)" equals "$(enroll "$CONTRACT/taro" 3333 9999 "$T/taro.csr")" 403
check_quiet "the lock says Kinko-Locked: user" contains "$T/hdr" "Kinko-Locked: user"
check_quiet "the user's counter is 5, the contract's 0" equals "$(ufail taro) $(cfail)" "5 0"
check_quiet "the locked user is refused with the right PINs (403)" equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/taro.csr")" 403

# EST: the admin's イ right and ロ wrong, on a second contract.
C2=2000000001
add_contract "$C2" "$APPLIED" auto 5555 6666 "$T/card2"
csr_ec admin2
check_quiet "admin EST with イ right and ロ wrong is 401" equals "$(enroll "$C2" 5555 9999 "$T/admin2.csr")" 401
check_quiet "Kinko-Wrong-Secret: contract_confirmation_pin, Kinko-Tries-Left: 4" \
	sh -c "grep -qF 'Kinko-Wrong-Secret: contract_confirmation_pin' '$T/hdr' && grep -qF 'Kinko-Tries-Left: 4' '$T/hdr'"
check_quiet "the EST 401 still carries WWW-Authenticate Basic" contains "$T/hdr" 'WWW-Authenticate: Basic realm="kinko-bankd"'
check_quiet "admin EST with both wrong is 401 naming both" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'Kinko-Wrong-Secret: contract_pin,contract_confirmation_pin' '$T/hdr' && grep -qF 'Kinko-Tries-Left: 3' '$T/hdr'" _ "$(enroll "$C2" 0000 9999 "$T/admin2.csr")"
check_quiet "admin EST with イ wrong only names contract_pin" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'Kinko-Wrong-Secret: contract_pin' '$T/hdr' && ! grep -qF 'contract_pin,' '$T/hdr'" _ "$(enroll "$C2" 0000 6666 "$T/admin2.csr")"
check_quiet "a fourth wrong ロ is 401 with 1 try left" \
	sh -c "[ \"\$1\" = 401 ] && grep -qF 'Kinko-Tries-Left: 1' '$T/hdr' && grep -qF 'wrong contract confirmation PIN (ロ); 1 try left' '$T/out'" _ "$(enroll "$C2" 5555 9999 "$T/admin2.csr")"
check_quiet "the fifth wrong answer (イ right, ロ wrong) locks the contract (403)" equals "$(enroll "$C2" 5555 9999 "$T/admin2.csr")" 403
check_quiet "the lock says Kinko-Locked: contract" contains "$T/hdr" "Kinko-Locked: contract"
check_quiet "the counter is 5" equals "$(cfail "$C2")" 5
check_quiet "the right イ and ロ are refused while locked (403)" equals "$(enroll "$C2" 5555 6666 "$T/admin2.csr")" 403
unlock "$C2"
check_quiet "contract 2: after unlock the right secrets enroll (200)" equals "$(enroll "$C2" 5555 6666 "$T/admin2.csr")" 200
certs_of "$T/out" "$T/admin2.crt"
check_quiet "a complete enrollment leaves the counter at 0" equals "$(cfail "$C2")" 0

# Parallel guessing: 20 clients, 100 wrong guesses of one contract's PIN, on one server, then on
# two servers serving the same bank directory. Evaluated answers name a secret.
guess_all() { # CONTRACT-ID URL...
	local id="$1"
	shift
	local i urls=("$@")
	for i in $(seq 100); do echo "${urls[$((i % ${#urls[@]}))]}"; done |
		xargs -P 20 -I{} curl -s --cacert "$BANK/ca.crt" -o /dev/null \
			-w '%{http_code} %header{kinko-wrong-secret}\n' -u "$id:0000" \
			-H 'Kinko-Confirmation-PIN: 0000' -H 'Content-Type: application/pkcs10' \
			--data-binary @"$T/admin.csr" "{}/.well-known/est/simpleenroll" > "$T/guesses"
}
C3=2000000002
add_contract "$C3" "$APPLIED" auto 7777 8888 "$T/card3"
guess_all "$C3" "$URL"
check_quiet "one server, 20 parallel clients: 100 answers, all 401 or 403" \
	equals "$(grep -cE '^(401|403) ' "$T/guesses")" 100
check_quiet "one server: exactly 5 guesses evaluated (4 x 401, 1 x 403 naming the secret)" \
	equals "$(grep -c '^401 contract_pin' "$T/guesses") $(grep -c '^403 contract_pin' "$T/guesses")" "4 1"
check_quiet "one server: the counter is 5" equals "$(cfail "$C3")" 5

C4=2000000003
add_contract "$C4" "$APPLIED" auto 7777 8888 "$T/card4"
URL1=$URL
bank_serve "$BANK" "$T/port2" "$T/server2.log"
SRV2_PID=$BANK_SERVE_PID
URL2="https://localhost:$(cat "$T/port2")"
guess_all "$C4" "$URL1" "$URL2"
# 40 logons of contract 2's admin, 20 at a time over both servers: the right PIN (which takes
# back its own count) then wrong card digits (which count).
logon_guess() { # URL N
	local d="$T/lg.$2" code lid pos good
	code=$(curl -s --cacert "$BANK/ca.crt" --cert "$T/admin2.crt" --key "$T/admin2.key" -o "$d.pin" \
		-w '%{http_code}' -d '{"pin":"5555"}' "$1/api/logon")
	[ "$code" = 200 ] || return 0
	lid=$(sed -n 's/.*"logon_id":"\([^"]*\)".*/\1/p' "$d.pin")
	pos=$(sed -n 's/.*"positions":\["\(..\)","\(..\)"\].*/\1 \2/p' "$d.pin")
	good=$(card_digits "$T/card2" "$pos")
	curl -s --cacert "$BANK/ca.crt" --cert "$T/admin2.crt" --key "$T/admin2.key" -o "$d.otp" \
		-d "{\"logon_id\":\"$lid\",\"digits\":\"$(printf '%02d' $(( (10#$good + 1) % 100 )))\"}" \
		"$1/api/logon/otp"
}
export -f logon_guess card_digits
export T BANK
for i in $(seq 40); do [ $((i % 2)) = 0 ] && echo "$URL1 $i" || echo "$URL2 $i"; done |
	xargs -P 20 -L 1 bash -c 'logon_guess "$@"' _
EVALUATED=$(cat "$T"/lg.*.otp 2>/dev/null | grep -o '"secret":"card_digits"' | wc -l)
echo "# $(ls "$T"/lg.*.pin | wc -l) PIN steps, $(ls "$T"/lg.*.otp 2>/dev/null | wc -l) card-digit steps, $EVALUATED evaluated wrong"
check_quiet "two servers, 20 parallel logons with right PIN + wrong card digits: 1 to 5 wrong answers evaluated" \
	test "$EVALUATED" -ge 1 -a "$EVALUATED" -le 5
check_quiet "the counter is the number of evaluated wrong card digits (right PINs took back only their own)" \
	equals "$(cfail "$C2")" "$EVALUATED"
proc_stop "$SRV2_PID"
check_quiet "two servers on one directory: 100 answers, all 401 or 403" \
	equals "$(grep -cE '^(401|403) ' "$T/guesses")" 100
check_quiet "two servers: exactly 5 guesses evaluated (4 x 401, 1 x 403 naming the secret)" \
	equals "$(grep -c '^401 contract_pin' "$T/guesses") $(grep -c '^403 contract_pin' "$T/guesses")" "4 1"
check_quiet "two servers: no more than 4 answers are 401 (no lost update)" test "$(grep -c '^401' "$T/guesses")" -le 4
check_quiet "two servers: the counter is 5" equals "$(cfail "$C4")" 5
check_quiet "both servers answered" \
	sh -c "grep -q 'simpleenroll 40[13]' '$T/server.log' && grep -q 'simpleenroll 40[13]' '$T/server2.log'"
stop_and_check
