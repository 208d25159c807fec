#!/usr/bin/env python3
"""Runs a program under the system call filter a systemd unit gives its service.

usage: unit_filter.py UNIT PROGRAM [ARG...]

Without systemd as init (a test root), this stands in for what systemd applies at ExecStart:
UNIT's SystemCallFilter= lines (allow lists, then ~deny lists, groups expanded by
`systemd-analyze syscall-filter`) and SystemCallErrorNumber= (else the process is killed),
loaded with libseccomp, then PROGRAM exec'd in its place (same pid).
"""
import errno
import os
import re
import subprocess
import sys

import seccomp


def groups():
    """Every @group of systemd-analyze: its members, syscalls and @groups."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    table, name = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            name = line.split()[0]
            table[name] = []
        elif name and line.strip() and not line.strip().startswith("#"):
            table[name].append(line.strip())
    return table


def expand(words, table, seen=None):
    seen = set() if seen is None else seen
    calls = set()
    for w in words:
        if w.startswith("@"):
            if w not in seen:
                seen.add(w)
                calls |= expand(table[w], table, seen)
        else:
            calls.add(w)
    return calls


def unit_filter(unit):
    allow, deny, action = None, set(), seccomp.KILL_PROCESS
    table = groups()
    for line in open(unit, encoding="utf-8"):
        m = re.match(r"\s*SystemCallFilter=(~?)(.*)", line)
        if m:
            calls = expand(m.group(2).split(), table)
            if m.group(1):
                deny |= calls
            else:
                allow = calls if allow is None else allow | calls
        m = re.match(r"\s*SystemCallErrorNumber=(\w+)", line)
        if m:
            action = seccomp.ERRNO(getattr(errno, m.group(1)))
    if allow is None:
        sys.exit(f"unit_filter.py: {unit} has no SystemCallFilter allow list")
    return allow - deny, action


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    allowed, action = unit_filter(sys.argv[1])
    f = seccomp.SyscallFilter(defaction=action)
    for call in sorted(allowed):
        try:
            f.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError):
            pass  # a name this architecture or libseccomp does not have
    f.load()
    os.execv(sys.argv[2], sys.argv[2:])


main()
