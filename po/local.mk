# kinko-bankd's and kinko-token-emu's own Japanese catalogues, cut at build time from the one
# po/ja.po (po/program_catalogue.sh): a bank server installs kinko-bankd without
# libkinko-pkcs11 and its kinko.mo, a test rig may install the emulator alone. kinko.mo
# (po/Makefile, the module and the CLI) keeps every message.
jalcmessagesdir = $(localedir)/ja/LC_MESSAGES
nodist_jalcmessages_DATA =
I18N_CUT = XGETTEXT='$(XGETTEXT)' MSGMERGE='$(MSGMERGE)' MSGGREP='$(MSGGREP)' MSGFMT='$(MSGFMT)' \
	$(SHELL) $(top_srcdir)/po/program_catalogue.sh
# Makefile: a list below changed (a source added to a program) cuts the catalogue again.
I18N_CUT_DEPS = $(top_srcdir)/po/ja.po $(top_srcdir)/po/POTFILES.in $(top_srcdir)/po/Makevars \
	$(top_srcdir)/po/program_catalogue.sh
EXTRA_DIST += po/program_catalogue.sh

# What each program is built from: its sources and those of every library it links (the
# LDADD of tools/bankd/local.mk, firmware-stubs/local.mk). The one list of each: msggrep's -N
# locations come from it (tests/i18n/test_own_catalogues.sh checks it against the binary).
if KINKO_BANKD
I18N_BANKD_FILES = $(kinko_bankd_SOURCES) $(tools_bankd_libbankd_la_SOURCES) \
	$(common_libkinkoattest_la_SOURCES) $(common_libkinkoprompt_la_SOURCES) \
	$(common_libkinkocommon_la_SOURCES)
nodist_jalcmessages_DATA += po/kinko-bankd.mo
CLEANFILES += po/kinko-bankd.mo
po/kinko-bankd.mo: Makefile $(I18N_CUT_DEPS) $(I18N_BANKD_FILES)
	$(AM_V_GEN)$(I18N_CUT) $@ $(top_srcdir)/po/ja.po $(top_srcdir) $(I18N_BANKD_FILES)
endif
if KINKO_EMULATOR
I18N_EMU_FILES = $(kinko_token_emu_SOURCES) $(firmware_stubs_libkinkofw_la_SOURCES) \
	$(common_libkinkocommon_la_SOURCES)
nodist_jalcmessages_DATA += po/kinko-token-emu.mo
CLEANFILES += po/kinko-token-emu.mo
po/kinko-token-emu.mo: Makefile $(I18N_CUT_DEPS) $(I18N_EMU_FILES)
	$(AM_V_GEN)$(I18N_CUT) $@ $(top_srcdir)/po/ja.po $(top_srcdir) $(I18N_EMU_FILES)
endif
