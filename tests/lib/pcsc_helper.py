#!/usr/bin/env python3
"""The test kit's helpers for its private pcscd (tests/lib/pcsc.sh).

  pcsc_helper.py ports N
      N free base ports, one per line: a vpcd reader at PORT listens on PORT and PORT+1 (its
      two slots) on every address, so both must be free. Taken from 20000-32767, below
      Linux's ephemeral range, so outgoing connections do not take them meanwhile.
  pcsc_helper.py activate SOCKET COMMAND...
      binds the UNIX socket SOCKET and execs COMMAND with it as fd 3, LISTEN_FDS=1 and
      LISTEN_PID = this process's pid, which exec keeps: systemd's socket activation, so
      pcscd serves SOCKET instead of /run/pcscd/pcscd.comm.
"""
import os
import random
import socket
import sys


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ports(n):
    found = []
    tries = 0
    while len(found) < n:
        tries += 1
        if tries > 2000:
            sys.exit("pcsc_helper: no free port pair found")
        base = random.randrange(20000, 32766, 2)
        if base in found or base + 1 in found or base - 1 in found:
            continue
        if port_free(base) and port_free(base + 1):
            found.append(base)
    print("\n".join(str(p) for p in found))


def activate(path, argv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s.bind(path)
    s.listen(64)
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "ports":
        ports(int(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "activate":
        activate(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
