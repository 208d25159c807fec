# shellcheck shell=bash disable=SC2034  # (variables used by the sourcing scripts)
# The seed flow of the bank manuals (../../FLOWS.md: I.2, I.3, II.1, II.2) with `kinko`, as
# functions, on either token backend. Sourced after cli_lib.sh by the flow tests (TAP) and by
# demo.sh (FLOW_MODE=demo: each step printed under the manual's name with kinko's output; the
# first failure stops with the step named and a non-zero exit).
#
#   flow_start kinko|softhsm      a bank with the test contract, the admin's and the user's token
#   flow_admin_enroll             管理者 電子証明書取得            (S1)
#   flow_admin_logon              管理者 ログオン (お客様カード)     (S2)
#   flow_user_register            利用者登録                       (S3)
#   flow_user_issue               利用者への証明書発行              (S3)
#   flow_admin_logoff             ログオフ
#   flow_user_enroll              利用者 電子証明書取得            (S4)
#   flow_user_logon               利用者 ログオン: the user's status screen (S5)
# In TAP mode each function prints FLOW_TESTS_<name> test points (see flow_plan).
FLOW_MODE="${FLOW_MODE:-tap}"
# Step names in the user's language, as kinko speaks it (text domain kinko: po/ja.po).
# shellcheck source=tests/lib/i18n.sh
. "${KINKO_SRCDIR:-$(dirname "${BASH_SOURCE[0]}")/../..}/tests/lib/i18n.sh"
kit_i18n_init

# flow_step "LABEL" COMMAND...: one step of the manual. TAP: one test point named LABEL.
# Demo: "== LABEL", the command's output; on failure the step is named and the demo exits.
flow_step() {
	local label="$1"
	shift
	run "$@"
	if [ "$FLOW_MODE" = demo ]; then
		printf '\n== %s\n' "$label"
		# kinko's progress (stderr) came first; the result (stdout) after it.
		cat "$T/stderr" "$T/stdout" | awk 'NF { print "   " $0 }'
		if [ "$RC" -ne 0 ]; then
			printf '\n%s\n' "$(eval_gettext 'demo: FAILED at step "$label" (exit status $RC)')" >&2
			exit 1
		fi
	elif [ "$RC" -eq 0 ]; then
		ok "$label"
	else
		not_ok "$label"
		echo "# exit $RC: $*"
		diag "$T/out"
	fi
	return "$RC"
}
# flow_check NAME STRING...: in TAP mode, check_out on the last step's output; silent in the demo
# unless a string is missing (then the demo stops).
flow_check() {
	local name="$1" s
	if [ "$FLOW_MODE" = demo ]; then
		shift
		for s in "$@"; do
			grep -qF -- "$s" "$T/out" || { printf 'demo: FAILED: %s (missing "%s")\n' "$name" "$s" >&2; exit 1; }
		done
		return 0
	fi
	check_out "$@"
}
flow_tap() { [ "$FLOW_MODE" != demo ]; }

# The test points of each step in TAP mode (flow_plan adds the ones used).
FLOW_TESTS_admin_enroll=7
FLOW_TESTS_admin_logon=3
FLOW_TESTS_user_register=2
FLOW_TESTS_user_issue=2
FLOW_TESTS_admin_logoff=2
FLOW_TESTS_user_enroll=6
FLOW_TESTS_user_logon=3
FLOW_TESTS_all=$((FLOW_TESTS_admin_enroll + FLOW_TESTS_admin_logon + FLOW_TESTS_user_register +
	FLOW_TESTS_user_issue + FLOW_TESTS_admin_logoff + FLOW_TESTS_user_enroll + FLOW_TESTS_user_logon))

flow_start() {
	tokens_backend "$1"
	token_new admin
	token_new user
	bank_main_serve
}

# kinko as the admin / the user, talking to the bank (TLS server checked against its CA). Each
# party has its own state directory (session cookie, pinned CA): two people, two PCs.
k_party() {
	local name="$1"
	shift
	mkdir -p -m 700 "$T/state-$name"
	KINKO_STATE_DIR="$T/state-$name" kinko_as "$name" "$@"
}
k_admin() { k_party admin "$@"; }
k_user() { k_party user "$@"; }

# flow_key_protected NAME: the private key is sensitive and never extractable ("the key
# protection level" of the manuals: the key cannot leave the token).
flow_key_protected() {
	p11tool_as "$1" --login --pin "$TOKEN_PIN" --list-objects --type privkey >"$T/keys" 2>&1
	local keys prot
	keys=$(grep -c "Private Key Object" "$T/keys")
	prot=$(grep -c "Access: *sensitive, always sensitive, never extractable" "$T/keys")
	if [ "$keys" -ge 1 ] && [ "$keys" = "$prot" ]; then
		ok "the $1's private key is sensitive and never extractable"
	else
		not_ok "the $1's private key is sensitive and never extractable"; diag "$T/keys"
	fi
}

# The certificate on a token as openssl sees it (pkcs11-tool reads it by its ID).
flow_token_cert_subject() {
	local name="$1" id
	# Not F9's: the token's attestation certificate (an authority's) when it has one.
	id=$(token_objects_public "$name" | sed -n 's/^Certificate Object.*| ID: \([0-9a-f]*\).*/\1/p' | grep -vx f9 | head -1)
	[ -n "$id" ] || return 1
	p11tool_as "$name" --read-object --type cert --id "$id" -o "$T/$name.cert.der" >/dev/null 2>&1 &&
		openssl x509 -inform DER -in "$T/$name.cert.der" -noout -subject -issuer -nameopt RFC2253
}

# flow_token_enrolled PARTY OU: PARTY's token holds the bank's certificate (CN=$CN, OU) and
# one key pair (two checks).
flow_token_enrolled() {
	local n
	if flow_token_cert_subject "$1" >"$T/subj" 2>&1 && grep -q "CN=$CN" "$T/subj" &&
		grep -q "OU=$2" "$T/subj"; then
		ok "the $1's token holds the bank's certificate (CN=$CN, OU=$2)"
	else
		not_ok "the $1's token holds the bank's certificate (CN=$CN, OU=$2)"; diag "$T/subj"
	fi
	n=$(token_key_count "$1")
	if [ "$n" = 1 ]; then ok "one key pair on the $1's token"; else not_ok "one key pair on the $1's token"; echo "# $n private keys"; fi
}

flow_admin_enroll() {
	local bank_before=""
	flow_tap && bank_before=$(bank_snapshot main)
	flow_step "$(gettext "Admin certificate enrollment (A, イ, ロ; key generated on the token)")" \
		k_admin enroll "${BANK_OPTS[@]}" --admin --contract-id "$CONTRACT" || return 0
	flow_check "enrollment shows the certificate's CN = contract ID + bank code" "$CN"
	flow_tap || return 0
	flow_token_enrolled admin admin
	flow_key_protected admin
	if bank_snapshot main | grep -qP "^cert\|[0-9A-Fa-f]+\|$CONTRACT\|(admin)?\|active$" &&
		[ "$(bank_snapshot main | grep -c '^cert')" = 1 ] && [ -z "$bank_before" ]; then
		ok "the bank recorded one active admin certificate"
	else
		not_ok "the bank recorded one active admin certificate"; bank_snapshot main | sed 's/^/# /'
	fi
	run k_admin certs
	check_ok_out "kinko certs lists it (choose the certificate)" "$CN"
}

flow_admin_logon() {
	flow_step "$(gettext "Admin logon: certificate, grant access (token PIN), イ, customer card digits")" \
		k_admin logon "${BANK_OPTS[@]}" || return 0
	flow_check "the contract status screen" "$CONTRACT"
	flow_tap || return 0
	if grep -qE "card digits at [A-E][0-9] and [A-E][0-9]|[A-E][0-9].*[A-E][0-9]" "$T/out"; then
		ok "the bank asked for the customer card at two positions"
	else
		not_ok "the bank asked for the customer card at two positions"; diag "$T/out"
	fi
}

flow_user_register() {
	flow_step "$(eval_gettext "User registration (\$USER_ID: ト, チ)")" \
		k_admin admin user add "$USER_ID" "${BANK_OPTS[@]}" || return 0
	flow_tap || return 0
	run k_admin admin users "${BANK_OPTS[@]}"
	check_ok_out "kinko admin users lists the new user" "$USER_ID"
}

flow_user_issue() {
	flow_step "$(gettext "Issue a certificate to the user (ロ)")" \
		k_admin admin issue "$USER_ID" "${BANK_OPTS[@]}" || return 0
	flow_tap || return 0
	if bank_snapshot main | grep -q "^user|$CONTRACT|$USER_ID|[0-9]"; then
		ok "the bank opened the user's window"
	else
		not_ok "the bank opened the user's window"; bank_snapshot main | sed 's/^/# /'
	fi
}

flow_admin_logoff() {
	flow_step "$(gettext "Admin logoff")" k_admin logoff "${BANK_OPTS[@]}" || return 0
	flow_tap || return 0
	# The manuals: close every window after the admin's work; nothing of the admin's session
	# may remain for the user's steps.
	if ! ls "$T/state-admin"/session-* >/dev/null 2>&1; then
		ok "after the logoff no admin session is kept"
	else
		not_ok "after the logoff no admin session is kept"; ls -l "$T/state-admin" | sed 's/^/# /'
	fi
}

flow_user_enroll() {
	flow_step "$(gettext "User certificate enrollment (A, ニ, ト, チ; key generated on the token)")" \
		k_user enroll "${BANK_OPTS[@]}" --user "$USER_ID" --contract-id "$CONTRACT" || return 0
	flow_check "enrollment shows the certificate's CN" "$CN"
	flow_tap || return 0
	flow_token_enrolled user "$USER_ID"
	if [ "$(bank_snapshot main | grep -c '|active$')" = 2 ]; then
		ok "the bank now has two active certificates"
	else
		not_ok "the bank now has two active certificates"; bank_snapshot main | sed 's/^/# /'
	fi
	# The user's key is not the admin's: the two tokens are separate.
	if ! cmp -s "$T/admin.cert.der" "$T/user.cert.der"; then ok "the user's certificate is not the admin's"
	else not_ok "the user's certificate is not the admin's"; fi
}

flow_user_logon() {
	flow_step "$(gettext "User logon: certificate, grant access (token PIN), ト → status screen")" \
		k_user logon "${BANK_OPTS[@]}" || return 0
	flow_check "the user's status screen" "$USER_ID"
	flow_tap || return 0
	run k_user --json logon "${BANK_OPTS[@]}"
	if [ "$RC" -eq 0 ] && tr -d '\n' <"$T/stdout" | grep -qE '^[[:space:]]*\{.*"[a-z_]+"[[:space:]]*:.*\}[[:space:]]*$'; then
		ok "logon --json prints one JSON object"
	else
		not_ok "logon --json prints one JSON object"; diag "$T/out"
	fi
}

# flow_to_user_enroll: the seed flow in the manuals' order up to the user's enrollment.
flow_to_user_enroll() {
	flow_admin_enroll
	flow_admin_logon
	flow_user_register
	flow_user_issue
	flow_admin_logoff
	flow_user_enroll
}
# flow_all: the whole seed flow.
flow_all() {
	flow_to_user_enroll
	flow_user_logon
}

# --- renewal (S6, the manuals' "migration"), after flow_user_enroll; TAP only ---
FLOW_TESTS_renewal=12
flow_db() { sqlite3 -readonly "$(bank_dir main)/bank.db" "$1"; }
# flow_active_serial ID: the serial of the active certificate of the admin or of a user.
flow_active_serial() { flow_db "SELECT serial FROM cert WHERE user_id = '$1' AND status = 'active'"; }
flow_cert_status() { flow_db "SELECT status FROM cert WHERE serial = '$1'"; }

# flow_renew_checks WHO ID OLD-SERIAL: the token holds one key pair with a new certificate,
# the bank revoked the old one and lists it in its CRL.
flow_renew_checks() {
	local who="$1" id="$2" old="$3" new n
	new=$(flow_active_serial "$id")
	n=$(token_key_count "$who")
	if [ -n "$new" ] && [ "$new" != "$old" ] && [ "$n" = 1 ] &&
		[ "$(token_objects_public "$who" | grep '^Certificate Object' | grep -vc '| ID: f9')" = 1 ]; then
		ok "$who: one key pair and one certificate on the token, the new one active at the bank"
	else
		not_ok "$who: one key pair and one certificate on the token, the new one active at the bank"
		echo "# keys $n, old $old, new $new"; token_objects "$who" | sed 's/^/# /'
	fi
	if [ -n "$old" ] && [ "$(flow_cert_status "$old")" = revoked ]; then
		ok "$who: the bank revoked the old certificate once the new one logged on"
	else
		not_ok "$who: the bank revoked the old certificate once the new one logged on"
		echo "# old certificate $old, status: $(flow_cert_status "$old")"
	fi
	# Serials compared as hex numbers: without leading zeros, in upper case.
	if [ -n "$old" ] && curl -s --cacert "$BANK_CA" -o "$T/crl.der" "$BANK_URL/crl" &&
		openssl crl -inform DER -in "$T/crl.der" -noout -text 2>/dev/null |
		sed -n 's/^ *Serial Number: *\([0-9A-Fa-f:]*\)$/\1/p' | tr -d ':' | tr a-f A-F | sed 's/^0*//' |
		grep -qx "$(printf '%s' "$old" | tr a-f A-F | sed 's/^0*//')"; then
		ok "$who: the old certificate is in the bank's CRL"
	else
		not_ok "$who: the old certificate is in the bank's CRL"
		echo "# serial $old"; openssl crl -inform DER -in "$T/crl.der" -noout -text 2>&1 | head -20 | sed 's/^/# /'
	fi
}

# flow_renewal: the user renews, logs on with the new certificate; a copy of the user's token
# taken before the renewal (it still holds the old key and certificate) is refused at logon;
# then the admin renews (its logon check answers the customer card) and logs on.
flow_renewal() {
	local old_user old_admin admin_uid
	admin_uid=$(flow_db "SELECT user_id FROM cert WHERE status = 'active' AND user_id != '$USER_ID'")
	old_user=$(flow_active_serial "$USER_ID")
	token_save user
	run k_user renew "${BANK_OPTS[@]}"
	check_ok_out "利用者 証明書更新 / User renewal: new key, simplereenroll, logon with the new one" "$CN"
	flow_renew_checks user "$USER_ID" "$old_user"
	run k_user logon "${BANK_OPTS[@]}"
	check_ok_out "the user logs on with the new certificate" "$USER_ID"
	run k_user logoff "${BANK_OPTS[@]}"

	token_use_saved user
	local serial=""
	flow_token_cert_subject user >/dev/null 2>&1 &&
		serial=$(openssl x509 -inform DER -in "$T/user.cert.der" -noout -serial 2>/dev/null | sed 's/^serial=//')
	if [ -n "$serial" ] && [ "$(printf '%s' "$serial" | sed 's/^0*//')" = "$(printf '%s' "$old_user" | sed 's/^0*//')" ]; then
		ok "the copy of the token from before the renewal still holds the old certificate"
	else
		not_ok "the copy of the token from before the renewal still holds the old certificate"
		echo "# on the copy: ${serial:-none}, old: $old_user"
	fi
	run k_user logon "${BANK_OPTS[@]}"
	check_rc_out "the old certificate is refused at logon: exit 4, \"revoked\"" 4 "refused" "revoked"
	token_use_current user

	old_admin=$(flow_active_serial "$admin_uid")
	run k_admin renew "${BANK_OPTS[@]}"
	check_ok_out "管理者 証明書更新 / Admin renewal" "$CN"
	flow_renew_checks admin "$admin_uid" "$old_admin"
	run k_admin logon "${BANK_OPTS[@]}"
	check_ok_out "the admin logs on with the new certificate (customer card)" "$CONTRACT"
	run k_admin logoff "${BANK_OPTS[@]}"
}
