# kinko CLI tests (seed flows on the module and on SoftHSM2, unhappy paths). Each shell test is
# named once, in CLI_SH_TESTS, which both TESTS and EXTRA_DIST take.
# token list/info, certs, pin check/change/unblock, forced change, help.
CLI_SH_TESTS = tests/cli/test_cli_token.sh
# Key attestation in enroll and renew: a bank requiring it, kinko's tokens pass, SoftHSM2 and a
# token without attestation key are refused with the rule and left as they were.
CLI_SH_TESTS += tests/cli/test_cli_attest.sh tests/cli/test_cli_attest_softhsm.sh
# The token commands in Japanese: help, certs' dates, a wrong token PIN, --json alike.
CLI_SH_TESTS += tests/cli/test_cli_ja_token.sh
# A signal between the no-echo prompt's write and its read still ends kinko (strace widens it).
CLI_SH_TESTS += tests/cli/test_cli_prompt_signal_race.sh
# The exact PIN/PUK tries left from kinko's vendor PIN counters, also through p11-kit.
CLI_SH_TESTS += tests/cli/test_cli_pin_tries.sh
# pkcs11: URIs both ways: kinko's in p11tool and libp11, p11tool's in kinko.
CLI_SH_TESTS += tests/cli/test_cli_uri.sh
# --json: every subcommand's error is one JSON object with "exit".
CLI_SH_TESTS += tests/cli/test_cli_json.sh
# kinko certs: expired and revoked (the bank's CRL) certificates, keys without one.
CLI_SH_TESTS += tests/cli/test_cli_certs.sh
# kinko key delete and kinko pin change --puk on kinko's module and SoftHSM2.
CLI_SH_TESTS += tests/cli/test_cli_keys.sh
# "No token found" says where kinko looked and what to check.
CLI_SH_TESTS += tests/cli/test_cli_notoken.sh
# Secrets never on the command line; secrets/PIN files others can read; stale PIN file.
CLI_SH_TESTS += tests/cli/test_cli_secrets.sh
# Progress lines end cleanly, with stderr to a file and under a pty; the spinner erases itself.
CLI_SH_TESTS += tests/cli/test_cli_progress.sh
# logon, status, admin operations, logoff against kinko-bankd, on the module and SoftHSM2.
CLI_SH_TESTS += tests/cli/test_cli_logon.sh
# enroll (admin, key types, CA kept, Retry-After) and its rollback on every failure, on the
# module and SoftHSM2.
CLI_SH_TESTS += tests/cli/test_cli_enroll.sh
# The seed flow end to end (the same script body on kinko's module + emulators and on SoftHSM2),
# renewal, the unhappy paths; cli_lib.sh and flow.sh are shared with demo.sh.
CLI_SH_TESTS += tests/cli/test_cli_flow_kinko.sh tests/cli/test_cli_flow_softhsm.sh \
	tests/cli/test_cli_renew.sh tests/cli/test_cli_renew_softhsm.sh tests/cli/test_cli_unhappy.sh \
	tests/cli/test_cli_removal.sh
# kinko's PKCS#11 layer on kinko's module and on SoftHSM2: generate, sign, certificates, full
# (kinko-p11-check below).
CLI_SH_TESTS += tests/cli/test_cli_p11.sh
# renew step by step: out of reach, the old key removed after the logon, a failed logon keeps
# both; on the module and SoftHSM2.
CLI_SH_TESTS += tests/cli/test_cli_renew_steps.sh
# What kinko asks and in which order: the token first (a numbered list on a terminal), bank
# secrets and card digits of the wrong form asked again on a terminal (a pty driver).
CLI_SH_TESTS += tests/cli/test_cli_ask.sh
# Bank sessions, one per bank and certificate: two tokens (and two certificates of one token)
# logged on to the same bank; status/logoff find and name the session meant.
CLI_SH_TESTS += tests/cli/test_cli_sessions.sh
# SIGINT/SIGTERM/SIGHUP during a pending enrollment: the new key removed, exit 128 + signal.
CLI_SH_TESTS += tests/cli/test_cli_signals.sh
# Ctrl-C at a no-echo prompt: kinko ends at once and the terminal's echo comes back.
CLI_SH_TESTS += tests/cli/test_cli_prompt_signal.sh
# A hostile bank (fake_bank.py): its texts reach the terminal without control characters; a
# 2 MiB answer is "too long", exit 4.
CLI_SH_TESTS += tests/cli/test_cli_hostile_bank.sh
# kinko runs with RLIMIT_CORE 0 and non-dumpable: no PIN in a core file.
CLI_SH_TESTS += tests/cli/test_cli_core_dumps.sh
# The bank flows in Japanese and in English: enrollment result, wrong contract PIN, status
# screen, admin operations; --json alike; Accept-Language sent to the bank.
CLI_SH_TESTS += tests/cli/test_cli_bank_ja.sh
# kinko browser setup | status: the module in Firefox profiles' and Chromium's NSS databases
# (modutil/certutil), pin_source in kinko.conf, the bank CA on request, --remove undoing it.
CLI_SH_TESTS += tests/cli/test_cli_browser.sh
# The bash completion (data/bash-completion/kinko): words, options, files, --token's URIs from
# emulated tokens, no prompt or hang; kinko's help and the completion agree.
CLI_SH_TESTS += tests/cli/test_cli_completion.sh
TESTS += $(CLI_SH_TESTS)
EXTRA_DIST += $(CLI_SH_TESTS) tests/cli/cli_lib.sh tests/cli/flow.sh tests/cli/fake_bank.py

# The C programs compile against kinko's own headers; the cmocka ones link the CLI's test
# doubles (cli_doubles.c) too.
CLI_TEST_CFLAGS = $(KINKO_CLI_CFLAGS) -I$(top_srcdir)/tools/kinko
CLI_UNIT_CFLAGS = $(CLI_TEST_CFLAGS) $(CMOCKA_CFLAGS)
CLI_UNIT_LDADD = $(KINKO_CLI_LIBS) $(CMOCKA_LIBS)
# kinko's PKCS#11 layer driven on a module named by test_cli_p11.sh.
check_PROGRAMS += tests/cli/kinko-p11-check
tests_cli_kinko_p11_check_SOURCES = tests/cli/kinko_p11_check.c
tests_cli_kinko_p11_check_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_kinko_p11_check_LDADD = $(KINKO_CLI_LIBS)
# test_kinko_csr_est: kinko's CSR (signed through the PKCS#11 layer: a software key in its
# place) and EST answer parsing, Retry-After. test_kinko_refusal_ja: the bank's refusals of a
# secret in kinko's own Japanese: the manuals' terms, 「残りN回」, the lock; English under C.
CLI_UNIT_TESTS = tests/cli/test_kinko_csr_est tests/cli/test_kinko_refusal_ja
# test_kinko_browser_run: how kinko browser runs modutil/certutil (no shell, output captured,
# a timeout that kills).
CLI_UNIT_TESTS += tests/cli/test_kinko_browser_run
check_PROGRAMS += $(CLI_UNIT_TESTS)
TESTS += $(CLI_UNIT_TESTS)
tests_cli_test_kinko_csr_est_SOURCES = tests/cli/test_kinko_csr_est.c tests/cli/cli_doubles.c
tests_cli_test_kinko_csr_est_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_cli_test_kinko_csr_est_LDADD = $(CLI_UNIT_LDADD)
tests_cli_test_kinko_refusal_ja_SOURCES = tests/cli/test_kinko_refusal_ja.c tests/cli/cli_doubles.c
tests_cli_test_kinko_refusal_ja_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_cli_test_kinko_refusal_ja_LDADD = $(CLI_UNIT_LDADD)
tests_cli_test_kinko_browser_run_SOURCES = tests/cli/test_kinko_browser_run.c
tests_cli_test_kinko_browser_run_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_cli_test_kinko_browser_run_LDADD = $(CLI_UNIT_LDADD)
