# firmware-stubs/: the token's firmware built for the host, and its emulator.
noinst_LTLIBRARIES += firmware-stubs/libkinkofw.la
firmware_stubs_libkinkofw_la_SOURCES = \
	firmware-stubs/flash.c firmware-stubs/flash.h \
	firmware-stubs/token_state.c firmware-stubs/token_state.h \
	firmware-stubs/token_codec.c firmware-stubs/token_provision.c \
	firmware-stubs/piv_crypto.c firmware-stubs/piv_crypto.h \
	firmware-stubs/piv_applet.c firmware-stubs/piv_applet.h firmware-stubs/piv_internal.h \
	firmware-stubs/piv_data.c \
	firmware-stubs/piv_pin.c \
	firmware-stubs/piv_auth.c \
	firmware-stubs/piv_keygen.c \
	firmware-stubs/piv_move.c \
	firmware-stubs/piv_ext.c \
	firmware-stubs/token_attest.c firmware-stubs/token_attest.h \
	firmware-stubs/piv_attest.c
firmware_stubs_libkinkofw_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
firmware_stubs_libkinkofw_la_LIBADD = common/libkinkocommon.la $(OPENSSL_LIBS)

bin_PROGRAMS += kinko-token-emu
kinko_token_emu_SOURCES = \
	firmware-stubs/emu_main.c firmware-stubs/emu_cli.c firmware-stubs/emu_cli.h \
	firmware-stubs/emu_attest.c firmware-stubs/emu_attest.h \
	firmware-stubs/emu_server.c firmware-stubs/emu_server.h \
	firmware-stubs/emu_card.c firmware-stubs/emu_card.h \
	firmware-stubs/emu_lock.c firmware-stubs/emu_lock.h \
	firmware-stubs/emu_listen.c firmware-stubs/emu_listen.h \
	firmware-stubs/emu_vpcd.c firmware-stubs/emu_vpcd_link.c firmware-stubs/emu_vpcd.h
kinko_token_emu_LDADD = firmware-stubs/libkinkofw.la
