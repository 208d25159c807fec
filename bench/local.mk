# bench/: figures, not a test. Built and run only by `make bench` (never by `make check`).
EXTRA_PROGRAMS += bench/bench_sign
bench_bench_sign_SOURCES = bench/bench_sign.c bench/bench_p11.c bench/bench_p11.h \
	bench/bench_cold.c bench/bench_cold.h \
	bench/bench_limit.c bench/bench_limit.h
bench_bench_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) \
	-I$(top_srcdir)/tests/emu
bench_bench_sign_CPPFLAGS = $(MODULE_CPPFLAGS)
bench_bench_sign_LDADD = tests/emu/libemuclient.la common/libkinkocommon.la $(OPENSSL_LIBS) -ldl
CLEANFILES += bench/bench_sign$(EXEEXT)
EXTRA_DIST += bench/run.sh bench/bankd_load.sh bench/pcsc_apdus.sh
# RSA decryption's padding removal: good and bad blocks take the same time.
EXTRA_PROGRAMS += bench/rsa_unpad_timing
bench_rsa_unpad_timing_SOURCES = bench/rsa_unpad_timing.c
bench_rsa_unpad_timing_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
bench_rsa_unpad_timing_CPPFLAGS = $(MODULE_CPPFLAGS)
bench_rsa_unpad_timing_LDADD = pkcs11/libkinkosig.la $(OPENSSL_LIBS)
CLEANFILES += bench/rsa_unpad_timing$(EXEEXT)

.PHONY: bench
bench: bench/bench_sign$(EXEEXT) pkcs11/libkinko-pkcs11.la kinko-token-emu$(EXEEXT) \
	bench/rsa_unpad_timing$(EXEEXT)
	KINKO_BUILDDIR='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/run.sh
	KINKO_BUILDDIR='$(abs_top_builddir)' bash $(top_srcdir)/bench/pcsc_apdus.sh
	bench/rsa_unpad_timing$(EXEEXT)
