#!/usr/bin/env bash
# The C sources under $KINKO_FORMAT_DIRS are formatted as .clang-format says (one result per
# file, clang-format's first complaints under a failing one), and that style is the one in use.
# Run by `make check` and by `make format-check`, which sets KINKO_FORMAT_REQUIRED so that a
# missing clang-format fails there instead of skipping.
set -u
SRC="${KINKO_SRCDIR:-.}"
# shellcheck source=tests/lib/tap.sh
. "$SRC/tests/lib/tap.sh"

# The style was tuned on clang-format 14; another version formats some lines otherwise.
CF="${CLANG_FORMAT:-}"
why=""
if [ -z "$CF" ] || ! command -v "$CF" >/dev/null 2>&1; then
	why="clang-format not found (scripts/deps.sh installs clang-format-14)"
elif ! "$CF" --version | grep -q ' version 14\.'; then
	why="the style is clang-format 14's, found: $("$CF" --version | head -n 1)"
fi
if [ -n "$why" ]; then
	if [ -n "${KINKO_FORMAT_REQUIRED:-}" ]; then
		echo "format-check: $why" >&2
		exit 1
	fi
	skip_all "$why"
fi

cd "$SRC" || exit 1
files=()
# A directory a partial tarball (make dist with parts disabled) lacks has nothing to check.
for d in ${KINKO_FORMAT_DIRS:-}; do
	[ -d "$d" ] || continue
	while IFS= read -r f; do files+=("$f"); done < <(find "$d" -name '*.[ch]' | LC_ALL=C sort)
done
plan $((${#files[@]} + 2))

# A sample as a file of tools/bankd, so that .clang-format is looked up from there.
sample() { printf '%b' "$1" | "$CF" --style=file --assume-filename=tools/bankd/sample.c --dry-run -Werror >/dev/null 2>&1; }
if sample 'int f(void)\n{\n\treturn 0;\n}\n'; then ok "a function in the project's style passes"; else not_ok "a function in the project's style passes"; fi
if sample 'int f(void) {\n  return 0;\n}\n'; then not_ok "a function in LLVM's default style is refused"; else ok "a function in LLVM's default style is refused"; fi

failed=0
for f in "${files[@]}"; do
	if out=$("$CF" --style=file --dry-run -Werror "$f" 2>&1); then
		ok "$f is formatted as .clang-format says"
	else
		not_ok "$f is formatted as .clang-format says"
		printf '%s\n' "$out" | head -n 12 | sed 's/^/# /'
		failed=1
	fi
done
exit "$failed"
