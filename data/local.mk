# data/: the USB token's udev rule (configure --with-udev-rules-dir).
udevrulesdir = $(UDEV_RULES_DIR)
dist_udevrules_DATA = data/70-kinko-token.rules
# data/pcsc/: pcscd's driver bundle for the token (configure --with-pcsc-dropdir, --with-libccid):
# its Info.plist names kinko's VID:PID, its library is a link to the installed libccid.
pcscbundledir = $(PCSC_DROPDIR)/kinko-ccid.bundle/Contents
dist_pcscbundle_DATA = data/pcsc/Info.plist
install-data-hook: install-pcsc-bundle-library
install-pcsc-bundle-library:
	$(MKDIR_P) '$(DESTDIR)$(pcscbundledir)/Linux'
	rm -f '$(DESTDIR)$(pcscbundledir)/Linux/libccid.so'
	$(LN_S) '$(LIBCCID)' '$(DESTDIR)$(pcscbundledir)/Linux/libccid.so'
uninstall-hook: uninstall-pcsc-bundle-library
uninstall-pcsc-bundle-library:
	rm -f '$(DESTDIR)$(pcscbundledir)/Linux/libccid.so'
.PHONY: install-pcsc-bundle-library uninstall-pcsc-bundle-library
# data/bash-completion/: kinko's and kinko-bankd's, each with its program (configure
# --with-bash-completion-dir); one directory variable each, so that a build with neither
# program does not even make the directory.
bashcompletiondir = $(BASH_COMPLETION_DIR)
bashcompletionbankddir = $(BASH_COMPLETION_DIR)
if KINKO_CLI
bashcompletion_DATA = data/bash-completion/kinko
endif
if KINKO_BANKD
bashcompletionbankd_DATA = data/bash-completion/kinko-bankd
endif
EXTRA_DIST += data/bash-completion/kinko data/bash-completion/kinko-bankd
