# tools/kinko/: the user's CLI. All but main() is a convenience library, so the tests and the
# fuzzer link the same code the program runs.
KINKO_CLI_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) $(LIBCURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBP11_CFLAGS)
noinst_LTLIBRARIES += tools/kinko/libkinkocli.la
tools_kinko_libkinkocli_la_SOURCES = \
	tools/kinko/kinko.h tools/kinko/kinko_msg.c \
	tools/kinko/kinko_p11.c tools/kinko/kinko_p11_keys.c tools/kinko/kinko_p11.h \
	tools/kinko/kinko_p11_vendor.c tools/kinko/kinko_p11_where.c tools/kinko/kinko_p11_where.h \
	tools/kinko/kinko_pin.c \
	tools/kinko/kinko_token.c tools/kinko/kinko_cmd.h tools/kinko/kinko_certs.c tools/kinko/kinko_pin_cmd.c \
	tools/kinko/kinko_key.c tools/kinko/kinko_crl.c tools/kinko/kinko_crl.h \
	tools/kinko/kinko_csr.c tools/kinko/kinko_csr_attest.c tools/kinko/kinko_csr.h tools/kinko/kinko_est.c tools/kinko/kinko_est.h \
	tools/kinko/kinko_refusal.c tools/kinko/kinko_refusal.h tools/kinko/kinko_ask.c tools/kinko/kinko_ask.h \
	tools/kinko/kinko_enroll.c tools/kinko/kinko_enroll_key.c tools/kinko/kinko_renew.c tools/kinko/kinko_enroll.h \
	tools/kinko/kinko_tls.c tools/kinko/kinko_tls.h \
	tools/kinko/kinko_bank.c tools/kinko/kinko_bank.h tools/kinko/kinko_bank_int.h \
	tools/kinko/kinko_bank_cmd.c tools/kinko/kinko_bank_session.c tools/kinko/kinko_bank_help.c \
	tools/kinko/kinko_signal.c tools/kinko/kinko_signal.h tools/kinko/kinko_text.c tools/kinko/kinko_text.h \
	tools/kinko/kinko_browser.c tools/kinko/kinko_browser.h tools/kinko/kinko_browser_status.c \
	tools/kinko/kinko_browser_nss.c tools/kinko/kinko_browser_profiles.c tools/kinko/kinko_browser_conf.c
tools_kinko_libkinkocli_la_CFLAGS = $(KINKO_CLI_CFLAGS) -DKINKO_SYSCONFDIR='"$(sysconfdir)"'
# What the library needs besides itself, for every program that links it.
KINKO_CLI_LIBS = tools/kinko/libkinkocli.la common/libkinkoattest.la common/libkinkoprompt.la common/libkinkocommon.la \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(LIBCURL_LIBS) $(JANSSON_LIBS) $(LIBP11_LIBS)
bin_PROGRAMS += kinko
kinko_SOURCES = tools/kinko/kinko_main.c
kinko_CFLAGS = $(KINKO_CLI_CFLAGS) -DKINKO_DEFAULT_MODULE='"$(pkcs11libdir)/libkinko-pkcs11.so"'
kinko_LDADD = $(KINKO_CLI_LIBS)
# kinko(1), the man page (hand-written troff).
dist_man1_MANS += doc/kinko.1
