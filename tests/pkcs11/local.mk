# The module's layers against the emulator.
P11_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) -I$(top_srcdir)/tests/emu
P11_TEST_LDADD = tests/emu/libemuclient.la pkcs11/libkinkodrv.la common/libkinkocommon.la $(CMOCKA_LIBS) $(OPENSSL_LIBS)
P11_CARD_TEST_UTIL = tests/pkcs11/card_test_util.c tests/pkcs11/card_test_util.h
# The one temp-dir helper (honours TMPDIR).
P11_TMPDIR = tests/pkcs11/tmpdir_test_util.c tests/pkcs11/tmpdir_test_util.h
# The one clock of the tests (durations, pauses).
P11_TIME = tests/pkcs11/time_test_util.c tests/pkcs11/time_test_util.h
# Waiting for an emulator to report a status.
P11_EMU = tests/pkcs11/emu_test_util.c tests/pkcs11/emu_test_util.h
# What the process writes to stderr (traces), captured.
P11_CAPTURE = tests/pkcs11/capture_test_util.c tests/pkcs11/capture_test_util.h
# OpenSSL's ECDH, the reference the token's key agreement is compared with.
P11_ECDH = tests/pkcs11/ecdh_test_util.c tests/pkcs11/ecdh_test_util.h
# The one fake CCID token (a lying token server) of test_card_fake and test_p11_garbage.
P11_CCID_FAKE = tests/pkcs11/ccid_fake.c tests/pkcs11/ccid_fake.h
check_PROGRAMS += tests/pkcs11/test_card tests/pkcs11/test_card_fake tests/pkcs11/test_card_trace
TESTS += tests/pkcs11/test_card tests/pkcs11/test_card_fake tests/pkcs11/test_card_trace
tests_pkcs11_test_card_SOURCES = tests/pkcs11/test_card.c $(P11_CARD_TEST_UTIL) $(P11_ECDH)
tests_pkcs11_test_card_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_LDADD = $(P11_TEST_LDADD)
# ATTEST through the driver: the certificate and the card's refusals.
check_PROGRAMS += tests/pkcs11/test_card_attest
TESTS += tests/pkcs11/test_card_attest
tests_pkcs11_test_card_attest_SOURCES = tests/pkcs11/test_card_attest.c $(P11_CARD_TEST_UTIL) \
	$(P11_TMPDIR)
tests_pkcs11_test_card_attest_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_attest_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_attest_LDADD = $(P11_TEST_LDADD)
tests_pkcs11_test_card_fake_SOURCES = tests/pkcs11/test_card_fake.c $(P11_CCID_FAKE) $(P11_TMPDIR) \
	$(P11_TIME)
tests_pkcs11_test_card_fake_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_fake_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_fake_LDADD = $(P11_TEST_LDADD)
tests_pkcs11_test_card_trace_SOURCES = tests/pkcs11/test_card_trace.c $(P11_CARD_TEST_UTIL) \
	$(P11_CAPTURE) $(P11_TMPDIR)
tests_pkcs11_test_card_trace_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_trace_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_trace_LDADD = $(P11_TEST_LDADD)
# The socket transport's sends and reads, counted through --wrap (no other way to see them).
check_PROGRAMS += tests/pkcs11/test_transport_socket
TESTS += tests/pkcs11/test_transport_socket
tests_pkcs11_test_transport_socket_SOURCES = tests/pkcs11/test_transport_socket.c \
	$(P11_CCID_FAKE) $(P11_TMPDIR)
tests_pkcs11_test_transport_socket_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_transport_socket_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_transport_socket_LDFLAGS = -Wl,--wrap=send -Wl,--wrap=sendmsg -Wl,--wrap=recv
tests_pkcs11_test_transport_socket_LDADD = $(P11_TEST_LDADD)
check_PROGRAMS += tests/pkcs11/test_card_pin tests/pkcs11/test_card_presence
TESTS += tests/pkcs11/test_card_pin tests/pkcs11/test_card_presence
tests_pkcs11_test_card_pin_SOURCES = tests/pkcs11/test_card_pin.c $(P11_CARD_TEST_UTIL)
tests_pkcs11_test_card_pin_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_pin_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_pin_LDADD = $(P11_TEST_LDADD)
tests_pkcs11_test_card_presence_SOURCES = tests/pkcs11/test_card_presence.c $(P11_CARD_TEST_UTIL) \
	$(P11_TIME) $(P11_EMU)
tests_pkcs11_test_card_presence_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_presence_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_presence_LDADD = $(P11_TEST_LDADD)

check_PROGRAMS += tests/pkcs11/test_card_inventory
TESTS += tests/pkcs11/test_card_inventory
tests_pkcs11_test_card_inventory_SOURCES = tests/pkcs11/test_card_inventory.c $(P11_CARD_TEST_UTIL)
tests_pkcs11_test_card_inventory_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_card_inventory_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_card_inventory_LDADD = $(P11_TEST_LDADD)

# Module tests: the built .so through dlopen and its function list.
noinst_LTLIBRARIES += tests/pkcs11/libp11test.la
tests_pkcs11_libp11test_la_SOURCES = tests/pkcs11/p11_test_util.c tests/pkcs11/p11_test_util.h \
	$(P11_TMPDIR) $(P11_TIME) $(P11_EMU) $(P11_CAPTURE)
tests_pkcs11_libp11test_la_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_libp11test_la_CPPFLAGS = $(MODULE_CPPFLAGS)
P11_MOD_TEST_LDADD = tests/pkcs11/libp11test.la pkcs11/libkinkosig.la tests/emu/libemuclient.la \
	common/libkinkocommon.la $(CMOCKA_LIBS) $(OPENSSL_LIBS) -ldl -lpthread
# Tests need the module built first (they dlopen it; nothing links it): the rule at the end.
P11_MOD_TESTS =
check_PROGRAMS += $(P11_MOD_TESTS)
TESTS += $(P11_MOD_TESTS)

# Core: initialisation and interfaces, slots and tokens, sessions and login, slot
# events, two processes sharing a token.
P11_MOD_TESTS += tests/pkcs11/test_p11_general tests/pkcs11/test_p11_slot \
	tests/pkcs11/test_p11_session tests/pkcs11/test_p11_events tests/pkcs11/test_p11_twoproc
tests_pkcs11_test_p11_general_SOURCES = tests/pkcs11/test_p11_general.c
tests_pkcs11_test_p11_general_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_general_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_general_LDADD = $(P11_MOD_TEST_LDADD)
# The configuration files: the system's (or KINKO_CONF), then the user's.
P11_MOD_TESTS += tests/pkcs11/test_p11_config
tests_pkcs11_test_p11_config_SOURCES = tests/pkcs11/test_p11_config.c
tests_pkcs11_test_p11_config_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_config_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_config_LDADD = $(P11_MOD_TEST_LDADD)
P11_MOD_TESTS += tests/pkcs11/test_p11_locks
tests_pkcs11_test_p11_locks_SOURCES = tests/pkcs11/test_p11_locks.c
tests_pkcs11_test_p11_locks_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_locks_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_locks_LDADD = $(P11_MOD_TEST_LDADD) -lpthread
tests_pkcs11_test_p11_slot_SOURCES = tests/pkcs11/test_p11_slot.c
tests_pkcs11_test_p11_slot_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_slot_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_slot_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_session_SOURCES = tests/pkcs11/test_p11_session.c
tests_pkcs11_test_p11_session_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_session_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_session_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_events_SOURCES = tests/pkcs11/test_p11_events.c
tests_pkcs11_test_p11_events_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_events_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_events_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_twoproc_SOURCES = tests/pkcs11/test_p11_twoproc.c
tests_pkcs11_test_p11_twoproc_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_twoproc_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_twoproc_LDADD = $(P11_MOD_TEST_LDADD)

# Objects, key generation, certificates.
P11_MOD_TESTS += tests/pkcs11/test_p11_objects tests/pkcs11/test_p11_certs \
	tests/pkcs11/test_p11_apdu_economy tests/pkcs11/test_p11_garbage
P11_OBJ_TEST_UTIL = tests/pkcs11/p11_obj_test_util.c tests/pkcs11/p11_obj_test_util.h
# The module's clock moved by the test (the programs export their clock_gettime to it).
P11_CLOCK = tests/pkcs11/p11_clock_test_util.c tests/pkcs11/p11_clock_test_util.h
tests_pkcs11_test_p11_objects_SOURCES = tests/pkcs11/test_p11_objects.c $(P11_OBJ_TEST_UTIL)
tests_pkcs11_test_p11_objects_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_objects_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_objects_LDADD = $(P11_MOD_TEST_LDADD)
# Session objects (CKA_TOKEN FALSE).
P11_MOD_TESTS += tests/pkcs11/test_p11_sobj tests/pkcs11/test_p11_sobj_keys
P11_SOBJ_TEST_UTIL = tests/pkcs11/p11_sobj_test_util.c tests/pkcs11/p11_sobj_test_util.h \
	$(P11_OBJ_TEST_UTIL)
tests_pkcs11_test_p11_sobj_SOURCES = tests/pkcs11/test_p11_sobj.c $(P11_SOBJ_TEST_UTIL)
tests_pkcs11_test_p11_sobj_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_sobj_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_sobj_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_sobj_keys_SOURCES = tests/pkcs11/test_p11_sobj_keys.c $(P11_SOBJ_TEST_UTIL)
tests_pkcs11_test_p11_sobj_keys_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_sobj_keys_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_sobj_keys_LDADD = $(P11_MOD_TEST_LDADD)
# The store alone, for what no C_* function reaches yet (derived secrets).
check_PROGRAMS += tests/pkcs11/test_mod_sobj
TESTS += tests/pkcs11/test_mod_sobj
tests_pkcs11_test_mod_sobj_SOURCES = tests/pkcs11/test_mod_sobj.c pkcs11/mod_sobj.c \
	pkcs11/mod_sobj_attr.c pkcs11/mod_sobj_key.c pkcs11/mod_tmpl.c
tests_pkcs11_test_mod_sobj_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_mod_sobj_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_mod_sobj_LDADD = pkcs11/libkinkoparse.la pkcs11/libkinkodrv.la $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_certs_SOURCES = tests/pkcs11/test_p11_certs.c $(P11_OBJ_TEST_UTIL) \
	$(P11_CLOCK)
tests_pkcs11_test_p11_certs_LDFLAGS = -export-dynamic
tests_pkcs11_test_p11_certs_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_certs_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_certs_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_apdu_economy_SOURCES = tests/pkcs11/test_p11_apdu_economy.c \
	$(P11_OBJ_TEST_UTIL) $(P11_CLOCK)
tests_pkcs11_test_p11_apdu_economy_LDFLAGS = -export-dynamic
tests_pkcs11_test_p11_apdu_economy_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_apdu_economy_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_apdu_economy_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_garbage_SOURCES = tests/pkcs11/test_p11_garbage.c $(P11_OBJ_TEST_UTIL) \
	$(P11_CCID_FAKE)
tests_pkcs11_test_p11_garbage_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_garbage_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_garbage_LDADD = $(P11_MOD_TEST_LDADD)
# Each card kind the emulator plays (--profile), and a card without PIV.
P11_MOD_TESTS += tests/pkcs11/test_p11_cardkinds
tests_pkcs11_test_p11_cardkinds_SOURCES = tests/pkcs11/test_p11_cardkinds.c \
	$(P11_OBJ_TEST_UTIL) $(P11_CCID_FAKE) $(P11_TMPDIR)
tests_pkcs11_test_p11_cardkinds_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_cardkinds_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_cardkinds_LDADD = $(P11_MOD_TEST_LDADD)

# Attestation: CKA_KINKO_ATTESTATION and the F9 certificate object, on tokens provisioned
# with an attestation CA.
P11_MOD_TESTS += tests/pkcs11/test_p11_attest
tests_pkcs11_test_p11_attest_SOURCES = tests/pkcs11/test_p11_attest.c \
	$(P11_OBJ_TEST_UTIL) $(P11_CCID_FAKE) $(P11_TMPDIR)
tests_pkcs11_test_p11_attest_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_attest_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_attest_LDADD = $(P11_MOD_TEST_LDADD)

# Signatures: encodings and mechanisms as pure functions, then through the module. The
# software keys are the signature kit's, whose object needs libp11test.la.
check_PROGRAMS += tests/pkcs11/test_mod_pad tests/pkcs11/test_mod_sig
TESTS += tests/pkcs11/test_mod_pad tests/pkcs11/test_mod_sig
tests_pkcs11_test_mod_pad_SOURCES = tests/pkcs11/test_mod_pad.c $(P11_SIG_TEST_UTIL)
tests_pkcs11_test_mod_pad_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_mod_pad_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_mod_pad_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_mod_sig_SOURCES = tests/pkcs11/test_mod_sig.c $(P11_SIG_TEST_UTIL)
tests_pkcs11_test_mod_sig_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_mod_sig_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_mod_sig_LDADD = pkcs11/libkinkoparse.la pkcs11/libkinkodrv.la $(P11_MOD_TEST_LDADD)
# RSA decryption's padding removal, on crafted blocks.
check_PROGRAMS += tests/pkcs11/test_mod_unpad
TESTS += tests/pkcs11/test_mod_unpad
tests_pkcs11_test_mod_unpad_SOURCES = tests/pkcs11/test_mod_unpad.c
tests_pkcs11_test_mod_unpad_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_mod_unpad_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_mod_unpad_LDADD = $(P11_MOD_TEST_LDADD)
# The module's dynamic symbols: C_* only, whatever convenience libraries it links.
TESTS += tests/pkcs11/test_module_exports.sh
EXTRA_DIST += tests/pkcs11/test_module_exports.sh
P11_SIG_TEST_UTIL = tests/pkcs11/sig_test_util.c tests/pkcs11/sig_test_util.h
P11_SIG_FIXTURE = tests/pkcs11/sig_fixture_test_util.c tests/pkcs11/sig_fixture_test_util.h
P11_MOD_TESTS += tests/pkcs11/test_p11_sign tests/pkcs11/test_p11_verify tests/pkcs11/test_p11_threads
# RSA decryption on the token, encryption in software.
P11_MOD_TESTS += tests/pkcs11/test_p11_decrypt
tests_pkcs11_test_p11_decrypt_SOURCES = tests/pkcs11/test_p11_decrypt.c $(P11_SIG_TEST_UTIL) \
	$(P11_SIG_FIXTURE)
tests_pkcs11_test_p11_decrypt_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_decrypt_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_decrypt_LDADD = pkcs11/libkinkodrv.la $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_sign_SOURCES = tests/pkcs11/test_p11_sign.c $(P11_SIG_TEST_UTIL) \
	$(P11_SIG_FIXTURE)
tests_pkcs11_test_p11_sign_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_sign_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_sign_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_verify_SOURCES = tests/pkcs11/test_p11_verify.c $(P11_SIG_TEST_UTIL) \
	$(P11_SIG_FIXTURE)
tests_pkcs11_test_p11_verify_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_verify_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_verify_LDADD = $(P11_MOD_TEST_LDADD)
# ECDH on the token: C_DeriveKey.
P11_MOD_TESTS += tests/pkcs11/test_p11_derive
tests_pkcs11_test_p11_derive_SOURCES = tests/pkcs11/test_p11_derive.c $(P11_SIG_TEST_UTIL) \
	$(P11_SIG_FIXTURE) $(P11_OBJ_TEST_UTIL) $(P11_ECDH)
tests_pkcs11_test_p11_derive_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_derive_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_derive_LDADD = $(P11_MOD_TEST_LDADD)
# The module under an ENGINE the application made the default (openssl -engine pkcs11).
P11_MOD_TESTS += tests/pkcs11/test_p11_engine_host
tests_pkcs11_test_p11_engine_host_SOURCES = tests/pkcs11/test_p11_engine_host.c \
	$(P11_SIG_TEST_UTIL) $(P11_SIG_FIXTURE) $(P11_OBJ_TEST_UTIL) $(P11_ECDH)
tests_pkcs11_test_p11_engine_host_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_engine_host_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_engine_host_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_threads_SOURCES = tests/pkcs11/test_p11_threads.c $(P11_SIG_TEST_UTIL)
tests_pkcs11_test_p11_threads_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_threads_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_threads_LDADD = $(P11_MOD_TEST_LDADD) -lpthread
# Digests in software: every CKF_DIGEST mechanism against OpenSSL, C_DigestKey, no APDU.
P11_MOD_TESTS += tests/pkcs11/test_p11_digest
tests_pkcs11_test_p11_digest_SOURCES = tests/pkcs11/test_p11_digest.c $(P11_SIG_TEST_UTIL) \
	$(P11_SIG_FIXTURE)
tests_pkcs11_test_p11_digest_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_digest_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_digest_LDADD = $(P11_MOD_TEST_LDADD)
# Return codes in the standard's order, for every exported function.
P11_MOD_TESTS += tests/pkcs11/test_p11_rv_order
tests_pkcs11_test_p11_rv_order_SOURCES = tests/pkcs11/test_p11_rv_order.c
tests_pkcs11_test_p11_rv_order_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_rv_order_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_rv_order_LDADD = $(P11_MOD_TEST_LDADD)
# The README's mechanism table is the module's (print_mech_table prints mod_mech.c's rows).
check_PROGRAMS += tests/pkcs11/print_mech_table
tests_pkcs11_print_mech_table_SOURCES = tests/pkcs11/print_mech_table.c
tests_pkcs11_print_mech_table_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_pkcs11_print_mech_table_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_print_mech_table_LDADD = pkcs11/libkinkosig.la $(OPENSSL_LIBS)
TESTS += tests/pkcs11/test_readme_mech_table.sh
EXTRA_DIST += tests/pkcs11/test_readme_mech_table.sh

# MOVE KEY through C_SetAttributeValue(CKA_ID).
P11_MOD_TESTS += tests/pkcs11/test_p11_move
tests_pkcs11_test_p11_move_SOURCES = tests/pkcs11/test_p11_move.c $(P11_OBJ_TEST_UTIL) $(P11_SIG_TEST_UTIL)
tests_pkcs11_test_p11_move_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_move_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_move_LDADD = $(P11_MOD_TEST_LDADD)

# kinko's vendor PIN counters (pkcs11/kinko-pkcs11.h).
P11_MOD_TESTS += tests/pkcs11/test_p11_pin_tries
tests_pkcs11_test_p11_pin_tries_SOURCES = tests/pkcs11/test_p11_pin_tries.c $(P11_OBJ_TEST_UTIL)
tests_pkcs11_test_p11_pin_tries_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_pin_tries_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_pin_tries_LDADD = $(P11_MOD_TEST_LDADD)
P11_MOD_TESTS += tests/pkcs11/test_p11_move_order
tests_pkcs11_test_p11_move_order_SOURCES = tests/pkcs11/test_p11_move_order.c $(P11_OBJ_TEST_UTIL)
tests_pkcs11_test_p11_move_order_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_move_order_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_move_order_LDADD = $(P11_MOD_TEST_LDADD)
# Two processes on one token under load: exclusive batches.
P11_MOD_TESTS += tests/pkcs11/test_p11_shared_load
tests_pkcs11_test_p11_shared_load_SOURCES = tests/pkcs11/test_p11_shared_load.c
tests_pkcs11_test_p11_shared_load_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_shared_load_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_shared_load_LDADD = $(P11_MOD_TEST_LDADD) -lpthread

# The PIN from a pinentry (pin_source = pinentry), through the scripted pinentry; the
# retries' test moves the module's clock past the cancel window.
P11_PINENTRY = tests/pkcs11/pinentry_test_util.c tests/pkcs11/pinentry_test_util.h
P11_MOD_TESTS += tests/pkcs11/test_p11_pinentry tests/pkcs11/test_p11_pinentry_retry
tests_pkcs11_test_p11_pinentry_SOURCES = tests/pkcs11/test_p11_pinentry.c $(P11_PINENTRY)
tests_pkcs11_test_p11_pinentry_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_pinentry_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_pinentry_LDADD = $(P11_MOD_TEST_LDADD)
tests_pkcs11_test_p11_pinentry_retry_SOURCES = tests/pkcs11/test_p11_pinentry_retry.c \
	$(P11_PINENTRY) $(P11_CLOCK)
tests_pkcs11_test_p11_pinentry_retry_LDFLAGS = -export-dynamic
tests_pkcs11_test_p11_pinentry_retry_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_pinentry_retry_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_pinentry_retry_LDADD = $(P11_MOD_TEST_LDADD)
# The module tests run the scripted pinentry.
EXTRA_tests_pkcs11_test_p11_pinentry_DEPENDENCIES = tests/lib/pinentry_script
EXTRA_tests_pkcs11_test_p11_pinentry_retry_DEPENDENCIES = tests/lib/pinentry_script
# A browser's search for a certificate's key asks; a cancel leaves the key out.
P11_MOD_TESTS += tests/pkcs11/test_p11_pinentry_search
tests_pkcs11_test_p11_pinentry_search_SOURCES = tests/pkcs11/test_p11_pinentry_search.c \
	$(P11_PINENTRY) $(P11_CLOCK)
tests_pkcs11_test_p11_pinentry_search_LDFLAGS = -export-dynamic
tests_pkcs11_test_p11_pinentry_search_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_p11_pinentry_search_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_p11_pinentry_search_LDADD = $(P11_MOD_TEST_LDADD)
EXTRA_tests_pkcs11_test_p11_pinentry_search_DEPENDENCIES = tests/lib/pinentry_script

# The module over PC/SC against a fake PC/SC service in the test program (its SCard*
# functions, exported to the dlopened module) whose cards are kinko's applet in RAM.
P11_MOD_TESTS += tests/pkcs11/test_p11_pcsc
tests_pkcs11_test_p11_pcsc_SOURCES = tests/pkcs11/test_p11_pcsc.c tests/pkcs11/scard_fake.c \
	tests/pkcs11/scard_fake.h
tests_pkcs11_test_p11_pcsc_LDFLAGS = -export-dynamic
tests_pkcs11_test_p11_pcsc_CFLAGS = $(P11_TEST_CFLAGS) $(PCSC_CFLAGS)
tests_pkcs11_test_p11_pcsc_CPPFLAGS = $(MODULE_CPPFLAGS) -I$(top_srcdir)/firmware-stubs
tests_pkcs11_test_p11_pcsc_LDADD = firmware-stubs/libkinkofw.la $(P11_MOD_TEST_LDADD)

# The module over a real pcscd (the kit's private one, tests/lib/pcsc.sh) with emulated cards
# in vsmartcard-vpcd readers: the script starts them, the program's cases are its TAP.
check_PROGRAMS += tests/pkcs11/p11_pcsc_live
TESTS += tests/pkcs11/test_p11_pcsc_live.sh
EXTRA_DIST += tests/pkcs11/test_p11_pcsc_live.sh
tests_pkcs11_p11_pcsc_live_SOURCES = tests/pkcs11/p11_pcsc_live.c $(P11_OBJ_TEST_UTIL)
tests_pkcs11_p11_pcsc_live_CFLAGS = $(P11_TEST_CFLAGS) $(PCSC_CFLAGS)
tests_pkcs11_p11_pcsc_live_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_p11_pcsc_live_LDADD = $(P11_MOD_TEST_LDADD) $(PCSC_LIBS) -lpthread
EXTRA_tests_pkcs11_p11_pcsc_live_DEPENDENCIES = pkcs11/libkinko-pkcs11.la

# Every module test waits for the module; tests/usb/local.mk adds its module tests to
# P11_MOD_TEST_TARGETS (automake gathers a variable's += before the rules).
P11_MOD_TEST_TARGETS = $(P11_MOD_TESTS:=$(EXEEXT))
$(P11_MOD_TEST_TARGETS): pkcs11/libkinko-pkcs11.la
# The pinentry client against a scripted pinentry and the real pinentry-tty.
check_PROGRAMS += tests/pkcs11/test_mod_pinentry
TESTS += tests/pkcs11/test_mod_pinentry
tests_pkcs11_test_mod_pinentry_SOURCES = tests/pkcs11/test_mod_pinentry.c $(P11_TIME)
tests_pkcs11_test_mod_pinentry_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_test_mod_pinentry_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_pkcs11_test_mod_pinentry_LDADD = pkcs11/libkinkopinentry.la $(CMOCKA_LIBS) -lutil -lpthread
tests_pkcs11_test_mod_pinentry_DEPENDENCIES = pkcs11/libkinkopinentry.la tests/lib/pinentry_script
