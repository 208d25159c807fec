# data/: the USB token's udev rule (configure --with-udev-rules-dir).
udevrulesdir = $(UDEV_RULES_DIR)
dist_udevrules_DATA = data/70-kinko-token.rules
