#!/usr/bin/env bash
# kinko's progress lines end cleanly: enroll and logon with stderr to a file and under a
# pseudo-terminal (tests/lib/pty_drive.py): every progress line is a whole line ("…sending the
# certificate request to the bank…certificate obtained" ran together before), no spinner
# character is left behind, and without a terminal there is no spinner at all (no \r, \b,
# escape sequences in the file).
CLI_TMP_PREFIX=kinko-cli-progress
. "$(dirname "$0")/cli_lib.sh"
need python3

plan 8

tokens_backend kinko
token_new file
token_new tty
bank_new bf; bank_contract bf; bank_start bf
bank_new bt; bank_contract bt; bank_start bt
secrets_write "$T/sec-file" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card bf)"
secrets_write "$T/sec-tty" "token_pin=$TOKEN_PIN" "contract_pin=$CONTRACT_PIN" \
	"contract_confirmation_pin=$CONTRACT_CONF_PIN" "card_file=$(bank_card bt)"

# pty_run OUTFILE ARGS...: kinko under a new pseudo-terminal (its controlling terminal, and
# its stdout and stderr; tests/lib/pty_drive.py, nothing typed); everything it wrote, raw, in
# OUTFILE; RC its exit status.
pty_run() {
	local out="$1"
	shift
	python3 "$DRIVE" "$out" 60 -- "$KINKO" "$@"
	RC=$?
}

# lines_clean NAME FILE tty|file: render FILE as a terminal shows it (\r, \b, ESC[K), then
# every line holding "…" ends with it (nothing ran on), no line is a lone spinner character
# or ends with one after the message; a file (not a terminal) holds no \r, \b or ESC at all.
lines_clean() {
	local why
	why=$(python3 - "$2" "$3" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
if sys.argv[2] == "file" and any(c in raw for c in "\r\b\x1b"):
    print("control characters in a log: %r" % [c for c in raw if c in "\r\b\x1b"][:5]); sys.exit(0)
lines, cur, col, i = [], [], 0, 0
while i < len(raw):
    c = raw[i]
    if raw.startswith("\x1b[K", i) or raw.startswith("\x1b[0K", i):
        del cur[col:]; i += 3 if raw[i + 2] == "K" else 4; continue
    if c == "\n":
        lines.append("".join(cur)); cur, col = [], 0
    elif c == "\r":
        col = 0
    elif c == "\b":
        col = max(0, col - 1)
    else:
        if col < len(cur): cur[col] = c
        else: cur.append(c)
        col += 1
    i += 1
if cur: lines.append("".join(cur))
spin = set("|/-\\")
for l in lines:
    s = l.rstrip()
    if "…" in s and (not s.endswith("…") or s.count("…") != 1):
        print("a progress line runs on: %r" % l); sys.exit(0)
    if s and set(s) <= spin | {" "}:
        print("a spinner character is left: %r" % l); sys.exit(0)
    if len(s) > 1 and s[-1] in spin and s[-2] in " …":
        print("a spinner character is left: %r" % l); sys.exit(0)
PY
)
	if [ -z "$why" ]; then ok "$1"; else not_ok "$1"; echo "# $why"; diag "$2"; fi
}

# Without a terminal: stderr to a file.
kf() { timeout -k 5 60 setsid -w "$KINKO" --module "$MODULE" --token "$(token_uri file)" \
	--secrets-file "$T/sec-file" "$@"; }
kf enroll --bank "$(bank_url bf)" --cacert "$(bank_ca bf)" --admin --contract-id "$CONTRACT" \
	>"$T/enroll.out" 2>"$T/enroll.err"
RC=$?
cp "$T/enroll.err" "$T/out"
check_rc_out "enroll with stderr to a file succeeds and says it sends the request" 0 \
	"sending the certificate request to the bank…"
lines_clean "enroll, stderr to a file: whole progress lines, no spinner" "$T/enroll.err" file
kf logon --bank "$(bank_url bf)" >"$T/logon.out" 2>"$T/logon.err"
RC=$?
cp "$T/logon.err" "$T/out"
check_rc_out "logon with stderr to a file succeeds" 0
lines_clean "logon, stderr to a file: whole progress lines" "$T/logon.err" file

# Under a terminal (RSA-2048: the longer generation, so the spinner turns).
pty_run "$T/enroll.tty" --module "$MODULE" --token "$(token_uri tty)" --secrets-file "$T/sec-tty" \
	enroll --bank "$(bank_url bt)" --cacert "$(bank_ca bt)" --admin --contract-id "$CONTRACT" \
	--key rsa2048
cp "$T/enroll.tty" "$T/out"
check_rc_out "enroll under a terminal succeeds" 0 "certificate obtained"
lines_clean "enroll under a terminal: whole progress lines, the spinner erased" "$T/enroll.tty" tty
pty_run "$T/logon.tty" --module "$MODULE" --token "$(token_uri tty)" --secrets-file "$T/sec-tty" \
	logon --bank "$(bank_url bt)"
cp "$T/logon.tty" "$T/out"
check_rc_out "logon under a terminal succeeds" 0
lines_clean "logon under a terminal: whole progress lines" "$T/logon.tty" tty
