# tests/usb/: the USB transport through an emulated USB token (umockdev).
# The programs re-execute themselves under umockdev's preload (what umockdev-wrapper does,
# with ASan's runtime first in sanitizer builds), so the global TAP driver runs them as is.
USB_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(LIBUSB_CFLAGS) \
	$(UMOCKDEV_CFLAGS) -I$(top_srcdir)/tests/pkcs11 -I$(top_srcdir)/tests/emu \
	-I$(top_srcdir)/tests/usb
USB_TEST_LDADD = tests/emu/libemuclient.la pkcs11/libkinkodrv.la firmware-stubs/libkinkofw.la \
	common/libkinkocommon.la $(CMOCKA_LIBS) $(OPENSSL_LIBS) $(LIBUSB_LIBS) $(UMOCKDEV_LIBS) \
	-lpthread
USB_TEST_UTIL = tests/usb/umock_token.c tests/usb/umock_token.h tests/usb/umock_usbfs.c \
	tests/usb/umock_internal.h firmware-stubs/emu_card.c \
	firmware-stubs/emu_card.h

# The card driver over emulated USB tokens: the token and its messages; tokens coming and going.
USB_CARD_TEST_SOURCES = tests/usb/usb_card_fixture.c tests/usb/usb_card_fixture.h \
	$(USB_TEST_UTIL) $(P11_CARD_TEST_UTIL) $(P11_TIME)
check_PROGRAMS += tests/usb/test_usb_card tests/usb/test_usb_card_plug
TESTS += tests/usb/test_usb_card tests/usb/test_usb_card_plug
tests_usb_test_usb_card_SOURCES = tests/usb/test_usb_card.c $(USB_CARD_TEST_SOURCES)
tests_usb_test_usb_card_CFLAGS = $(USB_TEST_CFLAGS)
tests_usb_test_usb_card_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs
tests_usb_test_usb_card_LDADD = $(USB_TEST_LDADD)
tests_usb_test_usb_card_plug_SOURCES = tests/usb/test_usb_card_plug.c $(USB_CARD_TEST_SOURCES)
tests_usb_test_usb_card_plug_CFLAGS = $(USB_TEST_CFLAGS)
tests_usb_test_usb_card_plug_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs
tests_usb_test_usb_card_plug_LDADD = $(USB_TEST_LDADD)

# The module (dlopen'd, its own libusb) over emulated USB tokens; pkcs11-tool in a child.
USB_P11_TEST_SOURCES = tests/usb/usb_p11_fixture.c tests/usb/usb_p11_fixture.h $(USB_TEST_UTIL) \
	$(P11_OBJ_TEST_UTIL) $(P11_SIG_TEST_UTIL) $(P11_CARD_TEST_UTIL)
USB_P11_TEST_LDADD = tests/pkcs11/libp11test.la pkcs11/libkinkosig.la $(USB_TEST_LDADD) -ldl
check_PROGRAMS += tests/usb/test_usb_module tests/usb/test_usb_tool
# They wait for the module as tests/pkcs11's module tests do (the rule there).
P11_MOD_TEST_TARGETS += tests/usb/test_usb_module$(EXEEXT) tests/usb/test_usb_tool$(EXEEXT)
TESTS += tests/usb/test_usb_module tests/usb/test_usb_tool
tests_usb_test_usb_module_SOURCES = tests/usb/test_usb_module.c $(USB_P11_TEST_SOURCES)
tests_usb_test_usb_module_CFLAGS = $(USB_TEST_CFLAGS) $(P11KIT_CFLAGS)
tests_usb_test_usb_module_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs
tests_usb_test_usb_module_LDADD = $(USB_P11_TEST_LDADD)
tests_usb_test_usb_tool_SOURCES = tests/usb/test_usb_tool.c $(USB_P11_TEST_SOURCES)
tests_usb_test_usb_tool_CFLAGS = $(USB_TEST_CFLAGS) $(P11KIT_CFLAGS)
tests_usb_test_usb_tool_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs
tests_usb_test_usb_tool_LDADD = $(USB_P11_TEST_LDADD)

# pcscd + libccid inside the testbed drive the emulated token; OpenSC's and kinko's modules
# in child processes reach it through PC/SC.
check_PROGRAMS += tests/usb/test_usb_pcscd
P11_MOD_TEST_TARGETS += tests/usb/test_usb_pcscd$(EXEEXT)
TESTS += tests/usb/test_usb_pcscd
tests_usb_test_usb_pcscd_SOURCES = tests/usb/test_usb_pcscd.c tests/usb/umock_pcscd.c \
	tests/usb/umock_pcscd.h $(USB_P11_TEST_SOURCES)
tests_usb_test_usb_pcscd_CFLAGS = $(USB_TEST_CFLAGS) $(P11KIT_CFLAGS)
tests_usb_test_usb_pcscd_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs \
	-DKINKO_PCSC_PLIST='"$(abs_top_srcdir)/data/pcsc/Info.plist"' -DKINKO_LIBCCID='"$(LIBCCID)"' \
	-DUMOCK_PCSC_DROPDIR='"$(PCSC_SYSTEM_DROPDIR)"'
tests_usb_test_usb_pcscd_LDADD = $(USB_P11_TEST_LDADD)
