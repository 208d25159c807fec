# kinko-bankd: unit tests of the rules and the secret store; the service driven over HTTPS by
# curl and openssl (TAP shell scripts).
check_PROGRAMS += tests/bank/test_bank_rules tests/bank/test_bank_secret tests/bank/test_bank_attempt
BANK_SH_TESTS = tests/bank/test_est.sh tests/bank/test_logon.sh tests/bank/test_admin.sh \
	tests/bank/test_lockout.sh tests/bank/test_contract_cli.sh \
	tests/bank/test_key_policy.sh tests/bank/test_contract_revoke.sh tests/bank/test_core_dumps.sh
BANK_SH_TESTS += tests/bank/test_server_worker.sh
BANK_SH_TESTS += tests/bank/test_server_ratelimit.sh
BANK_SH_TESTS += tests/bank/test_server_deadline.sh
BANK_SH_TESTS += tests/bank/test_server_fds.sh
BANK_SH_TESTS += tests/bank/test_server_close.sh
BANK_SH_TESTS += tests/bank/test_server_keepalive.sh
BANK_SH_TESTS += tests/bank/test_est_timing.sh
BANK_SH_TESTS += tests/bank/test_bank_pages_lang.sh
BANK_SH_TESTS += tests/bank/test_contract_prompt_signal.sh
BANK_SH_TESTS += tests/bank/test_html_admin.sh
BANK_SH_TESTS += tests/bank/test_attestation.sh
# The bash completion (data/bash-completion/kinko-bankd): commands, options, directories, files,
# values; kinko-bankd --help and the completion agree.
BANK_SH_TESTS += tests/bank/test_bankd_completion.sh
# Requests with a key attestation, forged part by part by test_attestation.sh.
check_PROGRAMS += tests/bank/attest_csr
tests_bank_attest_csr_CFLAGS = $(BANKD_CFLAGS) -I$(top_srcdir)/tools/bankd
tests_bank_attest_csr_LDADD = $(BANKD_LIBS)
# The bank's checks on the firmware's own ATTEST answers (in process, as tests/unit does).
check_PROGRAMS += tests/bank/test_bank_attest_token
TESTS += tests/bank/test_bank_attest_token
tests_bank_test_bank_attest_token_CFLAGS = $(FW_TEST_CFLAGS) $(BANKD_CFLAGS) \
	-I$(top_srcdir)/tools/bankd -I$(top_srcdir)/tests/unit
tests_bank_test_bank_attest_token_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_bank_test_bank_attest_token_LDADD = $(FW_TEST_LDADD) $(BANKD_LIBS)
TESTS += tests/bank/test_bank_rules tests/bank/test_bank_secret tests/bank/test_bank_attempt \
	$(BANK_SH_TESTS)
EXTRA_DIST += $(BANK_SH_TESTS) tests/bank/bank_lib.sh
tests_bank_test_bank_rules_CFLAGS = $(BANKD_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tools/bankd
tests_bank_test_bank_rules_LDADD = $(BANKD_LIBS) $(CMOCKA_LIBS)
tests_bank_test_bank_secret_CFLAGS = $(BANKD_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tools/bankd
tests_bank_test_bank_secret_LDADD = $(BANKD_LIBS) $(CMOCKA_LIBS)
tests_bank_test_bank_attempt_CFLAGS = $(BANKD_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tools/bankd
tests_bank_test_bank_attempt_LDADD = $(BANKD_LIBS) $(CMOCKA_LIBS)
