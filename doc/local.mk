# doc/: man pages of the emulator and of the module's configuration (kinko(1) and
# kinko-bankd(1) are listed with their programs).
dist_man1_MANS += doc/kinko-token-emu.1
dist_man5_MANS += doc/kinko.conf.5
