#!/usr/bin/env bash
# pkcs11: URIs both ways on kinko's module: the URI `kinko certs` prints for a certificate
# names its key too in p11tool (GnuTLS) and libp11 (openssl req with the pkcs11 engine), since
# a certificate and its key share CKA_ID and CKA_LABEL; and kinko takes p11tool's URIs (with
# model=, manufacturer=, serial=, token=, id=, object=, type=cert or type=private) in
# `logon --cert` and `renew --cert`, and refuses one naming another token.
CLI_TMP_PREFIX=kinko-cli-uri
. "$(dirname "$0")/cli_lib.sh"
# Unmodified tools cannot load an ASan-instrumented module (as in tests/interop).
[ "${KINKO_SANITIZED:-0}" = 1 ] && skip_all "sanitizer build: p11tool and openssl cannot load the instrumented module"
need p11tool
need openssl
need python3
[ -x "$KINKO" ] || bail "$KINKO not built"
export PKCS11_MODULE_PATH="$KINKO_P11"
openssl engine -t pkcs11 2>/dev/null | grep -q "\[ available \]" ||
	skip_all "the OpenSSL pkcs11 engine (libengine-pkcs11-openssl) is not installed"

plan 9
tokens_backend kinko
token_new adm
bank_main_serve
URL=$BANK_URL
secrets_write "$T/secrets-adm" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card main)"
k() { kinko_as adm "$@"; }
P=(p11tool --provider "$KINKO_P11")
printf '%s' "$TOKEN_PIN" >"$T/pin"
chmod 600 "$T/pin"

run k enroll --bank "$URL" --cacert "$(bank_ca main)" --admin --contract-id "$CONTRACT"
[ "$RC" -eq 0 ] || { diag "$T/out"; bail "kinko enroll failed"; }
run k --json certs
URI=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificates"][0]["uri"])' "$T/stdout" 2>/dev/null)
if [[ "$URI" == pkcs11:*"id=%01"* && "$URI" == *"object=PIV%20Authentication"* && "$URI" == *"type=cert"* ]]; then
	ok "kinko certs prints the certificate's URI with its id and label ($URI)"
else
	not_ok "kinko certs prints the certificate's URI with its id and label"; diag "$T/out"
fi
"${P[@]}" --export "$URI" --outfile "$T/cert.pem" >/dev/null 2>&1
openssl x509 -in "$T/cert.pem" -noout -pubkey >"$T/cert.pub" 2>/dev/null

# Direction 1: kinko's URI in p11tool and libp11 selects the key.
GNUTLS_PIN="$TOKEN_PIN" run "${P[@]}" --login --test-sign "$URI"
check_ok_out "p11tool --test-sign with kinko's certificate URI signs with its key" \
	"Verifying against private key parameters... ok" "Verifying against public key in the token... ok"
run openssl req -new -engine pkcs11 -keyform engine -key "$URI;pin-source=file:$T/pin" -subj /CN=uri \
	-out "$T/req.pem"
if [ "$RC" -eq 0 ] && openssl req -in "$T/req.pem" -noout -pubkey 2>/dev/null | cmp -s - "$T/cert.pub"; then
	ok "openssl req -engine pkcs11 -key <kinko's URI> signs with the certificate's key"
else
	not_ok "openssl req -engine pkcs11 -key <kinko's URI> signs with the certificate's key"; diag "$T/out"
fi

# Direction 2: p11tool's URIs in kinko.
run "${P[@]}" --list-all-certs
CERT_URL=$(sed -n 's/^[[:space:]]*URL: \(pkcs11:.*type=cert\)$/\1/p' "$T/out" | head -1)
GNUTLS_PIN="$TOKEN_PIN" run "${P[@]}" --login --list-all-privkeys
KEY_URL=$(sed -n 's/^[[:space:]]*URL: \(pkcs11:.*type=private\)$/\1/p' "$T/out" | head -1)
if [[ "$CERT_URL" == *"model="*"serial="*"token="*"id=%01"* && "$KEY_URL" == *"type=private"* ]]; then
	ok "p11tool lists the certificate and the key with full URIs"
else
	not_ok "p11tool lists the certificate and the key with full URIs"; echo "# $CERT_URL / $KEY_URL"
fi
run k logon --bank "$URL" --cert "$CERT_URL"
check_ok_out "kinko logon --cert <p11tool's certificate URL>" "$CONTRACT"
k logoff --bank "$URL" >/dev/null 2>&1
run k logon --bank "$URL" --cert "$KEY_URL"
check_ok_out "kinko logon --cert <p11tool's private key URL>" "$CONTRACT"
k logoff --bank "$URL" >/dev/null 2>&1
OTHER=$(printf '%s' "$CERT_URL" | sed 's/serial=[^;]*/serial=0000000000000000/')
run k logon --bank "$URL" --cert "$OTHER"
check_rc_out "a URI naming another token's serial is refused" 3 "no certificate"
run k logon --bank "$URL" --cert "$(printf '%s' "$CERT_URL" | sed 's/;id=%01//; s/;object=[^;]*//')"
check_rc_out "a URI naming no object (token and type only) is refused" 3 "no certificate"
run k renew --bank "$URL" --cert "$CERT_URL"
check_ok_out "kinko renew --cert <p11tool's certificate URL>" "certificate renewed"
