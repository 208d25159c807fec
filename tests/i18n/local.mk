# tests/i18n: the catalogues are complete and current, and the programs speak Japanese under a
# ja locale and English otherwise. The tests read the build tree's catalogue through
# KINKO_LOCALEDIR (see Makefile.am), compiled here from po/ja.po.
check_DATA += tests/locale/ja/LC_MESSAGES/kinko.mo
CLEANFILES += tests/locale/ja/LC_MESSAGES/kinko.mo
tests/locale/ja/LC_MESSAGES/kinko.mo: $(top_srcdir)/po/ja.po
	$(AM_V_GEN)$(MKDIR_P) $(@D) && $(MSGFMT) -c -o $@ $(top_srcdir)/po/ja.po

# kinko-bankd's and the emulator's own catalogues (po/local.mk), beside kinko.mo.
check_DATA += tests/locale/ja/LC_MESSAGES/kinko-bankd.mo tests/locale/ja/LC_MESSAGES/kinko-token-emu.mo
CLEANFILES += tests/locale/ja/LC_MESSAGES/kinko-bankd.mo tests/locale/ja/LC_MESSAGES/kinko-token-emu.mo
tests/locale/ja/LC_MESSAGES/kinko-bankd.mo: po/kinko-bankd.mo
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp po/kinko-bankd.mo $@
tests/locale/ja/LC_MESSAGES/kinko-token-emu.mo: po/kinko-token-emu.mo
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp po/kinko-token-emu.mo $@

TESTS += tests/i18n/test_po_complete.sh
TESTS += tests/i18n/test_own_catalogues.sh
EXTRA_DIST += tests/i18n/test_own_catalogues.sh
TESTS += tests/i18n/test_bankd_cli_ja.sh
EXTRA_DIST += tests/i18n/test_bankd_cli_ja.sh
EXTRA_DIST += tests/i18n/test_po_complete.sh
# The whole seed flow in Japanese and in English (flow_lang.sh: the flow of tests/cli/flow.sh,
# every line kept, then a wrong token PIN and a wrong イ with --json).
TESTS += tests/i18n/test_flow_ja.sh tests/i18n/test_flow_c.sh
EXTRA_DIST += tests/i18n/test_flow_ja.sh tests/i18n/test_flow_c.sh tests/i18n/flow_lang.sh
