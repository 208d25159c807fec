#!/usr/bin/env bash
# kinko's demo: the bank manuals' flow, from a fresh clone on Debian 12, without a keyboard.
#
# Installs what is missing (scripts/deps.sh), builds (scripts/build.sh), starts a bank
# (kinko-bankd) and two emulated tokens (the admin's and the user's) in a temporary
# directory, then walks the flow of the manuals with `kinko`: admin enrollment, admin logon
# with the customer card, user registration and issuance, user enrollment, user logon, ending
# on the user's status screen. Everything it started is stopped at the end. Exit status 0, or
# non-zero with the failing step named.
#
# The PINs of this demo are in a secrets file in the temporary directory (kinko --secrets-file):
# kinko never takes a PIN from the command line or the environment.
set -uo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top" || exit 1

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\ndemo: FAILED at step "%s"\n' "$1" >&2; exit 1; }

say "準備 / Installing what is missing and building"
scripts/deps.sh || fail "installing the Debian packages (scripts/deps.sh)"
scripts/build.sh "$top/_build/demo" --enable-werror || fail "building (scripts/build.sh _build/demo)"

export KINKO_BUILDDIR="$top/_build/demo"
CLI_TMP_PREFIX=kinko-demo
BAIL_PREFIX="demo: FAILED:"
FLOW_MODE=demo
# shellcheck source=tests/cli/cli_lib.sh
. "$top/tests/cli/cli_lib.sh"
# shellcheck source=tests/cli/flow.sh
. "$top/tests/cli/flow.sh"
[ -x "$KINKO" ] || fail "building: $KINKO is missing"

say "銀行 / The bank: kinko-bankd init (bank code $BANK_CODE), contract $CONTRACT added today"
bank_new main
bank_contract main
echo "   The customer card (お客様カード) the bank printed for the admin:"
sed 's/^/   /' "$(bank_card main)"
bank_start main
BANK_URL=$(bank_url main)
BANK_CA=$(bank_ca main)
BANK_OPTS=(--bank "$BANK_URL" --cacert "$BANK_CA")
CARD=$(bank_card main)
echo "   serving $BANK_URL (pid ${BANK_PID[main]}); its CA: $BANK_CA"

say "トークン / Two emulated tokens (kinko-token-emu): the admin's and the user's"
tokens_backend kinko
token_new admin
token_new user
echo "   admin: $(token_uri admin)   user: $(token_uri user)"
party_secrets admin "$CARD" >/dev/null
party_secrets user >/dev/null
echo "   credentials: A = $CONTRACT, user ID ニ = $USER_ID; PINs from $T/secrets-{admin,user}"

# The manuals' flow (tests/cli/flow.sh): each step named as the manual names it; it ends on
# the user's status screen. The exit trap stops the bank and the tokens and removes $T.
flow_all
exit 0
