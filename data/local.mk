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
