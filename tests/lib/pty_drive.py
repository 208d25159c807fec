#!/usr/bin/env python3
"""Run a command on a pseudo-terminal and answer its prompts, as a user at a terminal would.

pty_drive.py TRANSCRIPT TIMEOUT [EXPECT SEND ...] -- COMMAND [ARGS...]

The command runs on a new pseudo-terminal (its controlling terminal, stdin, stdout, stderr).
Each EXPECT is a regular expression awaited in the output (after the previous match); then
SEND and a newline are typed. SEND may be "@none": nothing typed (only awaited); "@ctrl-c":
the terminal's interrupt character alone (SIGINT to the command); or "@choose=TEXT": the number of the listed line "  N) ...TEXT..." (a numbered list), or
"@card=FILE": the digits of the customer card FILE at the two positions of the last
"digits at XN and YN" prompt. With no EXPECT SEND pair at all the command just runs to its
end. Everything the terminal showed is written to TRANSCRIPT, raw: carriage returns,
backspaces and escape sequences kept, what was typed only where the terminal echoed it. The
exit status is the command's; 124 when an EXPECT was not seen (by TIMEOUT seconds or the
command's end); 128+N when it died of signal N (SIGKILL when it ran past TIMEOUT seconds).
With PTY_DRIVE_ECHO_FILE set, the terminal's echo as the command left it ("on" or "off") is
written to that file. With PTY_DRIVE_PID_FILE set, the command's pid is written to that file
once every EXPECT was seen: a test run in the background learns when the command waits at its
prompt, and which process to look at or signal while it does.

The one pseudo-terminal driver of the tests (tests/cli/, tests/bank/).
"""
import os
import pty
import re
import select
import sys
import termios
import time


def card_digits(path, text):
    pos = re.findall(r"digits at ([A-E][0-9]) and ([A-E][0-9])", text)[-1]
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 11 and f[0] in "ABCDE" and len(f[0]) == 1:
            rows[f[0]] = f[1:]
    return "".join(rows[p[0]][int(p[1])] for p in pos)


def answer(send, text):
    if send.startswith("@choose="):
        want = re.escape(send[len("@choose="):])
        return re.findall(r"^\s*([0-9]+)\) .*" + want, text, re.M)[-1]
    if send.startswith("@card="):
        return card_digits(send[len("@card="):], text)
    return send


def main():
    transcript, timeout = sys.argv[1], float(sys.argv[2])
    sep = sys.argv.index("--")
    pairs = sys.argv[3:sep]
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    seen = 0
    status = None
    deadline = time.time() + timeout

    def read_some(wait):
        nonlocal out
        r, _, _ = select.select([fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        out += data
        return True

    alive = True
    for i in range(0, len(pairs), 2):
        expect, send = re.compile(pairs[i]), pairs[i + 1]
        while alive and not expect.search(out.decode("utf-8", "replace"), seen):
            if time.time() > deadline:
                break
            alive = read_some(0.1)
        m = expect.search(out.decode("utf-8", "replace"), seen)
        if m is None:
            status = 124
            break
        seen = m.end()
        if send == "@none":
            continue
        if send == "@ctrl-c":  # the terminal's interrupt character: SIGINT to the command
            time.sleep(0.05)
            os.write(fd, b"\x03")
            continue
        time.sleep(0.05)  # the prompt is up and echo is off before we type
        os.write(fd, (answer(send, out.decode("utf-8", "replace")) + "\n").encode())
    if status is None and os.environ.get("PTY_DRIVE_PID_FILE"):
        with open(os.environ["PTY_DRIVE_PID_FILE"] + ".new", "w") as f:
            f.write("%d\n" % pid)
        os.rename(os.environ["PTY_DRIVE_PID_FILE"] + ".new", os.environ["PTY_DRIVE_PID_FILE"])
    while alive and time.time() < deadline:
        alive = read_some(0.2)
    if os.environ.get("PTY_DRIVE_ECHO_FILE"):  # the terminal's echo as the command left it
        try:
            on = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
            state = "on" if on else "off"
        except OSError:
            state = "unknown"
        with open(os.environ["PTY_DRIVE_ECHO_FILE"], "w") as f:
            f.write(state + "\n")
    if alive:
        os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    if status is None:
        status = os.waitstatus_to_exitcode(st)
    with open(transcript, "wb") as f:
        f.write(out)
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
