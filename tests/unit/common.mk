# Unit tests of the shared codecs.
COMMON_TEST_LDADD = common/libkinkocommon.la $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_apdu tests/unit/test_apdu_transceive tests/unit/test_tlv \
	tests/unit/test_ccid tests/unit/test_i18n
TESTS += tests/unit/test_apdu tests/unit/test_apdu_transceive tests/unit/test_tlv \
	tests/unit/test_ccid tests/unit/test_i18n
tests_unit_test_apdu_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_apdu_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_apdu_transceive_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_apdu_transceive_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_tlv_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_tlv_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_ccid_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ccid_LDADD = $(COMMON_TEST_LDADD)
tests_unit_test_i18n_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_i18n_LDADD = $(COMMON_TEST_LDADD)
# The CCID exchange shared by the socket and USB transports, against a scripted channel.
check_PROGRAMS += tests/unit/test_ccid_host
TESTS += tests/unit/test_ccid_host
tests_unit_test_ccid_host_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_ccid_host_CPPFLAGS = $(DRIVER_CPPFLAGS) -DKINKO_DRIVER_INTERNAL
tests_unit_test_ccid_host_LDADD = pkcs11/libkinkodrv.la common/libkinkocommon.la \
	$(CMOCKA_LIBS) $(OPENSSL_LIBS) $(LIBUSB_LIBS)
