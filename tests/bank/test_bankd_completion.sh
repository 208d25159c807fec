#!/usr/bin/env bash
# kinko-bankd's bash completion (data/bash-completion/kinko-bankd, from the source tree) run
# as bash runs it: the commands, contract's second words, each command's options, directories
# after --dir, files, the fixed values; and every command and option of kinko-bankd --help is
# offered.
set -u
B=${KINKO_BUILDDIR:?}
KINKO_SRCDIR=${KINKO_SRCDIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/kinko-bankd-comp.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$KINKO_SRCDIR/tests/lib/tap.sh"
# shellcheck source=tests/lib/completion.sh
. "$KINKO_SRCDIR/tests/lib/completion.sh"
comp_load kinko-bankd
plan 14

comp "kinko-bankd "
comp_is "the commands and the global options" init contract serve --allow-core-dumps --help --version
comp "kinko-bankd --allow-core-dumps "
comp_is "the commands after --allow-core-dumps" init contract serve --allow-core-dumps --help --version
comp "kinko-bankd contract "
comp_is "contract: add, list, show, unlock, approve, revoke" add list show unlock approve revoke
comp "kinko-bankd contract revoke --dir d --"
comp_is "contract revoke's options" --allow-core-dumps --help --dir --contract-id --user-id --reason
comp "kinko-bankd init --ca-key "
comp_is "--ca-key: p256, rsa3072" p256 rsa3072
comp "kinko-bankd contract add --approval "
comp_is "--approval: auto, manual" auto manual
comp "kinko-bankd contract add --dir d --attestation=o"
comp_is "--attestation=: optional, off" optional off
comp "kinko-bankd contract revoke --reason "
comp_is "--reason: the CRL reasons" cessationOfOperation keyCompromise superseded unspecified

mkdir -p "$T/files/bank-a" "$T/files/bank-b"
: >"$T/files/bank-secrets"
: >"$T/files/roots.pem"
comp "kinko-bankd serve --dir $T/files/ba"
comp_is "--dir: directories only" "$T/files/bank-a" "$T/files/bank-b"
comp "kinko-bankd contract add --secrets-file $T/files/bank-"
comp_is "--secrets-file: files" "$T/files/bank-a" "$T/files/bank-b" "$T/files/bank-secrets"
comp "kinko-bankd init --attestation-root $T/files/r"
comp_is "--attestation-root: files" "$T/files/roots.pem"
comp "kinko-bankd serve --port-file=$T/files/r"
comp_is "--port-file=FILE: files" "$T/files/roots.pem"

# --- kinko-bankd --help and the completion agree: each usage line's command words are
# offered in turn, and each of its options after them. ---
LANG=C "$B/kinko-bankd" --help >"$T/help" 2>&1
sed -n '/^Usage:/,/^Global option/p' "$T/help" | awk '
	/^  kinko-bankd / { if (e != "") print e; e = $0; next }
	/^   / { e = e " " $0 }
	END { if (e != "") print e }' >"$T/usage"
missing=""
n=0
while read -r _ line; do
	words=""
	for w in $(grep -o -- '--[a-z][a-z-]*\|^[a-z][a-z ]*' <<<"$line"); do
		case $w in
		--*)
			comp "kinko-bankd $words--"
			grep -qxF -- "$w" "$T/comp" || missing+=" [$words]$w"
			;;
		[a-z]*)
			comp "kinko-bankd $words"
			grep -qxF -- "$w" "$T/comp" || missing+=" [$words]$w"
			words+="$w "
			;;
		esac
	done
	n=$((n + 1))
done <"$T/usage"
for w in $(sed -n '/^Global option/,/^$/s/^  \(--[a-z-]*\).*/\1/p' "$T/help"); do
	comp "kinko-bankd serve --"
	grep -qxF -- "$w" "$T/comp" || missing+=" [serve]$w"
done
[ -z "$missing" ] || echo "# not offered:$missing"
check_quiet "every command and option of the $n usage lines of kinko-bankd --help is offered" \
	[ -z "$missing" -a "$n" -ge 9 ]
comp "kinko-bankd serve --"
comp_is "serve's options" --allow-core-dumps --help --dir --listen --port-file --public-url \
	--max-connections --auth-fail-limit
