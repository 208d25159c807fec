#!/usr/bin/env bash
# kinko's bash completion (data/bash-completion/kinko, from the source tree) run as bash runs
# it: subcommands, second words, options anywhere, files, --token's URIs from two emulated
# tokens (with --module from the line, from a partial URI, quoted or not), never a prompt or
# a hang; and every subcommand and option kinko's own help prints is offered.
. "$(dirname "$0")/cli_lib.sh"
# shellcheck source=tests/lib/completion.sh
. "$(dirname "$0")/../lib/completion.sh"
comp_load kinko
tokens_backend kinko
# The completion runs `kinko` from PATH: the one under test (the build's unless
# KINKO_TEST_BINDIR), with the default module naming nothing.
PATH="$(dirname "$KINKO"):$PATH"
KINKO_MODULE=$T/no-such-module.so
export KINKO_MODULE
plan 33

subs=(token certs pin key enroll renew logon status logoff admin browser help)
globals=(--module --token --pin-file --pin-fd --secrets-file --json --verbose --no-pin-change)

comp "kinko "
comp_is "the subcommands" "${subs[@]}"
comp "kinko --json --module /x p"
comp_is "the subcommand after global options (a value skipped)" pin
comp "kinko token "
comp_is "token: list, info" list info
comp "kinko pin "
comp_is "pin: check, change, unblock" check change unblock
comp "kinko --verbose admin "
comp_is "admin: users, user, issue, revoke" users user issue revoke
comp "kinko admin user "
comp_is "admin user: add, change" add change
comp "kinko browser "
comp_is "browser: setup, status" setup status
comp "kinko key "
comp_is "key: delete" delete
comp "kinko help "
comp_is "help: every subcommand but help" token certs pin key enroll renew logon status logoff admin browser
comp "kinko token list "
comp_is "nothing after token list" 

comp "kinko token list --"
comp_has "global options after a subcommand and its word" "${globals[@]}"
comp "kinko enroll --bank https://b/ --"
comp_has "enroll's options and the global ones" --admin --user --contract-id --key --cacert --max-wait "${globals[@]}"
comp "kinko pin change --p"
comp_is "pin change: --puk among the global --pin-*" --pin-fd --pin-file --puk
comp "kinko browser setup --"
comp_has "browser setup: --bank --trust-bank-ca --remove" --bank --trust-bank-ca --remove
comp "kinko enroll --key "
comp_is "--key: p256, rsa2048" p256 rsa2048

mkdir "$T/files"
: >"$T/files/secrets.txt"
: >"$T/files/second.pem"
comp "kinko --secrets-file $T/files/se"
comp_is "--secrets-file completes a file name" "$T/files/second.pem" "$T/files/secrets.txt"
comp "kinko logon --cacert $T/files/sec"
comp_is "--cacert completes a file name" "$T/files/second.pem" "$T/files/secrets.txt"
comp "kinko --pin-file=$T/files/secr"
comp_is "--pin-file=FILE completes a file name" "$T/files/secrets.txt"

# --- --token: the URIs kinko token list prints ---
token_new a
token_new b
uris=()
mapfile -t uris < <(KINKO_MODULE=$MODULE "$KINKO" --json token list </dev/null |
	sed -n 's/^ *"uri": "\(.*\)",\{0,1\}$/\1/p')
[ ${#uris[@]} -eq 2 ] || bail "token list --json gave ${#uris[@]} URIs"
quoted=()
for u in "${uris[@]}"; do quoted+=("$(printf '%q' "$u")"); done

comp "kinko --token "
comp_is "--token without a module that finds tokens: nothing" 
comp "kinko --module $MODULE --token "
comp_is "--token: both tokens' URIs, quoted for the shell (--module from the line)" "${quoted[@]}"
comp "kinko --module=$MODULE token info --token "
comp_is "--token after --module=PATH and the subcommand" "${quoted[@]}"
KINKO_MODULE=$MODULE comp "kinko --token=pkcs11:"
comp_is "--token=pkcs11: (KINKO_MODULE): the URIs after the colon" "${quoted[@]#pkcs11:}"

# A partial URI: readline replaces what follows the last = or :, so the matches start there.
serial_a=$(sed -n 's/.*;serial=\([0-9]*\);.*/\1/p' <<<"${uris[0]}")
label_a=$(sed -n 's/.*;token=\(.*\)$/\1/p' <<<"${uris[0]}")
label_b=$(sed -n 's/.*;token=\(.*\)$/\1/p' <<<"${uris[1]}")
comp "kinko --module $MODULE --token pkcs11:token=kinko%20PIV"
comp_is "a partial pkcs11:token=kinko%20PIV offers both tokens' token= URIs" "$label_a" "$label_b"
comp "kinko --module $MODULE --token pkcs11:token=$label_a"
comp_is "a whole token= label completes to itself" "$label_a"
first=${uris[0]%%serial=*}serial=
comp "kinko --module $MODULE --token $(printf '%q' "$first")$serial_a"
comp_is "the typed URI prefix (';' backslash-quoted) completes one token" \
	"${quoted[0]#"$(printf '%q' "$first")"}"
comp "kinko --module $MODULE --token 'pkcs11:model=PIV;manufacturer=kinko;serial=$serial_a"
comp_is "in single quotes: the URI as it is (readline closes the quote)" "${uris[0]}"
comp "kinko --module $MODULE --token pkcs11:serial=$serial_a"
comp_is "a partial pkcs11:serial=N completes that token's serial" "$serial_a"

# A locked token and one whose PIN must be changed: listed, no PIN asked.
token_new locked "" --pin-tries 1
token_new fresh "" --pin-must-change
secrets_write "$T/wrong" 11112222
run "$KINKO" --module "$MODULE" --token "${TOK_URI[locked]}" --pin-file "$T/wrong" pin check </dev/null
[ "$RC" -eq 3 ] || bail "the wrong PIN did not lock the token (exit $RC)"
start=$(date +%s)
comp "kinko --module $MODULE --token "
check_quiet "a locked and a must-change token are offered too ($(($(date +%s) - start)) s)" \
	[ "$COMP_N" -eq 4 ]

# A kinko that asks a PIN on the terminal, then on stdin, then hangs: on a terminal (script
# gives one) the completion shows no prompt and returns within its timeout.
mkdir "$T/bad"
cat >"$T/bad/kinko" <<'BAD'
#!/bin/sh
{ printf 'PIN: ' >/dev/tty && read -r pin </dev/tty; } 2>/dev/null
printf 'PIN: '; read -r pin
exec sleep 60
BAD
chmod +x "$T/bad/kinko"
cat >"$T/bad/run.sh" <<BAD
. $(printf '%q' "$COMP_LIB")
. $(printf '%q' "$KINKO_SRCDIR/data/bash-completion/kinko")
COMP_WORDS=(kinko --token ''); COMP_CWORD=2; COMP_LINE='kinko --token '; COMP_POINT=14
PATH=$(printf '%q' "$T/bad"):\$PATH _kinko
echo "done: \${#COMPREPLY[@]} matches"
BAD
start=$(date +%s)
timeout 30 script -qec "bash $(printf '%q' "$T/bad/run.sh")" /dev/null </dev/null >"$T/bad/tty" 2>&1
took=$(($(date +%s) - start))
grep -q 'done: 0 matches' "$T/bad/tty" && ! grep -q 'PIN' "$T/bad/tty"
check_quiet "a kinko asking a PIN: no prompt on the terminal, nothing offered" \
	grep -q 'done: 0 matches' "$T/bad/tty"
grep -q PIN "$T/bad/tty" && diag "$T/bad/tty"
check_quiet "... and no prompt shown" sh -c "! grep -q PIN '$T/bad/tty'"
check_quiet "... and the completion returned after its timeout ($took s < 10 s)" [ "$took" -lt 10 ]

# --- kinko's help and the completion agree: a new subcommand or option must be completed ---
LANG=C "$KINKO" --help >"$T/help" 2>&1
help_subs=$(sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' "$T/help")
help_globals=$(sed -n '/^Global options/,/^$/s/^  \(--[a-z-]*\).*/\1/p' "$T/help")
comp "kinko "
missing=""
for s in $help_subs; do grep -qxF "$s" "$T/comp" || missing+=" $s"; done
[ -z "$missing" ] || echo "# not offered:$missing"
n=$(wc -w <<<"$help_subs")
check_quiet "every subcommand of kinko --help is offered ($n)" [ -z "$missing" -a "$n" -ge 12 ]
missing=""
for s in $help_subs; do
	[ "$s" = help ] && continue
	LANG=C "$KINKO" help "$s" >"$T/help-$s" 2>&1
	# Every option of the subcommand's usage lines (its help up to the first blank line) and
	# option lines ("  --bank URL"; not the prose, which names other subcommands' too), offered
	# after the subcommand or after one of its second words; every second word of its usage
	# lines offered after it.
	comp "kinko $s "
	seconds=$(cat "$T/comp")
	: >"$T/offered"
	for w in "" $seconds; do
		comp "kinko $s $w --"
		cat "$T/comp" >>"$T/offered"
	done
	opts=$({
		sed '/^$/q' "$T/help-$s"
		grep -E '^  --[a-z]' "$T/help-$s" | awk '{ print $1 }'
	} | grep -o -- '--[a-z][a-z-]*' | sort -u)
	for o in $help_globals $opts; do
		grep -qxF -- "$o" "$T/offered" || missing+=" $s:$o"
	done
	for w in $(sed -n "s/^\(Usage:\)\{0,1\} *kinko \[GLOBAL OPTIONS\] $s \([a-z][a-z]*\).*/\2/p" "$T/help-$s"); do
		grep -qxF -- "$w" <<<"$seconds" || missing+=" $s:$w"
	done
done
[ -z "$missing" ] || echo "# not offered:$missing"
check_quiet "every option and second word of kinko help SUBCOMMAND is offered" [ -z "$missing" ]
