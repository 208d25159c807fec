# shellcheck shell=bash
# The shell side of the completion tests (tests/cli/test_cli_completion.sh,
# tests/bank/test_bankd_completion.sh): bash-completion's library and one of kinko's scripts
# from the source tree, and a completion run as bash runs it, without a terminal.
#
#   comp_load SCRIPT     load bash_completion and data/bash-completion/SCRIPT (skip_all
#                        when bash-completion is not installed)
#   comp LINE            complete LINE with the cursor at its end, as bash would on TAB:
#                        the matches one a line in $T/comp (sorted), their count in COMP_N
#   comp_has NAME WORD...     ok when every WORD is a match of the last comp
#   comp_is NAME WORD...      ok when the matches are exactly the WORDs
COMP_LIB=/usr/share/bash-completion/bash_completion

comp_load() {
	[ -r "$COMP_LIB" ] || need_missing "bash-completion not installed ($COMP_LIB)"
	set +u
	# shellcheck disable=SC1090
	. "$COMP_LIB"
	# shellcheck disable=SC1090
	. "$KINKO_SRCDIR/data/bash-completion/$1" || { echo "Bail out! cannot load $1"; exit 1; }
	set -u
	COMP_FUNC=$(complete -p "$1" 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
	[ -n "$COMP_FUNC" ] || { echo "Bail out! $1 registers no completion function"; exit 1; }
}

# comp_split LINE: COMP_WORDS as bash splits the line: at blanks, and each run of the
# COMP_WORDBREAKS characters = and : a word of its own, never inside quotes or after a backslash.
comp_split() {
	local line="$1" w="" q="" c i
	COMP_WORDS=()
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		if [ -n "$q" ]; then
			w+=$c
			[ "$c" = "$q" ] && q=""
			continue
		fi
		case $c in
		\\) w+=$c${line:i+1:1}; i=$((i + 1)) ;;
		\' | \") w+=$c; q=$c ;;
		' ') [ -z "$w" ] || COMP_WORDS+=("$w"); w="" ;;
		= | :)
			if [[ $w == *[=:] ]]; then w+=$c; continue; fi
			[ -z "$w" ] || COMP_WORDS+=("$w")
			w=$c
			# At the end of the line the break characters are the word being completed.
			[[ ${line:i+1:1} == [=:] ]] || [ $((i + 1)) -eq ${#line} ] || { COMP_WORDS+=("$w"); w=""; }
			;;
		*)
			[[ $w == [=:]* ]] && { COMP_WORDS+=("$w"); w=""; }
			w+=$c
			;;
		esac
	done
	COMP_WORDS+=("$w")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}

comp() {
	local COMP_WORDS COMP_CWORD COMP_LINE="$1" COMP_POINT=${#1} COMPREPLY=()
	comp_split "$1"
	(
		set +u
		"$COMP_FUNC" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"
	) 2>"$T/comp.err" | LC_ALL=C sort >"$T/comp"
	COMP_N=$(wc -l <"$T/comp")
}

comp_has() {
	local name="$1" missing
	shift
	# The WORDs that are no whole line of the matches.
	missing=$(printf '%s\n' "$@" | grep -vxF -f "$T/comp")
	[ -z "$missing" ] && { ok "$name"; return 0; }
	not_ok "$name"
	printf '# not offered: %s\n' $missing
	diag "$T/comp" 30
	diag "$T/comp.err" 5
}

comp_is() {
	local name="$1"
	shift
	if [ "$(printf '%s\n' "$@" | LC_ALL=C sort)" = "$(cat "$T/comp")" ]; then
		ok "$name"
	else
		not_ok "$name"
		echo "# expected: $*"
		diag "$T/comp" 30
		diag "$T/comp.err" 5
	fi
}
