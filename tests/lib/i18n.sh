# shellcheck shell=bash
# The test kit's language helpers (sourced): the shell side of kinko's text domain, so the demo
# and the flow's step names follow the user's locale like kinko's own messages (po/ja.po).
#
#   kit_i18n_init          gettext / eval_gettext from gettext.sh, text domain kinko, catalogues
#                          from $KINKO_LOCALEDIR (else the build's tests/locale); without
#                          gettext-base they print the English text
#   kit_ja_locale          true when ja_JP.UTF-8 is installed (locale -a)
#   kit_ja_or_skip_all N   prints "1..0 # SKIP ..." and exits when it is not

kit_i18n_init() {
	export TEXTDOMAIN=kinko
	export TEXTDOMAINDIR="${KINKO_LOCALEDIR:-${KINKO_BUILDDIR:-.}/tests/locale}"
	# shellcheck disable=SC1091
	if command -v gettext.sh >/dev/null 2>&1 && . gettext.sh 2>/dev/null; then
		return 0
	fi
	gettext() { printf '%s' "$1"; }
	eval_gettext() { eval "printf '%s' \"$1\""; }
}

kit_ja_locale() {
	locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'
}

kit_ja_or_skip_all() {
	if ! kit_ja_locale; then
		echo "1..0 # SKIP the ja_JP.UTF-8 locale is not installed (scripts/deps.sh generates it as root)"
		exit 0
	fi
}
