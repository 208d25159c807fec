#!/usr/bin/env bash
# Bank sessions, one per bank AND certificate, on kinko's module and emulated tokens: the admin
# (one token) and a user (another token) logged on to the same bank each keep their session;
# status and logoff find the session whose certificate is on the token they are given and say
# which one they use; two sessions on one token (two certificates) are told apart with --cert,
# and without a terminal kinko asks for it instead of guessing.
. "$(dirname "$0")/cli_lib.sh"
need jq
need python3
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 14
tokens_backend kinko
token_new admin
token_new user
bank_main_serve
U2=user02
# One PC, one state directory, two tokens: the admin's and the user's.
k_admin() { kinko_as admin "$@"; }
k_user() { kinko_as user "$@"; }

# --- setup: the admin enrolls and registers two users; user01 enrolls on the user's token ---
run k_admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "admin enrollment failed"; }
run k_admin logon "${BANK_OPTS[@]}"
for u in "$USER_ID" "$U2"; do
	k_admin admin user add "$u" --bank "$BANK_URL" >>"$T/setup.log" 2>&1 &&
		k_admin admin issue "$u" --bank "$BANK_URL" >>"$T/setup.log" 2>&1 ||
		{ diag "$T/setup.log"; bail "registering $u failed"; }
done
run k_user enroll "${BANK_OPTS[@]}" --user "$USER_ID" --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "user enrollment failed"; }

# --- the user logs on to the same bank while the admin's session is kept ---
run k_user logon "${BANK_OPTS[@]}"
check_ok_out "the user logs on to the bank where the admin is logged on" "logged on as  user $USER_ID"
run k_admin status
check_ok_out "the admin's status still finds the admin's session (not the user's)" "logged on as  admin"
check_out "status says which session it uses (bank, certificate)" \
	"bank session: $BANK_URL, certificate $CN (admin)"
run k_user status
check_ok_out "the user's status finds the user's session" "logged on as  user $USER_ID" \
	"certificate $CN ($USER_ID)"
run k_admin logoff
check_ok_out "the admin logs off the admin's session" "Logged off from $BANK_URL (certificate $CN (admin))"
run k_user status --bank "$BANK_URL"
check_ok_out "the user's session outlives the admin's logoff" "logged on as  user $USER_ID"
run k_admin status
check_rc_out "the admin logged off, the user's session is not the admin's: exit 3, the session named" 3 \
	"certificate ($CN ($USER_ID)) not on this token"

# --- two certificates of one token, each logged on: --cert tells them apart ---
run k_admin enroll "${BANK_OPTS[@]}" --user "$U2" --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "user02's enrollment on the admin's token failed"; }
# The admin's certificate is the first one (PIV slot 9A, id 01), user02's the other.
k_admin certs >"$T/certs.txt" 2>&1
adm_uri=$(awk '$1 == "URI:" && /id=%01;/ { print $2; exit }' "$T/certs.txt")
u2_uri=$(awk '$1 == "URI:" && !/id=%01;/ { print $2; exit }' "$T/certs.txt")
[ -n "$u2_uri" ] && [ -n "$adm_uri" ] || { diag "$T/certs.txt" 40; bail "kinko certs shows no URIs"; }
run k_admin logon "${BANK_OPTS[@]}" --cert "$adm_uri"
run k_admin logon "${BANK_OPTS[@]}" --cert "$u2_uri"
check_ok_out "a second certificate of the same token logs on to the same bank" "logged on as  user $U2"
run k_admin status
check_rc_out "two sessions on one token and no terminal: exit 2, both named, --cert asked for" 2 \
	"2 bank sessions could be meant" "certificate $CN (admin)" "certificate $CN ($U2)"
# On a terminal: a numbered list of the sessions to choose from.
python3 "$(dirname "$0")/../lib/pty_drive.py" "$T/tty.out" 60 "Choose the bank session" @none \
	"number: " "@choose=($U2)" -- "$KINKO" --module "$MODULE" --token "${TOK_URI[admin]}" \
	--secrets-file "$T/secrets-admin" status
RC=$?
cp "$T/tty.out" "$T/out"
check_rc_out "two sessions on a terminal: a numbered list (bank, certificate), the one chosen is used" 0 \
	"$BANK_URL, certificate $CN (admin)" "logged on as  user $U2"
run k_admin status --cert "$u2_uri"
check_ok_out "--cert chooses the session" "logged on as  user $U2"
run k_admin logoff --cert "$adm_uri"
check_ok_out "logoff --cert ends only that session" "Logged off from $BANK_URL (certificate $CN (admin))"
run k_admin status
check_ok_out "the other certificate's session is left, and now the only one meant" "logged on as  user $U2"
run k_admin status --cert "$adm_uri"
check_rc_out "status --cert of a certificate of this token that is not logged on: exit 4" 4 \
	"not logged on to $BANK_URL with the certificate $adm_uri"
