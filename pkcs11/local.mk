# pkcs11/: the PKCS#11 module, lowest layer first. Each layer uses only those above it here.

# The driver (pkcs11/driver/): transports, the CCID host, the PIV card driver and the APDU
# trace. A library of its own so the module, the driver's tests and the fuzzers link one copy
# of it; only the driver defines KINKO_DRIVER_INTERNAL, so only it sees its internal headers.
noinst_LTLIBRARIES += pkcs11/libkinkodrv.la
pkcs11_libkinkodrv_la_SOURCES = \
	pkcs11/driver/driver_internal.h \
	pkcs11/driver/transport.h \
	pkcs11/driver/ccid_host.c pkcs11/driver/ccid_host.h \
	pkcs11/driver/transport_socket.c \
	pkcs11/driver/trace.c pkcs11/driver/trace.h \
	pkcs11/driver/card.c pkcs11/driver/card.h pkcs11/driver/card_internal.h \
	pkcs11/driver/card_pin.c \
	pkcs11/driver/card_keys.c \
	pkcs11/driver/card_inventory.c \
	pkcs11/driver/card_discover.c
pkcs11_libkinkodrv_la_CPPFLAGS = $(DRIVER_CPPFLAGS) -DKINKO_DRIVER_INTERNAL
pkcs11_libkinkodrv_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
pkcs11_libkinkodrv_la_LIBADD = common/libkinkocommon.la $(OPENSSL_LIBS)
# The USB token transport and its hot-plug watcher.
pkcs11_libkinkodrv_la_SOURCES += pkcs11/driver/transport_usb.c pkcs11/driver/usb_enum.c \
	pkcs11/driver/usb_enum.h pkcs11/driver/usb_hotplug.c pkcs11/driver/usb_holder.c
pkcs11_libkinkodrv_la_CFLAGS += $(LIBUSB_CFLAGS)
pkcs11_libkinkodrv_la_LIBADD += $(LIBUSB_LIBS) -lpthread
# The PC/SC transport (pcsc-lite) and its reader watcher.
pkcs11_libkinkodrv_la_SOURCES += pkcs11/driver/transport_pcsc.c pkcs11/driver/pcsc_watch.c \
	pkcs11/driver/pcsc_watch.h
pkcs11_libkinkodrv_la_CFLAGS += $(PCSC_CFLAGS)
pkcs11_libkinkodrv_la_LIBADD += $(PCSC_LIBS)

# Parsers: what the object layer reads from the token's answers (certificate containers,
# public keys). Pure functions, apart so that fuzz/fuzz_module_parse links them without a
# card or a slot.
noinst_LTLIBRARIES += pkcs11/libkinkoparse.la
pkcs11_libkinkoparse_la_SOURCES = pkcs11/mod_parse.c pkcs11/mod_parse.h
pkcs11_libkinkoparse_la_CPPFLAGS = $(MODULE_CPPFLAGS)
pkcs11_libkinkoparse_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -fvisibility=hidden
pkcs11_libkinkoparse_la_LIBADD = $(OPENSSL_LIBS)

# The module itself, installed where p11-kit and NSS look for PKCS#11 modules.
pkcs11libdir = $(libdir)/pkcs11
pkcs11lib_LTLIBRARIES = pkcs11/libkinko-pkcs11.la
# Module core: the process-wide state (initialisation, locks, configuration), slots and their
# USB hot-plug, sessions, login and slot events: what every C_* call stands on.
pkcs11_libkinko_pkcs11_la_SOURCES = \
	pkcs11/mod.h \
	pkcs11/mod_mutex.c \
	pkcs11/mod_module.c \
	pkcs11/mod_info.c \
	pkcs11/mod_config.c \
	pkcs11/mod_slot.c \
	pkcs11/mod_session.c \
	pkcs11/mod_event.c \
	pkcs11/mod_login.c \
	pkcs11/mod_pinask.c pkcs11/mod_pinask.h pkcs11/mod_pinask_text.c \
	pkcs11/mod_trace.c \
	pkcs11/mod_usb.c pkcs11/mod_usb.h \
	pkcs11/mod_pcsc.c pkcs11/mod_pcsc.h
# Object layer: the token's keys, certificates and data objects as PKCS#11 objects, cached
# per slot, and their attributes, creation, generation and moves.
pkcs11_libkinko_pkcs11_la_SOURCES += \
	pkcs11/mod_object.h \
	pkcs11/mod_token.c \
	pkcs11/mod_attest.c \
	pkcs11/mod_object.c \
	pkcs11/mod_attr.c pkcs11/mod_attr.h \
	pkcs11/mod_objwrite.c \
	pkcs11/mod_keygen.c \
	pkcs11/mod_objmove.c \
	pkcs11/mod_tmpl.c pkcs11/mod_tmpl.h \
	pkcs11/mod_sobj.c pkcs11/mod_sobj.h pkcs11/mod_sobj_attr.c pkcs11/mod_sobj_attr.h \
	pkcs11/mod_sobj_key.c
# Crypto: signing and verifying on the card's keys, and random numbers. The signature layer's
# pure part (the mechanism table, the schemes, the operation and the encodings: no card, no
# slot) is a library of its own, linked by the module and by tests/pkcs11/test_mod_sig and
# test_mod_pad.
noinst_LTLIBRARIES += pkcs11/libkinkosig.la
pkcs11_libkinkosig_la_SOURCES = pkcs11/mod_mech.c pkcs11/mod_mech.h pkcs11/mod_sig.h \
	pkcs11/mod_sig_op.c pkcs11/mod_sig_scheme.c pkcs11/mod_pad.c
# RSA encryption and decryption's pure part: the operation and the constant-time unpadding.
pkcs11_libkinkosig_la_SOURCES += pkcs11/mod_crypt.h pkcs11/mod_crypt_op.c pkcs11/mod_unpad.c
pkcs11_libkinkosig_la_CPPFLAGS = $(MODULE_CPPFLAGS)
pkcs11_libkinkosig_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) -fvisibility=hidden
pkcs11_libkinkosig_la_LIBADD = $(OPENSSL_LIBS)
pkcs11_libkinko_pkcs11_la_SOURCES += \
	pkcs11/mod_sig_session.c \
	pkcs11/mod_sign.c \
	pkcs11/mod_verify.c \
	pkcs11/mod_random.c
# Digests in software (OpenSSL EVP), for the table's CKF_DIGEST rows.
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/mod_digest.c pkcs11/mod_digest.h
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/mod_decrypt.c pkcs11/mod_encrypt.c
# Key agreement (ECDH on the card): C_DeriveKey.
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/mod_derive.c pkcs11/mod_derive.h
# The pinentry client: asks the user for the PIN through an Assuan pinentry program. A library
# of its own so that tests/pkcs11/test_mod_pinentry drives it without the module.
noinst_LTLIBRARIES += pkcs11/libkinkopinentry.la
pkcs11_libkinkopinentry_la_SOURCES = pkcs11/mod_pinentry.c pkcs11/mod_pinentry.h
pkcs11_libkinkopinentry_la_CPPFLAGS = $(MODULE_CPPFLAGS)
pkcs11_libkinkopinentry_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBASSUAN_CFLAGS) -fvisibility=hidden
pkcs11_libkinkopinentry_la_LIBADD = $(LIBASSUAN_LIBS) $(OPENSSL_LIBS) -lpthread
# C_* front end: thin wrappers that check arguments and call the layers above; the only
# exported symbols.
pkcs11_libkinko_pkcs11_la_SOURCES += \
	pkcs11/p11_compat.h pkcs11/p11_entry.h \
	pkcs11/p11_general.c \
	pkcs11/p11_interface.c \
	pkcs11/p11_slot.c \
	pkcs11/p11_session.c \
	pkcs11/p11_object.c \
	pkcs11/p11_crypto.c \
	pkcs11/p11_crypto_none.c
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/p11_digest.c
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/p11_decrypt.c
pkcs11_libkinko_pkcs11_la_SOURCES += pkcs11/p11_derive.c
pkcs11_libkinko_pkcs11_la_CPPFLAGS = $(MODULE_CPPFLAGS) \
	-DKINKO_SYSCONFDIR='"$(sysconfdir)"' -DKINKO_VERSION='"$(PACKAGE_VERSION)"'
pkcs11_libkinko_pkcs11_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) $(LIBUSB_CFLAGS) \
	-fvisibility=hidden
pkcs11_libkinko_pkcs11_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^C_'
# libkinkodrv.la already holds the common codecs (a convenience library embeds the ones it
# uses): naming common/libkinkocommon.la again, or in another convenience library linked
# here, would define every codec twice in the module.
pkcs11_libkinko_pkcs11_la_LIBADD = pkcs11/libkinkodrv.la pkcs11/libkinkoparse.la \
	pkcs11/libkinkosig.la pkcs11/libkinkopinentry.la $(OPENSSL_LIBS) -lpthread
# The vendor extensions' header (PIN counters, moving a key), for applications.
include_HEADERS = pkcs11/kinko-pkcs11.h

# p11-kit finds the module through a .module file in its config directory (configure:
# --with-p11-module-configs); it names the installed module by absolute path.
p11moduledir = $(P11_MODULE_CONFIGS)
p11module_DATA = pkcs11/kinko.module
EXTRA_DIST += pkcs11/kinko.module.in
CLEANFILES += pkcs11/kinko.module
pkcs11/kinko.module: $(srcdir)/pkcs11/kinko.module.in Makefile
	$(AM_V_GEN)$(MKDIR_P) pkcs11 && \
	sed -e 's|@PKCS11LIBDIR[@]|$(pkcs11libdir)|g' $(srcdir)/pkcs11/kinko.module.in > $@.tmp && \
	mv $@.tmp $@

# The configuration file, $(sysconfdir)/kinko/kinko.conf: a commented sample (the defaults).
kinkoconfdir = $(sysconfdir)/kinko
dist_kinkoconf_DATA = conf/kinko.conf
