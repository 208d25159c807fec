# The emulator over its real socket, as a program (CLI, lifecycle), and the kill-during-write test.
EMU_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) -I$(top_srcdir)/tests/pkcs11 \
	-I$(top_srcdir)/tests/emu
EMU_TEST_LDADD = tests/emu/libemuclient.la common/libkinkocommon.la $(CMOCKA_LIBS) $(OPENSSL_LIBS)
noinst_LTLIBRARIES += tests/emu/libemuclient.la
tests_emu_libemuclient_la_SOURCES = tests/emu/emu_client.c tests/emu/emu_client.h \
	tests/emu/emu_piv.c tests/pkcs11/tmpdir_test_util.c tests/pkcs11/tmpdir_test_util.h
tests_emu_libemuclient_la_CFLAGS = $(EMU_TEST_CFLAGS)

check_PROGRAMS += tests/emu/test_emu_socket tests/emu/test_emu_cli tests/emu/test_emu_crash
TESTS += tests/emu/test_emu_socket tests/emu/test_emu_cli tests/emu/test_emu_crash
tests_emu_test_emu_socket_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_socket_LDADD = $(EMU_TEST_LDADD)
tests_emu_test_emu_cli_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_cli_LDADD = $(EMU_TEST_LDADD)
tests_emu_test_emu_crash_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_crash_LDADD = $(EMU_TEST_LDADD)
# The emulator's lock for exclusive batches.
check_PROGRAMS += tests/emu/test_emu_lock
TESTS += tests/emu/test_emu_lock
tests_emu_test_emu_lock_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_lock_LDADD = $(EMU_TEST_LDADD)
# The applet as foreign PIV tools drive it (partial SELECT, failed SELECT, algorithm 00).
check_PROGRAMS += tests/emu/test_emu_interop
TESTS += tests/emu/test_emu_interop
tests_emu_test_emu_interop_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_interop_LDADD = $(EMU_TEST_LDADD)
# kinko-token-emu --vpcd in the readers of a private pcscd (tests/lib/pcsc.sh), and vpcd's
# framing played byte by byte (vpcd_raw.py).
TESTS += tests/emu/test_emu_vpcd.sh
EXTRA_DIST += tests/emu/test_emu_vpcd.sh tests/emu/vpcd_raw.py
# The profiles: which instructions each kind of token (kinko, yubikey, piv) has.
check_PROGRAMS += tests/emu/test_emu_profile
TESTS += tests/emu/test_emu_profile
tests_emu_test_emu_profile_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_profile_LDADD = $(EMU_TEST_LDADD)
# Attestation: the manufacturer CA helper, --init with it, ATTEST over the socket.
check_PROGRAMS += tests/emu/test_emu_attest
TESTS += tests/emu/test_emu_attest
tests_emu_test_emu_attest_CFLAGS = $(EMU_TEST_CFLAGS)
tests_emu_test_emu_attest_LDADD = $(EMU_TEST_LDADD)
# Attestation read by unmodified yubico-piv-tool through a private pcscd (tests/lib/pcsc.sh).
TESTS += tests/emu/test_emu_attest_yubico.sh
EXTRA_DIST += tests/emu/test_emu_attest_yubico.sh
