# libFuzzer targets (./configure --enable-fuzzers CC=clang). CI runs each for a bounded time.
if FUZZERS
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
noinst_PROGRAMS += fuzz/fuzz_tlv fuzz/fuzz_apdu_dispatch fuzz/fuzz_module_parse
# kinko-bankd: raw HTTP through libevent to the router (request), and the handlers behind a
# client certificate (api); both over a temporary bank (fuzz_bankd_bank.c).
noinst_PROGRAMS += fuzz/fuzz_bankd_request fuzz/fuzz_bankd_api
FUZZ_BANKD_CFLAGS = $(BANKD_CFLAGS) -I$(top_srcdir)/tools/bankd $(FUZZ_FLAGS)
FUZZ_BANKD_LIBS = $(BANKD_LIBS)
fuzz_fuzz_bankd_request_SOURCES = fuzz/fuzz_bankd_request.c fuzz/fuzz_bankd_bank.c fuzz/fuzz_bankd_bank.h
fuzz_fuzz_bankd_request_CFLAGS = $(FUZZ_BANKD_CFLAGS)
fuzz_fuzz_bankd_request_LDFLAGS = $(FUZZ_FLAGS) -Wl,--wrap=bankd_worker_new -Wl,--wrap=bankd_worker_push
fuzz_fuzz_bankd_request_LDADD = $(FUZZ_BANKD_LIBS)
fuzz_fuzz_bankd_api_SOURCES = fuzz/fuzz_bankd_api.c fuzz/fuzz_bankd_bank.c fuzz/fuzz_bankd_bank.h
fuzz_fuzz_bankd_api_CFLAGS = $(FUZZ_BANKD_CFLAGS)
fuzz_fuzz_bankd_api_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_bankd_api_LDADD = $(FUZZ_BANKD_LIBS)
# kinko-bankd: a request's key attestation (bankd_attest_asn1.c, bankd_attest.c).
noinst_PROGRAMS += fuzz/fuzz_csr_evidence
fuzz_fuzz_csr_evidence_SOURCES = fuzz/fuzz_csr_evidence.c
fuzz_fuzz_csr_evidence_CFLAGS = $(FUZZ_BANKD_CFLAGS)
fuzz_fuzz_csr_evidence_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_csr_evidence_LDADD = $(FUZZ_BANKD_LIBS)
fuzz_fuzz_tlv_SOURCES = fuzz/fuzz_tlv.c
fuzz_fuzz_tlv_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
fuzz_fuzz_tlv_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_tlv_LDADD = common/libkinkocommon.la
fuzz_fuzz_apdu_dispatch_SOURCES = fuzz/fuzz_apdu_dispatch.c
fuzz_fuzz_apdu_dispatch_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(FUZZ_FLAGS)
fuzz_fuzz_apdu_dispatch_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
fuzz_fuzz_apdu_dispatch_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_apdu_dispatch_LDADD = firmware-stubs/libkinkofw.la $(OPENSSL_LIBS)
fuzz_fuzz_module_parse_SOURCES = fuzz/fuzz_module_parse.c
fuzz_fuzz_module_parse_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(FUZZ_FLAGS)
fuzz_fuzz_module_parse_CPPFLAGS = $(MODULE_CPPFLAGS)
fuzz_fuzz_module_parse_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_module_parse_LDADD = pkcs11/libkinkoparse.la pkcs11/libkinkodrv.la \
	common/libkinkocommon.la $(OPENSSL_LIBS)
# kinko-token-emu --vpcd: vpcd's framing over the applet (emu_vpcd.c, emu_card.c).
noinst_PROGRAMS += fuzz/fuzz_emu_vpcd
fuzz_fuzz_emu_vpcd_SOURCES = fuzz/fuzz_emu_vpcd.c firmware-stubs/emu_vpcd.c firmware-stubs/emu_card.c
fuzz_fuzz_emu_vpcd_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(FUZZ_FLAGS)
fuzz_fuzz_emu_vpcd_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
fuzz_fuzz_emu_vpcd_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_emu_vpcd_LDADD = firmware-stubs/libkinkofw.la $(OPENSSL_LIBS)
# kinko (the CLI): its parsing of the bank's answers, without network or token.
noinst_PROGRAMS += fuzz/fuzz_kinko_answers
fuzz_fuzz_kinko_answers_SOURCES = fuzz/fuzz_kinko_answers.c tests/cli/cli_doubles.c
fuzz_fuzz_kinko_answers_CFLAGS = $(KINKO_CLI_CFLAGS) -I$(top_srcdir)/tools/kinko $(FUZZ_FLAGS)
fuzz_fuzz_kinko_answers_LDFLAGS = $(FUZZ_FLAGS)
fuzz_fuzz_kinko_answers_LDADD = $(KINKO_CLI_LIBS)
else
EXTRA_DIST += fuzz/fuzz_tlv.c fuzz/fuzz_apdu_dispatch.c fuzz/fuzz_module_parse.c fuzz/fuzz_kinko_answers.c
EXTRA_DIST += fuzz/fuzz_emu_vpcd.c
EXTRA_DIST += fuzz/fuzz_csr_evidence.c
EXTRA_DIST += fuzz/fuzz_bankd_request.c fuzz/fuzz_bankd_api.c fuzz/fuzz_bankd_bank.c \
	fuzz/fuzz_bankd_bank.h
endif
