# tests/interop/: the module with unmodified peers (OpenSC pkcs11-tool, GnuTLS p11tool, the
# libp11 OpenSSL engine, p11-kit server/client/proxy): TAP shell scripts, each with its own
# emulated token.
INTEROP_SH_TESTS = tests/interop/test_pkcs11_tool.sh tests/interop/test_p11tool.sh \
	tests/interop/test_openssl_engine.sh tests/interop/test_p11kit_proxy.sh
# Generic callers: NSS's certutil/cmsutil, GnuTLS's certtool/gnutls-cli with kinko-bankd.
INTEROP_SH_TESTS += tests/interop/test_nss_tools.sh tests/interop/test_gnutls.sh
# NSS and the token's attestation certificate (an authority's, never a user certificate).
INTEROP_SH_TESTS += tests/interop/test_nss_attest.sh
# OpenSSH: ssh-keygen -D and ssh -I into the test's own sshd.
INTEROP_SH_TESTS += tests/interop/test_ssh.sh
# OpenSSL's pkeyutl through libp11's engine: decryption on the token.
INTEROP_SH_TESTS += tests/interop/test_openssl_decrypt.sh
# Java 17's SunPKCS11: keytool, jarsigner, a TLS client and the provider's services (java/,
# compiled by the test).
INTEROP_SH_TESTS += tests/interop/test_java.sh
EXTRA_DIST += tests/interop/java/KinkoLogon.java tests/interop/java/KinkoProviderOps.java
# Over PC/SC (tests/lib/pcsc.sh: a private pcscd, the token in a vsmartcard-vpcd reader):
# OpenSC, yubico-piv-tool and ykcs11, kinko enroll/logon, per emulator profile.
INTEROP_SH_TESTS += tests/interop/test_pcsc_opensc.sh tests/interop/test_pcsc_yubico.sh \
	tests/interop/test_pcsc_cli.sh
TESTS += $(INTEROP_SH_TESTS)
EXTRA_DIST += $(INTEROP_SH_TESTS) tests/interop/interop_lib.sh
# Reads kinko's vendor PIN counters through any module, e.g. p11-kit-proxy.so.
check_PROGRAMS += tests/interop/p11-pin-tries
tests_interop_p11_pin_tries_SOURCES = tests/interop/p11_pin_tries.c
tests_interop_p11_pin_tries_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
tests_interop_p11_pin_tries_CPPFLAGS = $(MODULE_CPPFLAGS)
tests_interop_p11_pin_tries_LDADD = -ldl
