# tests/interop/: the module with unmodified peers (OpenSC pkcs11-tool, GnuTLS p11tool, the
# libp11 OpenSSL engine, p11-kit server/client/proxy): TAP shell scripts, each with its own
# emulated token (issue 3).
INTEROP_SH_TESTS = tests/interop/test_pkcs11_tool.sh tests/interop/test_p11tool.sh \
	tests/interop/test_openssl_engine.sh tests/interop/test_p11kit_proxy.sh
TESTS += $(INTEROP_SH_TESTS)
EXTRA_DIST += $(INTEROP_SH_TESTS) tests/interop/interop_lib.sh
