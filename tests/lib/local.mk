# The shared kit of the tests: pty_drive.py runs a command on a pseudo-terminal and answers its
# prompts (tests/cli/ and tests/bank/). Nothing here is a test of its own.
EXTRA_DIST += tests/lib/pty_drive.py
