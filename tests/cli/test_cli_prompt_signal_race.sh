#!/usr/bin/env bash
# A signal that lands between the no-echo prompt's write and its read still ends kinko at once.
# The window is made wide on purpose: strace holds the prompt's write(2) on its way back for
# 1.5 s (inject delay_exit) while SIGTERM is sent, so the handler runs before the read starts.
# Before the fix kinko's read then waited for a line forever (test_cli_core_dumps hung on a
# loaded machine the same way); now the signals are blocked until ppoll waits, which takes them
# atomically.
. "$(dirname "$0")/cli_lib.sh"
need python3
need strace
[ -x "$KINKO" ] || bail "$KINKO not built"
[ "${KINKO_SANITIZED:-0}" != 1 ] || skip_all "sanitizer build: strace's delays and ASan's runtime do not mix well"
strace -qq -o /dev/null true 2>/dev/null || skip_all "strace cannot trace here (ptrace not allowed)"

plan 2
tokens_backend kinko
token_new t1

python3 - "$T/probe" strace -qq -o /dev/null -e trace=write -e inject=write:delay_exit=1500000 \
	"$KINKO" --module "$MODULE" pin check <<'PY'
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen, deadline = b"", time.time() + 30
while b"PIN: " not in seen and time.time() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
res = {"prompt": "yes" if b"PIN: " in seen else "no", "ended": "no"}
# strace's child is kinko: signal it, not strace (pty.fork's child is strace).
kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
target = int(kids[0]) if kids else pid
os.kill(target, 15)
end = time.time() + 8
while time.time() < end:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            os.read(fd, 4096)
        except OSError:
            pass
    if os.waitpid(pid, os.WNOHANG)[0]:
        res["ended"] = "yes"
        break
if res["ended"] == "no":
    os.kill(target, 9)
    os.waitpid(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("".join(f"{k}={v}\n" for k, v in res.items()))
PY
check "kinko waits at the token PIN prompt (its write held by strace)" grep -qx "prompt=yes" "$T/probe"
check "SIGTERM between the prompt's write and its read ends kinko within seconds" grep -qx "ended=yes" "$T/probe"
