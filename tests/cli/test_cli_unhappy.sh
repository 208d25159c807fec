#!/usr/bin/env bash
# The unhappy paths of the seed flow from a user's point of view, on kinko's module and
# emulated tokens: each asserts kinko's message and exit code, and that the token and the bank
# are as they were (no new key, no certificate issued, superseded or revoked). The token
# pulled out during key generation is test_cli_removal.sh.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/flow.sh"
need_p11tool_on_kinko
need sqlite3
need openssl
need jq
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 38
C2=2222222222    # a second contract of the main bank, never enrolled
TODAY=$(date -u +%F)

tokens_backend kinko
for n in admin user late full; do token_new "$n"; done
bank_main_serve "$C2"
# as_admin NAME ARGS...: kinko on NAME's token with the admin's credentials (a fresh token of
# the admin's: the late bank's, the full one, the one removed).
as_admin() { KINKO_SECRETS="$T/secrets-admin" kinko_as "$@"; }
# same_token NAME BEFORE-FILE: the token's objects (logged in) are those of BEFORE-FILE.
same_token() { token_objects "$1" >"$T/after.$1"; check_same "$2" "$T/before.$1" "$T/after.$1"; }
same_token_public() { token_objects_public "$1" >"$T/after.$1"; check_same "$2" "$T/before.$1" "$T/after.$1"; }
same_bank() { bank_snapshot "$1" >"$T/after.bank-$1"; check_same "$2" "$T/before.bank-$1" "$T/after.bank-$1"; }
snap_token() { token_objects "$1" >"$T/before.$1"; }
snap_bank() { bank_snapshot "$1" >"$T/before.bank-$1"; }
# with_secrets FILE key=value...: the admin's secrets with some values replaced.
with_secrets() {
	local f="$1" kv
	shift
	cp "$T/secrets-admin" "$f"
	for kv in "$@"; do sed -i "s|^${kv%%=*}=.*|$kv|" "$f"; done
}

# --- setup: the admin's certificate (the state the wrong-PIN cases must leave alone) ---
run k_admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT"
check_ok_out "setup: the admin enrolls" "$CN"
token_objects_public admin >"$T/before.admin"
snap_bank main

# --- wrong token PIN, tries shown ---
with_secrets "$T/s-wrongpin" token_pin=11119999
KINKO_SECRETS="$T/s-wrongpin" run k_admin logon "${BANK_OPTS[@]}"
# kinko's module counts the tries exactly (its vendor PIN counters): 2 of 3 left.
check_rc_out "wrong token PIN: exit 3, the tries left shown (2)" 3 "wrong token PIN" "2 tries left"
same_token_public admin "wrong token PIN: the token's objects are unchanged"
same_bank main "wrong token PIN: the bank is unchanged"

# --- locked token, then PUK unblock ---
KINKO_SECRETS="$T/s-wrongpin" run k_admin logon "${BANK_OPTS[@]}"
check_rc_out "second wrong token PIN: exit 3, \"1 try left\"" 3 "wrong token PIN" "1 try left"
KINKO_SECRETS="$T/s-wrongpin" run k_admin logon "${BANK_OPTS[@]}"
check_rc_out "third wrong token PIN: exit 3, the token PIN is locked" 3 "locked"
run k_admin logon "${BANK_OPTS[@]}"
check_rc_out "a locked PIN stays locked even when right: exit 3, PUK named" 3 "locked" "PUK"
run k_admin pin unblock
check_ok_out "kinko pin unblock with the PUK sets a new PIN"
run k_admin logon "${BANK_OPTS[@]}"
check_ok_out "after the unblock the admin logs on again" "$CONTRACT"
run k_admin logoff "${BANK_OPTS[@]}"
same_token_public admin "locked and unblocked: the token's objects are unchanged"
same_bank main "locked and unblocked: the bank's certificates are unchanged"

# --- wrong bank PIN (イ) ---
with_secrets "$T/s-wrongbank" contract_pin=9999
snap_bank main
KINKO_SECRETS="$T/s-wrongbank" run k_admin logon "${BANK_OPTS[@]}"
check_rc_out "wrong contract PIN: exit 4, the secret named (イ) with the tries left" 4 \
	"the bank refused the contract PIN (イ): 4 tries left"
same_token_public admin "wrong contract PIN: the token's objects are unchanged"
same_bank main "wrong contract PIN: the bank's certificates are unchanged"
if [ "$(bank_failures main)" = 1 ]; then ok "wrong contract PIN: the bank counted one wrong answer"
else not_ok "wrong contract PIN: the bank counted one wrong answer"; echo "# failures: $(bank_failures main)"; fi

# --- wrong card digits until one try is left: the card digits named, "1 try left" (singular) ---
# A card whose digits are all wrong (each digit of the real card plus one), then --json.
awk '$1 ~ /^[A-E]$/ && NF == 11 { printf "  %s", $1; for (i = 2; i <= NF; i++) printf " %d", ($i + 1) % 10; print ""; next } { print }' \
	"$CARD" >"$T/wrong-card.txt"
with_secrets "$T/s-wrongcard" "card_file=$T/wrong-card.txt"
for _ in 1 2; do KINKO_SECRETS="$T/s-wrongcard" run k_admin logon "${BANK_OPTS[@]}"; done
check_rc_out "wrong card digits: exit 4, the card digits named with the tries left" 4 \
	"the bank refused the customer card digits: 2 tries left"
KINKO_SECRETS="$T/s-wrongcard" run k_admin --json logon "${BANK_OPTS[@]}"
if [ "$RC" -eq 4 ] && grep -q "the bank refused the customer card digits: 1 try left" "$T/stderr" &&
	jq -e '.exit == 4 and .error.secret == "card_digits" and .error.tries_left == 1' "$T/stdout" >/dev/null 2>&1; then
	ok "one try left: \"1 try left\" in the singular; --json has the secret and tries_left"
else not_ok "one try left: \"1 try left\" in the singular; --json has the secret and tries_left"; diag "$T/out"; fi
# The right logon resets the counter for what follows.
run k_admin logon "${BANK_OPTS[@]}"
check_ok_out "after wrong card digits, the right ones log on (the counter starts again)" "$CONTRACT"
run k_admin logoff "${BANK_OPTS[@]}"

# --- window expired: the bank's clock on day 81 of the application ---
bank_new late
bank_contract late "$CONTRACT" "$TODAY"
bank_start late "$(date -u -d "$TODAY + 80 days" +%F)"
snap_token late
snap_bank late
run as_admin late enroll --bank "$(bank_url late)" --cacert "$(bank_ca late)" --admin --contract-id "$CONTRACT"
check_rc_out "enrollment on day 81: exit 4, \"within 80 days\", the new key removed" 4 "the bank refused" \
	"within 80 days" "the new key was removed from the token"
same_token late "enrollment on day 81: the generated key was removed, the token is as it was"
same_bank late "enrollment on day 81: the bank issued nothing"

# --- user enrolling before the admin issued a certificate to the user ---
run k_admin logon "${BANK_OPTS[@]}"
check_ok_out "admin logon (customer card) for the user's registration" "$CONTRACT"
run k_admin admin user add "$USER_ID" "${BANK_OPTS[@]}"
check_ok_out "the admin registers $USER_ID but does not issue"
run k_admin logoff "${BANK_OPTS[@]}"
check_ok_out "admin logoff"
snap_token user
snap_bank main
run k_user enroll "${BANK_OPTS[@]}" --user "$USER_ID" --contract-id "$CONTRACT"
check_rc_out "user enrolling before issuance: exit 4, \"has not issued a certificate\"" 4 \
	"has not issued a certificate to this user" "the new key was removed from the token"
same_token user "user enrolling before issuance: the user's token is unchanged"
same_bank main "user enrolling before issuance: the bank is unchanged"

# --- the bank unreachable (the late bank stopped: nothing listens on its port) ---
bank_stop late
run k_user enroll --bank "$(bank_url late)" --cacert "$(bank_ca late)" --user "$USER_ID" --contract-id "$CONTRACT"
check_rc_out "bank unreachable: exit 5, the bank named" 5 "cannot reach the bank at $(bank_url late)"
same_token user "bank unreachable: the user's token is unchanged"

# --- certificates from another CA ---
# (1) another bank (its own CA and TLS certificate) while kinko trusts the main bank's CA:
#     the TLS handshake is refused before any credential is sent.
bank_new other
bank_contract other
bank_start other
snap_bank other
run as_admin late enroll --bank "$(bank_url other)" --cacert "$BANK_CA" --admin --contract-id "$CONTRACT"
check_rc_out "a bank whose TLS certificate is from another CA: exit 6, refused at TLS" 6 \
	"TLS certificate is not from the CA"
if [ "$(bank_snapshot other)" = "$(cat "$T/before.bank-other")" ]; then
	ok "another CA at TLS: that bank issued nothing (no credentials reached it)"
else not_ok "another CA at TLS: that bank issued nothing (no credentials reached it)"; fi
# (2) the same bank presenting the main bank's TLS certificate, so TLS passes, but issuing
#     from its own CA: kinko's check of the returned certificate refuses it.
bank_stop other
cp "$(bank_dir main)/server.crt" "$(bank_dir main)/server.key" "$(bank_dir other)/"
bank_start other
run as_admin late enroll --bank "$(bank_url other)" --cacert "$BANK_CA" --admin --contract-id "$CONTRACT"
check_rc_out "a certificate issued by another CA: exit 6, not issued by the bank's CA" 6 \
	"not issued by the bank's CA" "the new key was removed from the token"
same_token late "another CA: the new key was removed, the token is as it was"
same_bank main "another CA: the main bank is unchanged"

# --- token full: every one of the 24 key slots used ---
full_ok=1
for i in $(seq 1 24); do
	p11tool_as full --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 \
		--id "$(printf '%02x' "$i")" >"$T/fill.log" 2>&1 || { full_ok=0; diag "$T/fill.log"; break; }
done
if [ $full_ok = 1 ] && ! p11tool_as full --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 \
	>"$T/fill.log" 2>&1; then
	ok "setup: pkcs11-tool fills the token's 24 key slots"
else not_ok "setup: pkcs11-tool fills the token's 24 key slots"; diag "$T/fill.log"; fi
snap_token full
snap_bank main
run as_admin full enroll "${BANK_OPTS[@]}" --admin --contract-id "$C2"
check_rc_out "enrollment on a full token: exit 3, \"the token is full\"" 3 "the token is full"
same_token full "token full: the token is unchanged"
same_bank main "token full: the bank is unchanged"
