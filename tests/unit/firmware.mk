# Unit tests of the firmware: state, flash, and every applet command and error path.
FW_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) -I$(top_srcdir)/tests/pkcs11
FW_TEST_LDADD = tests/unit/libpivtest.la tests/emu/libemuclient.la firmware-stubs/libkinkofw.la \
	$(CMOCKA_LIBS) $(OPENSSL_LIBS)
noinst_LTLIBRARIES += tests/unit/libpivtest.la
tests_unit_libpivtest_la_SOURCES = tests/unit/piv_test_util.c tests/unit/piv_test_util.h \
	tests/unit/piv_test_keys.c tests/unit/piv_test_keys.h
tests_unit_libpivtest_la_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_libpivtest_la_CPPFLAGS = $(FIRMWARE_CPPFLAGS)

FW_TESTS = \
	tests/unit/test_token_state \
	tests/unit/test_token_codec \
	tests/unit/test_piv_crypto \
	tests/unit/test_piv_select \
	tests/unit/test_piv_data \
	tests/unit/test_piv_pin \
	tests/unit/test_piv_auth \
	tests/unit/test_piv_sign \
	tests/unit/test_piv_keygen \
	tests/unit/test_piv_move \
	tests/unit/test_piv_ext \
	tests/unit/test_piv_attest
check_PROGRAMS += $(FW_TESTS)
TESTS += $(FW_TESTS)
tests_unit_test_token_state_SOURCES = tests/unit/test_token_state.c tests/unit/token_test_util.h
tests_unit_test_token_state_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_token_state_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_token_state_LDADD = $(FW_TEST_LDADD)
tests_unit_test_token_codec_SOURCES = tests/unit/test_token_codec.c tests/unit/token_test_util.h
tests_unit_test_token_codec_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_token_codec_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_token_codec_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_crypto_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_crypto_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_crypto_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_select_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_select_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_select_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_data_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_data_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_data_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_pin_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_pin_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_pin_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_auth_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_auth_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_auth_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_sign_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_sign_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_sign_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_keygen_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_keygen_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_keygen_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_move_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_move_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_move_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_ext_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_ext_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_ext_LDADD = $(FW_TEST_LDADD)
tests_unit_test_piv_attest_CFLAGS = $(FW_TEST_CFLAGS)
tests_unit_test_piv_attest_CPPFLAGS = $(FIRMWARE_CPPFLAGS)
tests_unit_test_piv_attest_LDADD = $(FW_TEST_LDADD)
