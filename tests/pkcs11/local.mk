# The module's layers against the emulator.
P11_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) -I$(top_srcdir)/pkcs11 -I$(top_srcdir)/tests/emu
P11_TEST_LDADD = tests/emu/libemuclient.la pkcs11/libkinkodrv.la common/libkinkocommon.la $(CMOCKA_LIBS) $(OPENSSL_LIBS)
P11_CARD_TEST_UTIL = tests/pkcs11/card_test_util.c tests/pkcs11/card_test_util.h
check_PROGRAMS += tests/pkcs11/test_card tests/pkcs11/test_card_fake tests/pkcs11/test_card_trace
TESTS += tests/pkcs11/test_card tests/pkcs11/test_card_fake tests/pkcs11/test_card_trace
tests_pkcs11_test_card_SOURCES = tests/pkcs11/test_card.c $(P11_CARD_TEST_UTIL)
tests_pkcs11_test_card_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_LDADD = $(P11_TEST_LDADD)
tests_pkcs11_test_card_fake_SOURCES = tests/pkcs11/test_card_fake.c
tests_pkcs11_test_card_fake_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_fake_LDADD = $(P11_TEST_LDADD)
tests_pkcs11_test_card_trace_SOURCES = tests/pkcs11/test_card_trace.c $(P11_CARD_TEST_UTIL)
tests_pkcs11_test_card_trace_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_trace_LDADD = $(P11_TEST_LDADD)
