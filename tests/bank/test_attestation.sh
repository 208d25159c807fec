#!/usr/bin/env bash
# kinko-bankd verifies key attestation at enrollment (init --attestation-root, contract add
# --attestation): each forged part of a request's attestation is refused with its rule, a
# valid one is issued and its token serial recorded; contracts of an older database read as
# optional.
. "${KINKO_SRCDIR:-.}/tests/bank/bank_lib.sh"

plan 26
ACSR="${KINKO_BUILDDIR:-.}/tests/bank/attest_csr"
TODAY=$(date -u +%F)
LATER=$(day_plus "$TODAY" 10)

# ca NAME DAYS: a self-signed manufacturer attestation CA, P-256.
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-out "$T/$1.pem" -subj "/CN=$1 attestation CA" -days "$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
}
# sign CSRPEM ISSUER DAYS EXTSECTION OUT: a certificate from ISSUER with $T/ext.cnf's section.
sign() {
	openssl x509 -req -in "$1" -CA "$T/$2.pem" -CAkey "$T/$2.key" -CAcreateserial -days "$3" \
		-extfile "$T/ext.cnf" -extensions "$4" -out "$5" 2>/dev/null
}
cat >"$T/ext.cnf" <<'CNF'
[f9]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[good]
1.3.6.1.4.1.32473.1.1=ASN1:INTEGER:31415926
1.3.6.1.4.1.32473.1.2=ASN1:FORMAT:HEX,OCTETSTRING:050700
1.3.6.1.4.1.32473.1.3=ASN1:ENUMERATED:2
1.3.6.1.4.1.32473.1.4=ASN1:ENUMERATED:1
1.3.6.1.4.1.32473.1.5=ASN1:ENUMERATED:1
[imported]
1.3.6.1.4.1.32473.1.1=ASN1:INTEGER:31415926
1.3.6.1.4.1.32473.1.3=ASN1:ENUMERATED:2
1.3.6.1.4.1.32473.1.5=ASN1:ENUMERATED:2
[pinnever]
1.3.6.1.4.1.32473.1.1=ASN1:INTEGER:31415926
1.3.6.1.4.1.32473.1.3=ASN1:ENUMERATED:1
1.3.6.1.4.1.32473.1.5=ASN1:ENUMERATED:1
CNF
# f9 NAME MAKER DAYS: a token's attestation key NAME and its certificate from MAKER.
f9() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
		-subj "/CN=kinko PIV Attestation/serialNumber=31415926" -out "$T/$1.req" 2>/dev/null
	sign "$T/$1.req" "$2" "$3" f9 "$T/$1.pem"
}
# key NAME: a P-256 key and its plain request (PEM) for an attestation certificate.
key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$1.key" 2>/dev/null
	openssl req -new -key "$T/$1.key" -subj "/CN=kinko PIV Attestation 9A" -out "$T/$1.req"
}
ca maker 3650
ca other 3650
ca short 2
f9 f9 maker 3650
f9 f9other other 3650
f9 f9short short 2
key k
key k2
sign "$T/k.req" f9 3650 good "$T/att.pem"
sign "$T/k.req" f9other 3650 good "$T/att_other.pem"
sign "$T/k2.req" f9 3650 good "$T/att_k2.pem"
sign "$T/k.req" f9 3650 imported "$T/att_imported.pem"
sign "$T/k.req" f9 3650 pinnever "$T/att_pinnever.pem"
sign "$T/k.req" f9short 2 good "$T/att_short.pem"

# An older bank first: its database of schema 1, with a contract made before attestation.
KINKO_BANKD_NOW="$TODAY" "$BANKD" init --dir "$BANK" --bank-code "$BANK_CODE" >/dev/null
add_contract 555 "$TODAY" auto "$PIN" "$CONF" "$T/card0"
sqlite3 "$BANK/bank.db" "CREATE TABLE c1 AS SELECT contract_id, company, applied_day,
 manual_approval, approved, card, conf_password, pin, conf_pin, failures FROM contract;
 PRAGMA foreign_keys=OFF; DROP TABLE contract; ALTER TABLE c1 RENAME TO contract;
 ALTER TABLE cert DROP COLUMN token_serial; UPDATE schema_version SET version = 1"
check_quiet "a contract of a schema-1 database reads as attestation optional" \
	contains <("$BANKD" contract show --dir "$BANK" --contract-id 555) "attestation optional"
check_quiet "the database was migrated to schema 2" \
	equals "$(sqlite3 "$BANK/bank.db" 'SELECT version FROM schema_version')" 2
rm -rf "$BANK"

check_quiet "init refuses an --attestation-root that is not a CA certificate" \
	sh -c "! '$BANKD' init --dir '$T/nobank' --bank-code 0001 --attestation-root '$T/att.pem' 2>/dev/null"
KINKO_BANKD_NOW="$TODAY" "$BANKD" init --dir "$BANK" --bank-code "$BANK_CODE" \
	--attestation-root "$T/maker.pem" --attestation-root "$T/short.pem" >/dev/null
check_quiet "init keeps the roots in attestation-roots.pem" \
	equals "$(grep -c 'BEGIN CERTIFICATE' "$BANK/attestation-roots.pem")" 2
add_contract "$CONTRACT" "$TODAY" auto "$PIN" "$CONF" "$T/card"
check_quiet "a new contract of a bank with roots requires attestation" \
	contains <("$BANKD" contract list --dir "$BANK") "attestation required"
(umask 077; printf 'confirmation_password=passw0rdB\ncontract_pin=%s\ncontract_confirmation_pin=%s\n' "$PIN" "$CONF" > "$T/secrets")
"$BANKD" contract add --dir "$BANK" --company Opt --contract-id 777 --applied "$TODAY" \
	--secrets-file "$T/secrets" --attestation optional >/dev/null
check_quiet "contract add --attestation optional is kept" \
	contains <("$BANKD" contract show --dir "$BANK" --contract-id 777) "attestation optional"
check_quiet "contract add --attestation always is a usage error" \
	sh -c "'$BANKD' contract add --dir '$BANK' --company X --contract-id 778 --applied $TODAY --secrets-file '$T/secrets' --attestation always >/dev/null 2>&1; [ \$? = 2 ]"

start_server "$LATER"
# refused REQ-ARGS... RULE: the request made by attest_csr is refused 403 naming RULE.
refused_for() { [ "$1" = 403 ] && contains "$T/out" "$2"; }
refused() {
	local rule="${*: -1}"
	"$ACSR" "${@:1:$#-1}" "$T/req.csr" || return 1
	[ "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/req.csr")" = 403 ] && contains "$T/out" "$rule"
}
check_quiet "no attestation under required (a SoftHSM-like token) is refused" \
	refused "$T/k.key" none - "the key was not generated on a bank token (the request carries no attestation"
check_quiet "an attestation signed by another maker's CA is refused" \
	refused "$T/k.key" "$T/att_other.pem" "$T/f9other.pem" "not signed by a token maker this bank trusts"
check_quiet "an attestation of another key is refused" \
	refused "$T/k.key" "$T/att_k2.pem" "$T/f9.pem" "the attestation is for another key"
check_quiet "an imported key's attestation (origin imported) is refused" \
	refused "$T/k.key" "$T/att_imported.pem" "$T/f9.pem" "(it was imported into the token)"
check_quiet "an attestation with PIN policy never is refused" \
	refused "$T/k.key" "$T/att_pinnever.pem" "$T/f9.pem" "without its PIN"
check_quiet "a chain to a manufacturer CA expired at the bank's clock is refused" \
	refused "$T/k.key" "$T/att_short.pem" "$T/f9short.pem" "not valid on the bank's date"
check_quiet "an attribute that is not an attestation bundle is refused" \
	refused "$T/k.key" garbage - "cannot be read"
check_quiet "the refusal names its rule in Japanese for a Japanese client" \
	sh -c "'$ACSR' '$T/k.key' '$T/att_k2.pem' '$T/f9.pem' '$T/req.csr' && curl -s --cacert '$BANK/ca.crt' -H 'Accept-Language: ja' -u $CONTRACT:$PIN -H 'Kinko-Confirmation-PIN: $CONF' -H 'Content-Type: application/pkcs10' --data-binary @'$T/req.csr' '$URL/.well-known/est/simpleenroll' | grep -q '鍵'"
check_quiet "the refusals are logged with their rule" \
	contains "$T/server.log" "enrollment refused (contract $CONTRACT, admin): key refused: the attestation is for another key"
"$ACSR" "$T/k.key" "$T/att.pem" "$T/f9.pem" "$T/req.csr"
check_quiet "a valid attestation is accepted (200)" \
	equals "$(enroll "$CONTRACT" "$PIN" "$CONF" "$T/req.csr")" 200
check_quiet "contract show records the token serial with the certificate" \
	contains <("$BANKD" contract show --dir "$BANK" --contract-id "$CONTRACT") ", token 31415926"
cp "$T/out" "$T/admin.out"
"$ACSR" "$T/k2.key" none - "$T/req2.csr"
check_quiet "an optional contract issues without attestation" \
	equals "$(enroll 777 "$PIN" "$CONF" "$T/req2.csr")" 200
cp "$T/admin.out" "$T/out"
certs_of "$T/out" "$T/admin.crt"
A=(--cert "$T/admin.crt" --key "$T/k.key")
reenroll() {
	http POST /.well-known/est/simplereenroll "${A[@]}" -H 'Content-Type: application/pkcs10' --data-binary @"$1"
}
"$ACSR" "$T/k2.key" "$T/att.pem" "$T/f9.pem" "$T/req2.csr"
check_quiet "renewal under required refuses an attestation of another key (403)" \
	refused_for "$(reenroll "$T/req2.csr")" "the attestation is for another key"
"$ACSR" "$T/k2.key" "$T/att_k2.pem" "$T/f9.pem" "$T/req2.csr"
check_quiet "renewal with the new key's valid attestation is accepted (200)" \
	equals "$(reenroll "$T/req2.csr")" 200

# The admin's user list shows each certificate's token serial (JSON and the HTML table).
certs_of "$T/out" "$T/admin2.crt"
A=(--cert "$T/admin2.crt" --key "$T/k2.key")
JAR="$T/jar.admin2.crt"
logon_admin "$T/admin2.crt" "$T/k2.key" "$T/card" "$PIN" >/dev/null
http POST /api/admin/users "${A[@]}" -b "$JAR" \
	-d '{"user_id":"taro","user_pin":"3333","user_confirmation_pin":"4444"}' >/dev/null
http POST /api/admin/users/taro/issue "${A[@]}" -b "$JAR" -d "{\"confirmation_pin\":\"$CONF\"}" >/dev/null
key k3
sed 's/31415926/27182818/' "$T/ext.cnf" >"$T/ext3.cnf" && mv "$T/ext3.cnf" "$T/ext.cnf"
sign "$T/k3.req" f9 3650 good "$T/att_k3.pem"
"$ACSR" "$T/k3.key" "$T/att_k3.pem" "$T/f9.pem" "$T/req3.csr"
check_quiet "the user's enrollment with a valid attestation is accepted (200)" \
	equals "$(enroll "$CONTRACT/taro" 3333 4444 "$T/req3.csr")" 200
check_quiet "the admin's user list (JSON) gives the user certificate's token serial" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '\"token_serial\":\"27182818\"' '$T/out'" _ \
	"$(http GET /api/admin/users "${A[@]}" -b "$JAR")"
check_quiet "the admin's user table (HTML) shows the token serial" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF '<td class=\"token-serial\">27182818</td>' '$T/out'" _ \
	"$(http GET /admin/users "${A[@]}" -b "$JAR")"
check_quiet "the contract management screen shows the contract's attestation demand" \
	sh -c "[ \"\$1\" = 200 ] && grep -qF 'required: keys must be attested by a token this bank trusts' '$T/out'" _ \
	"$(http GET /admin "${A[@]}" -b "$JAR")"
stop_and_check
