# kinko-bankd: the reference bank (EST enrollment, CA, CRL, mTLS logon). Everything but the CLI
# is a convenience library so the unit tests link the same code.
BANKD_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
BANKD_LIBS = tools/bankd/libbankd.la common/libkinkoattest.la common/libkinkoprompt.la common/libkinkocommon.la $(LIBEVENT_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) $(OPENSSL_LIBS) -lpthread
noinst_LTLIBRARIES += tools/bankd/libbankd.la
# Storage (SQLite, one file per table family) and the secrets and counters kept in it.
tools_bankd_libbankd_la_SOURCES = tools/bankd/bankd_db.c tools/bankd/bankd_db.h \
	tools/bankd/bankd_db_internal.h tools/bankd/bankd_db_contract.c tools/bankd/bankd_db_user.c \
	tools/bankd/bankd_db_cert.c tools/bankd/bankd_db_session.c tools/bankd/bankd_secret.c \
	tools/bankd/bankd_secret.h tools/bankd/bankd_attempt.c tools/bankd/bankd_attempt.h
# The bank's rules, its CA and the contract commands of the CLI.
tools_bankd_libbankd_la_SOURCES += tools/bankd/bankd_ca.c tools/bankd/bankd_ca.h \
	tools/bankd/bankd_rules.c tools/bankd/bankd_rules.h tools/bankd/bankd_contract.c \
	tools/bankd/bankd_contract.h tools/bankd/bankd_contract_revoke.c tools/bankd/bankd_cli.c \
	tools/bankd/bankd_cli.h
# Key attestation at enrollment: the CSR attribute's ASN.1, the roots, the checks.
tools_bankd_libbankd_la_SOURCES += tools/bankd/bankd_attest.c tools/bankd/bankd_attest.h \
	tools/bankd/bankd_attest_asn1.c
# The HTTPS server: EST, logon, administration, pages, and what serves them.
tools_bankd_libbankd_la_SOURCES += tools/bankd/bankd_est.c tools/bankd/bankd_est.h \
	tools/bankd/bankd_logon.c tools/bankd/bankd_logon.h tools/bankd/bankd_admin.c \
	tools/bankd/bankd_admin.h tools/bankd/bankd_html.c tools/bankd/bankd_html.h \
	tools/bankd/bankd_html_page.h tools/bankd/bankd_html_csrf.c tools/bankd/bankd_html_logon.c \
	tools/bankd/bankd_html_status.c tools/bankd/bankd_html_admin.c \
	tools/bankd/bankd_http.c tools/bankd/bankd_http.h tools/bankd/bankd_http_serve.c \
	tools/bankd/bankd_reply.c tools/bankd/bankd_conn.c tools/bankd/bankd_conn.h \
	tools/bankd/bankd_ratelimit.c tools/bankd/bankd_ratelimit.h tools/bankd/bankd_worker.c \
	tools/bankd/bankd_worker.h tools/bankd/bankd_util.c tools/bankd/bankd_util.h \
	tools/bankd/bankd_lang.c tools/bankd/bankd_lang.h
tools_bankd_libbankd_la_CFLAGS = $(BANKD_CFLAGS)

bin_PROGRAMS += kinko-bankd
kinko_bankd_SOURCES = tools/bankd/bankd_main.c
kinko_bankd_CFLAGS = $(BANKD_CFLAGS)
kinko_bankd_LDADD = $(BANKD_LIBS)
dist_man1_MANS += doc/kinko-bankd.1
