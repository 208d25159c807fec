# pkcs11/: the module. Lower layers first: transports and the PIV card driver.
noinst_LTLIBRARIES += pkcs11/libkinkodrv.la
pkcs11_libkinkodrv_la_SOURCES = \
	pkcs11/transport.h \
	pkcs11/ccid_host.c \
	pkcs11/transport_socket.c \
	pkcs11/trace.c pkcs11/trace.h \
	pkcs11/card.c pkcs11/card.h pkcs11/card_internal.h \
	pkcs11/card_pin.c \
	pkcs11/card_keys.c
pkcs11_libkinkodrv_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
pkcs11_libkinkodrv_la_LIBADD = common/libkinkocommon.la $(OPENSSL_LIBS)
