# The shared kit of the tests: tap.sh the TAP output and checks of the shell tests (cli, bank,
# interop); proc.sh waits for and stops their background processes; emu.sh the emulated token
# they serve (emu_init, emu_serve); bank.sh the bank they share (bank_serve, card_digits);
# pty_drive.py runs a command on a pseudo-terminal and answers its prompts (tests/cli/ and
# tests/bank/); idle_flood.py holds idle connections against kinko-bankd (test and bench);
# i18n.sh the shell side of the text domain (demo, flow, the Japanese tests); pcsc.sh a private
# pcscd with vsmartcard-vpcd readers (pcsc_helper.py its ports and socket activation). test_kit.sh pins
# the kit's own helpers.
EXTRA_DIST += tests/lib/tap.sh tests/lib/proc.sh tests/lib/emu.sh tests/lib/bank.sh tests/lib/pty_drive.py \
	tests/lib/idle_flood.py tests/lib/i18n.sh tests/lib/pcsc.sh tests/lib/pcsc_helper.py
# completion.sh runs a bash completion as bash does (tests/cli/, tests/bank/).
EXTRA_DIST += tests/lib/completion.sh
TESTS += tests/lib/test_kit.sh
EXTRA_DIST += tests/lib/test_kit.sh
# The scripted pinentry (pinentry_script.c): answers GETPIN from PINENTRY_SCRIPT (one mode,
# or file:PATH with one mode per conversation) and logs what it was sent; the module's tests
# and the browser tests run it through KINKO_PINENTRY.
check_PROGRAMS += tests/lib/pinentry_script
tests_lib_pinentry_script_SOURCES = tests/lib/pinentry_script.c
