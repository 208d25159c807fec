# common/: what firmware and module share (one codec, not two).
noinst_LTLIBRARIES += common/libkinkocommon.la
common_libkinkocommon_la_SOURCES = \
	common/apdu.c common/apdu.h \
	common/tlv.c common/tlv.h \
	common/ccid.c common/ccid.h \
	common/i18n.c common/i18n.h \
	common/piv.h common/mono.h
# The no-echo secret prompt of kinko and kinko-bankd: apart, so the module does not carry it.
if KINKO_PROMPT
noinst_LTLIBRARIES += common/libkinkoprompt.la
common_libkinkoprompt_la_SOURCES = common/prompt.c common/prompt.h
common_libkinkoprompt_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
endif
# The CSR attestation attribute's ASN.1, one codec for kinko and kinko-bankd: apart, so the
# module does not carry OpenSSL's ASN.1 templates.
if KINKO_PROMPT
noinst_LTLIBRARIES += common/libkinkoattest.la
common_libkinkoattest_la_SOURCES = common/attest_asn1.c common/attest_asn1.h
common_libkinkoattest_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
endif
