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
fail() { local step=$1; printf '\n%s\n' "$(eval_gettext 'demo: FAILED at step "$step"')" >&2; exit 1; }

# The demo speaks the user's language (LANG=ja_JP.UTF-8: Japanese), as kinko does: its catalogue
# is compiled from po/ja.po into the build directory, where the uninstalled programs look for
# it (KINKO_LOCALEDIR). On a machine without gettext yet, the first heading is English.
export KINKO_BUILDDIR="$top/_build/demo"
export KINKO_LOCALEDIR="$KINKO_BUILDDIR/tests/locale"
demo_catalogue() {
	command -v msgfmt >/dev/null || return 0
	mkdir -p "$KINKO_LOCALEDIR/ja/LC_MESSAGES" &&
		msgfmt -o "$KINKO_LOCALEDIR/ja/LC_MESSAGES/kinko.mo" "$top/po/ja.po"
}
# shellcheck source=tests/lib/i18n.sh
. "$top/tests/lib/i18n.sh"
demo_catalogue
kit_i18n_init

say "$(gettext "Installing what is missing and building")"
scripts/deps.sh || fail "$(gettext "installing the Debian packages (scripts/deps.sh)")"
demo_catalogue || fail "$(gettext "compiling the messages (po/ja.po)")"
kit_i18n_init
scripts/build.sh "$top/_build/demo" --enable-werror || fail "$(gettext "building (scripts/build.sh _build/demo)")"
CLI_TMP_PREFIX=kinko-demo
BAIL_PREFIX="demo: FAILED:"
FLOW_MODE=demo
# shellcheck source=tests/cli/cli_lib.sh
. "$top/tests/cli/cli_lib.sh"
# shellcheck source=tests/cli/flow.sh
. "$top/tests/cli/flow.sh"
[ -x "$KINKO" ] || fail "$(eval_gettext 'building: $KINKO is missing')"

say "$(gettext "A token maker's attestation CA (kinko-token-emu --make-attestation-ca): it certifies the tokens, the bank trusts it")"
attest_maker "$T/maker"
TOKEN_ATTEST_CA="$T/maker"
BANK_ATTEST_ROOT="$T/maker/attestation-ca.pem"
echo "   $(eval_gettext 'the bank requires a key attestation: only a key generated on such a token is certified ($BANK_ATTEST_ROOT)')"

say "$(eval_gettext 'The bank: kinko-bankd init (bank code $BANK_CODE), contract $CONTRACT added today')"
bank_new main
bank_contract main
echo "   $(gettext "The customer card the bank printed for the admin:")"
sed 's/^/   /' "$(bank_card main)"
bank_start main
BANK_URL=$(bank_url main)
BANK_CA=$(bank_ca main)
BANK_OPTS=(--bank "$BANK_URL" --cacert "$BANK_CA")
CARD=$(bank_card main)
BANK_PID_MAIN=${BANK_PID[main]}
echo "   $(eval_gettext 'serving $BANK_URL (pid $BANK_PID_MAIN); its CA: $BANK_CA')"

say "$(gettext "Two emulated tokens (kinko-token-emu): the admin's and the user's")"
tokens_backend kinko
token_new admin
token_new user
ADMIN_URI=$(token_uri admin)
USER_URI=$(token_uri user)
echo "   $(eval_gettext 'admin: $ADMIN_URI   user: $USER_URI')"
party_secrets admin "$CARD" >/dev/null
party_secrets user >/dev/null
echo "   $(eval_gettext 'credentials: A = $CONTRACT, user ID ニ = $USER_ID; PINs and passwords from $T/secrets-{admin,user}')"

# The manuals' flow (tests/cli/flow.sh): each step named as the manual names it; it ends on
# the user's status screen. The exit trap stops the bank and the tokens and removes $T.
flow_all
exit 0
