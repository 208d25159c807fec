#!/usr/bin/env bash
# kinko's token commands in Japanese: under LANG=ja_JP.UTF-8 `kinko --help`,
# `kinko help pin`, `kinko certs` (the expiry as 2035年12月7日) and a wrong token PIN
# (「トークンのPINが違います。残り2回」) are Japanese, with no English sentence leaking; --json
# on that failure has the same keys, code and exit status as under LANG=C, the message in
# Japanese; LANG=C stays English.
CLI_TMP_PREFIX=kinko-cli-ja
. "$(dirname "$0")/cli_lib.sh"
[ -x "$KINKO" ] || bail "$KINKO not built"
locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' ||
	skip_all "the ja_JP.UTF-8 locale is not generated (scripts/deps.sh: locale-gen ja_JP.UTF-8)"
[ -f "${KINKO_LOCALEDIR:-}/ja/LC_MESSAGES/kinko.mo" ] ||
	skip_all "no compiled Japanese catalogue under KINKO_LOCALEDIR (run through make check)"
need python3
need_p11tool_on_kinko
python3 -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography not installed"

plan 14

tokens_backend kinko
token_new ja
secrets_write "$T/bad" "token_pin=99990000"
ja() { LANG=ja_JP.UTF-8 kinko_as ja "$@"; }
en() { LANG=C kinko_as ja "$@"; }

# English sentences: two lowercase words in a row (tests/lib/i18n.sh).
# shellcheck source=tests/lib/i18n.sh
. "$(dirname "$0")/../lib/i18n.sh"
leaks() { kit_english_leaks "$1" 2 | head -5; }
# no_leak NAME FILE: ok when FILE has no English sentence.
no_leak() {
	local l
	l=$(leaks "$2")
	if [ -z "$l" ]; then ok "$1"; else not_ok "$1"; printf '%s\n' "$l" | sed 's/^/# leaked: /'; fi
}

# --- help ---
run env LANG=ja_JP.UTF-8 "$KINKO" --help
check_ok_out "ja: kinko --help is Japanese" "使い方: kinko" "サブコマンド" "トークンのPIN" "終了コード"
run env LANG=ja_JP.UTF-8 "$KINKO" help pin
check_ok_out "ja: kinko help pin names トークンのPIN and the PUK（ロック解除コード）" \
	"トークンのPIN" "PUK（ロック解除コード）" "残り2回"
if grep -q '暗証番号' "$T/stdout"; then
	not_ok "ja: the token PIN is never 暗証番号 (the bank's word)"; diag "$T/stdout"
else ok "ja: the token PIN is never 暗証番号 (the bank's word)"; fi
run env LANG=C "$KINKO" --help
check_ok_out "C: kinko --help stays English" "Usage: kinko" "Subcommands:" "Exit status:"

# --- certs: a certificate ending 2035-12-07 on the token ---
run ja certs
check_ok_out "ja: an empty token says so in Japanese" "電子証明書"
no_leak "ja: no English sentence on the empty token's listing" "$T/out"
p11tool_as ja --login --pin "$TOKEN_PIN" --keypairgen --key-type EC:prime256v1 --id 05 >/dev/null 2>&1
token_ec_pub_der ja 05 "$T/pub.der"
python3 - "$T/pub.der" "$T/cert.der" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
pub = serialization.load_der_public_key(open(sys.argv[1], "rb").read())
ca = ec.generate_private_key(ec.SECP256R1())
name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
utc = datetime.timezone.utc
cert = (x509.CertificateBuilder().subject_name(name("12345678900123")).issuer_name(name("Test CA"))
        .public_key(pub).serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2025, 1, 2, tzinfo=utc))
        .not_valid_after(datetime.datetime(2035, 12, 7, 12, tzinfo=utc)).sign(ca, hashes.SHA256()))
open(sys.argv[2], "wb").write(cert.public_bytes(serialization.Encoding.DER))
PY
p11tool_as ja --login --pin "$TOKEN_PIN" --write-object "$T/cert.der" --type cert --id 05 \
	--label "ja" >/dev/null 2>&1
run ja certs
check_ok_out "ja: kinko certs shows the validity as Japanese dates" "2025年1月2日" "2035年12月7日" "有効期間"
run en certs
check_ok_out "C: kinko certs shows ISO dates in English" "valid:" "2035-12-07"
run ja --json certs
check_ok_out "ja: --json certs keeps ISO times" '"not_after": "2035-12-07T12:00:00Z"'

# --- a wrong token PIN ---
run ja --secrets-file "$T/bad" pin check
check_rc_out "ja: a wrong token PIN: トークンのPINが違います。残り2回 (exit 3)" 3 "トークンのPINが違います。残り2回"
no_leak "ja: no English sentence in the wrong-PIN message" "$T/stderr"
run ja pin check
check_ok_out "ja: the right PIN is accepted (tries restored)" "トークンのPIN"

run ja --secrets-file "$T/bad" --json pin check
cp "$T/stdout" "$T/ja.json"
RC_JA=$RC
run ja pin check
run en --secrets-file "$T/bad" --json pin check
cp "$T/stdout" "$T/en.json"
RC_EN=$RC
if [ "$RC_JA" -eq 3 ] && [ "$RC_EN" -eq 3 ] && python3 - "$T/ja.json" "$T/en.json" <<'PY'
import json, sys
ja, en = (json.load(open(p)) for p in sys.argv[1:3])
assert sorted(ja) == sorted(en) and sorted(ja["error"]) == sorted(en["error"]), (ja, en)
assert ja["exit"] == en["exit"] == 3
assert ja["error"]["code"] == en["error"]["code"] == "pin_incorrect"
assert ja["error"]["tries_left"] == en["error"]["tries_left"] == 2
assert ja["error"]["secret"] == en["error"]["secret"] == "token_pin"
assert ja["error"]["message"] == "トークンのPINが違います。残り2回", ja["error"]["message"]
assert en["error"]["message"] == "wrong token PIN; 2 tries left before it locks", en["error"]["message"]
PY
then ok "--json: same keys, code pin_incorrect and exit 3 in ja and C, the message translated"
else not_ok "--json: same keys, code pin_incorrect and exit 3 in ja and C, the message translated"
	diag "$T/ja.json"; diag "$T/en.json"; fi
run en pin check
check_ok_out "C: the right PIN, in English" "token PIN accepted"
