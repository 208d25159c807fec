# doc/: man pages of the emulator and of the module's configuration (kinko(1) and
# kinko-bankd(1) are listed with their programs).
if KINKO_EMULATOR
dist_man1_MANS += doc/kinko-token-emu.1
endif
dist_man5_MANS += doc/kinko.conf.5

# Japanese man pages of kinko(1) and kinko-bankd(1): po4a translates the English pages with
# doc/po/ja.po into the build tree (never committed), installed in $(mandir)/ja/man1.
# The build never updates the catalogue (--no-update: the source tree may be read-only);
# after an English edit `make update-man-po` refreshes doc/po/kinko-man.pot and ja.po in the
# source tree, then translate the new or fuzzy entries of ja.po.
PO4A_FLAGS = --srcdir $(srcdir) --destdir $(builddir)
EXTRA_DIST += doc/po4a.cfg doc/po/kinko-man.pot doc/po/ja.po doc/po/ja.add
manjadir = $(mandir)/ja/man1
if HAVE_PO4A
manja_DATA = doc/ja/kinko.1 doc/ja/kinko-bankd.1
CLEANFILES += $(manja_DATA) doc/ja/po4a.stamp
# One po4a run writes both pages; the stamp is the rule's single target.
doc/ja/po4a.stamp: $(srcdir)/doc/po4a.cfg $(srcdir)/doc/po/ja.po $(srcdir)/doc/po/ja.add \
		$(srcdir)/doc/kinko.1 $(srcdir)/doc/kinko-bankd.1
	$(AM_V_GEN)$(MKDIR_P) doc/ja && rm -f $(manja_DATA) && \
	$(PO4A) -q --no-update $(PO4A_FLAGS) $(srcdir)/doc/po4a.cfg && \
	for p in $(manja_DATA); do test -s $$p || { echo "po4a did not write $$p" >&2; exit 1; }; done && \
	touch $@
$(manja_DATA): doc/ja/po4a.stamp
	@test -f $@ || { rm -f doc/ja/po4a.stamp; $(MAKE) $(AM_MAKEFLAGS) doc/ja/po4a.stamp; }
endif
.PHONY: update-man-po
update-man-po:
	@test -n '$(PO4A)' || { echo 'update-man-po needs po4a: install it and run configure again' >&2; exit 1; }
	cd $(srcdir) && $(PO4A) --force --no-translations doc/po4a.cfg
