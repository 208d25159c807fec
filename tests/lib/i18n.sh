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

# kit_english_leaks FILE [WORDS]: the lines of FILE with WORDS (default 3) lowercase English
# words in a row — a sentence left untranslated — once what reads the same in every language
# is taken out: URIs and paths, CKR_ names, command lines of kinko, kinko-bankd and
# kinko-token-emu, and the test bank's own data (its name, the company, the slot label).
# Prints those lines; prints nothing when there are none.
kit_english_leaks() {
	local n=${2:-3} i pat='[a-z]{2,}'
	for ((i = 1; i < n; i++)); do pat="$pat +[a-z]{2,}"; done
	sed -E 's#(pkcs11:|https?://|/)[^ ]*##g; s#CKR_[A-Z_]+##g
		s/ACME Trading K\.K\.|Kinko Shinkin \(main\)|PIV Authentication//g
		s/kinko(-bankd|-token-emu)?( +(-[-a-z]*|[a-z][a-z0-9-]*|[A-Z][A-Z_]*|\[[^]]*\]))+//g' "$1" |
		grep -E "$pat"
}
