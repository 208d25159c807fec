# kinko CLI tests (seed flows on the module and on SoftHSM2, unhappy paths).
# token list/info, certs, pin check/change/unblock, forced change, help.
TESTS += tests/cli/test_cli_token.sh
EXTRA_DIST += tests/cli/test_cli_token.sh
# The token commands in Japanese: help, certs' dates, a wrong token PIN, --json alike.
TESTS += tests/cli/test_cli_ja_token.sh
EXTRA_DIST += tests/cli/test_cli_ja_token.sh
# A signal between the no-echo prompt's write and its read still ends kinko (strace widens it).
TESTS += tests/cli/test_cli_prompt_signal_race.sh
EXTRA_DIST += tests/cli/test_cli_prompt_signal_race.sh
# The exact PIN/PUK tries left from kinko's vendor PIN counters, also through p11-kit.
TESTS += tests/cli/test_cli_pin_tries.sh
EXTRA_DIST += tests/cli/test_cli_pin_tries.sh
# pkcs11: URIs both ways: kinko's in p11tool and libp11, p11tool's in kinko.
TESTS += tests/cli/test_cli_uri.sh
EXTRA_DIST += tests/cli/test_cli_uri.sh
# --json: every subcommand's error is one JSON object with "exit".
TESTS += tests/cli/test_cli_json.sh
EXTRA_DIST += tests/cli/test_cli_json.sh
# kinko certs: expired and revoked (the bank's CRL) certificates, keys without one.
TESTS += tests/cli/test_cli_certs.sh
EXTRA_DIST += tests/cli/test_cli_certs.sh
# kinko key delete and kinko pin change --puk on kinko's module and SoftHSM2.
TESTS += tests/cli/test_cli_keys.sh
EXTRA_DIST += tests/cli/test_cli_keys.sh
# "No token found" says where kinko looked and what to check.
TESTS += tests/cli/test_cli_notoken.sh
EXTRA_DIST += tests/cli/test_cli_notoken.sh
# Secrets never on the command line; secrets/PIN files others can read; stale PIN file.
TESTS += tests/cli/test_cli_secrets.sh
EXTRA_DIST += tests/cli/test_cli_secrets.sh
# Progress lines end cleanly, with stderr to a file and under a pty; the spinner erases itself.
TESTS += tests/cli/test_cli_progress.sh
EXTRA_DIST += tests/cli/test_cli_progress.sh
# logon, status, admin operations, logoff against kinko-bankd, on the module and SoftHSM2.
TESTS += tests/cli/test_cli_logon.sh
EXTRA_DIST += tests/cli/test_cli_logon.sh
# enroll (admin, key types, CA kept, Retry-After) and its rollback on every failure, on the
# module and SoftHSM2.
TESTS += tests/cli/test_cli_enroll.sh
EXTRA_DIST += tests/cli/test_cli_enroll.sh
# The seed flow end to end (the same script body on kinko's module + emulators and on SoftHSM2),
# renewal, the unhappy paths; cli_lib.sh and flow.sh are shared with demo.sh.
CLI_FLOW_TESTS = tests/cli/test_cli_flow_kinko.sh tests/cli/test_cli_flow_softhsm.sh \
	tests/cli/test_cli_renew.sh tests/cli/test_cli_renew_softhsm.sh tests/cli/test_cli_unhappy.sh \
	tests/cli/test_cli_removal.sh
TESTS += $(CLI_FLOW_TESTS)
EXTRA_DIST += $(CLI_FLOW_TESTS) tests/cli/cli_lib.sh tests/cli/flow.sh
# kinko's PKCS#11 layer on kinko's module and on SoftHSM2: generate, sign, certificates, full.
check_PROGRAMS += tests/cli/kinko-p11-check
tests_cli_kinko_p11_check_SOURCES = tests/cli/kinko_p11_check.c
tests_cli_kinko_p11_check_CFLAGS = $(KINKO_CLI_CFLAGS) -I$(top_srcdir)/tools/kinko
tests_cli_kinko_p11_check_LDADD = $(KINKO_CLI_LIBS)
TESTS += tests/cli/test_cli_p11.sh
EXTRA_DIST += tests/cli/test_cli_p11.sh
# renew step by step: out of reach, the old key removed after the logon, a failed logon keeps
# both; on the module and SoftHSM2.
TESTS += tests/cli/test_cli_renew_steps.sh
EXTRA_DIST += tests/cli/test_cli_renew_steps.sh
# kinko's CSR (signed through the PKCS#11 layer: a software key in its place) and EST answer
# parsing, Retry-After.
check_PROGRAMS += tests/cli/test_kinko_csr_est
tests_cli_test_kinko_csr_est_SOURCES = tests/cli/test_kinko_csr_est.c tests/cli/cli_doubles.c
tests_cli_test_kinko_csr_est_CFLAGS = $(KINKO_CLI_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tools/kinko
tests_cli_test_kinko_csr_est_LDADD = $(KINKO_CLI_LIBS) $(CMOCKA_LIBS)
TESTS += tests/cli/test_kinko_csr_est
# What kinko asks and in which order: the token first (a numbered list on a terminal), bank
# secrets and card digits of the wrong form asked again on a terminal (a pty driver).
TESTS += tests/cli/test_cli_ask.sh
EXTRA_DIST += tests/cli/test_cli_ask.sh
# Bank sessions, one per bank and certificate: two tokens (and two certificates of one token)
# logged on to the same bank; status/logoff find and name the session meant.
TESTS += tests/cli/test_cli_sessions.sh
EXTRA_DIST += tests/cli/test_cli_sessions.sh
# SIGINT/SIGTERM/SIGHUP during a pending enrollment: the new key removed, exit 128 + signal.
TESTS += tests/cli/test_cli_signals.sh
EXTRA_DIST += tests/cli/test_cli_signals.sh
# Ctrl-C at a no-echo prompt: kinko ends at once and the terminal's echo comes back.
TESTS += tests/cli/test_cli_prompt_signal.sh
EXTRA_DIST += tests/cli/test_cli_prompt_signal.sh
# A hostile bank (fake_bank.py): its texts reach the terminal without control characters; a
# 2 MiB answer is "too long", exit 4.
TESTS += tests/cli/test_cli_hostile_bank.sh
EXTRA_DIST += tests/cli/test_cli_hostile_bank.sh tests/cli/fake_bank.py
# kinko runs with RLIMIT_CORE 0 and non-dumpable: no PIN in a core file.
TESTS += tests/cli/test_cli_core_dumps.sh
EXTRA_DIST += tests/cli/test_cli_core_dumps.sh
# The bank flows in Japanese and in English: enrollment result, wrong contract PIN, status
# screen, admin operations; --json alike; Accept-Language sent to the bank.
TESTS += tests/cli/test_cli_bank_ja.sh
EXTRA_DIST += tests/cli/test_cli_bank_ja.sh
# The bank's refusals of a secret in kinko's own Japanese: the manuals' terms, 「残りN回」, the
# lock; English under C.
check_PROGRAMS += tests/cli/test_kinko_refusal_ja
tests_cli_test_kinko_refusal_ja_SOURCES = tests/cli/test_kinko_refusal_ja.c tests/cli/cli_doubles.c
tests_cli_test_kinko_refusal_ja_CFLAGS = $(KINKO_CLI_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tools/kinko
tests_cli_test_kinko_refusal_ja_LDADD = $(KINKO_CLI_LIBS) $(CMOCKA_LIBS)
TESTS += tests/cli/test_kinko_refusal_ja
