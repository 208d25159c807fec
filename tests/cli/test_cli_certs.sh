#!/usr/bin/env bash
# kinko certs tells the certificate's real state: an EXPIRED certificate is not sent to
# `kinko renew` (the bank refuses renewing it) but to `kinko enroll` or the bank; a REVOKED one
# (the bank's CRL, fetched from the certificate's CRL distribution point and verified with
# the pinned bank CA) says so; a CRL out of reach leaves the revocation state unknown and the
# listing still works; keys without a certificate carry the `kinko key delete URI` hint.
# kinko's module and the emulator; the expired certificate is made with python3-cryptography.
CLI_TMP_PREFIX=kinko-cli-certs
. "$(dirname "$0")/cli_lib.sh"
need python3
need openssl
need_p11tool_on_kinko
python3 -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography not installed"

plan 12

tokens_backend kinko
token_new adm
token_new exp
bank_new main
bank_contract main
bank_start main
URL=$(bank_url main)
secrets_write "$T/s" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card main)"
as() { local n="$1"; shift; KINKO_SECRETS="$T/s" kinko_as "$n" "$@"; }

run as adm enroll --bank "$URL" --admin --contract-id "$CONTRACT" --cacert "$(bank_ca main)"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "enrollment failed"; }
run as adm certs
check_ok_out "a valid certificate from the bank: checked with the bank's CRL, not revoked" \
	"$CN" "not revoked"
run as adm --json certs
check_out "--json: \"revocation\": \"not revoked\"" '"revocation": "not revoked"'

# The old certificate after a renewal is revoked (superseded): seen on a copy of the token
# taken before the renewal.
token_save adm
run as adm renew --bank "$URL"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "renewal failed"; }
token_use_saved adm
run as adm certs
check_ok_out "the renewed-away certificate is shown revoked" "revoked by the bank"
if grep -q "renew with" "$T/out"; then not_ok "a revoked certificate is not sent to kinko renew"; diag "$T/out"
else ok "a revoked certificate is not sent to kinko renew"; fi
run as adm --json certs
check_out "--json: \"revocation\": \"revoked\"" '"revocation": "revoked"'

# The bank out of reach: unknown, and the listing still succeeds.
bank_stop main
run as adm certs
check_ok_out "the CRL out of reach: revocation unknown, the listing still works" "$CN" "unknown"
token_use_current adm

# --- expired: a key on the token and a certificate for it that ended 3 days ago ---
p11tool_as exp --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 05 >/dev/null 2>&1
token_ec_pub_der exp 05 "$T/pub.der"
python3 - "$T/pub.der" "$T/expired.der" "$CN" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
pub = serialization.load_der_public_key(open(sys.argv[1], "rb").read())
ca = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
cert = (x509.CertificateBuilder().subject_name(name(sys.argv[3])).issuer_name(name("Old CA"))
        .public_key(pub).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now - datetime.timedelta(days=3)).sign(ca, hashes.SHA256()))
open(sys.argv[2], "wb").write(cert.public_bytes(serialization.Encoding.DER))
PY
p11tool_as exp --login --pin "$TOKEN_PIN" --write-object "$T/expired.der" --type cert --id 05 \
	--label "old" >/dev/null 2>&1
run as exp certs
check_ok_out "an expired certificate: obtain a new one with kinko enroll or ask the bank" \
	"expired 3 days ago" "kinko enroll" "ask the bank"
if grep -q "renew with" "$T/out"; then not_ok "an expired certificate is not sent to kinko renew"; diag "$T/out"
else ok "an expired certificate is not sent to kinko renew"; fi
check_out "a certificate that names no CRL: revocation not checked" "not checked"

# --- a key left without a certificate (an interrupted enrollment) ---
p11tool_as exp --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 06 >/dev/null 2>&1
run as exp certs
check_ok_out "a key without a certificate: listed with its URI and the kinko key delete hint" \
	"key without certificate" "kinko key delete" "id=%06"
run as exp --json certs
if python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["keys_without_certificate"][0]; sys.exit(0 if "kinko key delete" in k["hint"] and "id=%06" in k["uri"] else 1)' "$T/stdout" 2>/dev/null
then ok "--json: the key without certificate has the hint"; else not_ok "--json: the key without certificate has the hint"; diag "$T/out"; fi
uri=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys_without_certificate"][0]["uri"])' "$T/stdout" 2>/dev/null)
run as exp key delete "$uri" --yes
check_ok_out "the hinted command removes the key" "removed from the token"
