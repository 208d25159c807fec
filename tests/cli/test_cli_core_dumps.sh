#!/usr/bin/env bash
# kinko holds token PINs and bank secrets in memory: it always runs with RLIMIT_CORE 0 and
# non-dumpable (no core file, no /proc/PID/mem for other processes of the user). Seen from
# outside while kinko waits at the token PIN prompt on a pseudo-terminal. As root the probe and
# kinko both run without CAP_SYS_PTRACE (setpriv), which would open /proc/PID/mem anyway.
. "$(dirname "$0")/cli_lib.sh"
need python3
[ "$(id -u)" != 0 ] || need setpriv
[ -x "$KINKO" ] || bail "$KINKO not built"

plan 3
tokens_backend kinko
token_new t1
# A core limit to inherit that is not 0, so that kinko's own limit shows.
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
NOPTRACE=()
[ "$(id -u)" = 0 ] && NOPTRACE=(setpriv --bounding-set=-sys_ptrace)
"${NOPTRACE[@]}" python3 - "$T/probe" "$KINKO" --module "$MODULE" pin check <<'PY'
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
seen, deadline = b"", time.time() + 30
while b"PIN: " not in seen and time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
res = {"prompt": "yes" if b"PIN: " in seen else "no", "core": "?", "mem": "?"}
try:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max core file size"):
            res["core"] = " ".join(line.split()[4:6])
    open(f"/proc/{pid}/mem", "rb").close()
    res["mem"] = "open"
except PermissionError:
    res["mem"] = "refused"
except OSError:
    pass
os.kill(pid, 15)
os.waitpid(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("".join(f"{k}={v}\n" for k, v in res.items()))
PY
check "kinko pin check waits at the token PIN prompt on a terminal" grep -qx "prompt=yes" "$T/probe"
check "kinko's core file size limit is 0 (soft and hard)" grep -qx "core=0 0" "$T/probe"
check "kinko is not dumpable: its /proc/PID/mem is refused to its own user" grep -qx "mem=refused" "$T/probe"
