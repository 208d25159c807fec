# KINKO_SUMMARY: after AC_OUTPUT, say where `make install` puts each piece (paths expanded),
# and whether p11-kit and udev will find the module file and the rule there.

AC_DEFUN([KINKO_SUMMARY], [
# kinko_expand VALUE: VALUE with ${prefix}, ${datadir}, ... expanded until nothing changes.
kinko_expand() {
	(
	test "x$prefix" = xNONE && prefix=$ac_default_prefix
	test "x$exec_prefix" = xNONE && exec_prefix=$prefix
	v=$[]1
	while :; do
		eval "e=\"$v\""
		test "x$e" = "x$v" && break
		v=$e
	done
	echo "$v"
	)
}
kinko_module_file=`kinko_expand "$P11_MODULE_CONFIGS"`
kinko_udev_dir=`kinko_expand "$UDEV_RULES_DIR"`
# kinko_built YES|NO: how the summary says whether a part is built.
kinko_built() { if test "x$[]1" = xno; then echo "no"; else echo "yes"; fi; }
kinko_programs=""
AS_IF([test "x$enable_cli" != xno], [kinko_programs="$kinko_programs,kinko"])
AS_IF([test "x$enable_bankd" != xno], [kinko_programs="$kinko_programs,kinko-bankd"])
AS_IF([test "x$enable_emulator" != xno], [kinko_programs="$kinko_programs,kinko-token-emu"])
kinko_completions=""
AS_IF([test "x$enable_cli" != xno], [kinko_completions="$kinko_completions,kinko"])
AS_IF([test "x$enable_bankd" != xno], [kinko_completions="$kinko_completions,kinko-bankd"])
AS_IF([test -z "$kinko_completions"], [kinko_completions="(none)"],
  [kinko_completions="`kinko_expand "$BASH_COMPLETION_DIR"`/{${kinko_completions#,}}"])
AS_IF([test -z "$kinko_programs"], [kinko_programs="(none)"],
  [kinko_programs="`kinko_expand "$bindir"`/{${kinko_programs#,}}"])
cat >&AS_MESSAGE_FD <<KINKO_EOF

kinko $PACKAGE_VERSION will be built as follows:
  PKCS#11 module      yes
  kinko (CLI)         `kinko_built "$enable_cli"`
  kinko-bankd         `kinko_built "$enable_bankd"`
  kinko-token-emu     `kinko_built "$enable_emulator"`
  test suite          `kinko_built "$enable_tests"`

kinko $PACKAGE_VERSION will be installed as follows (make install):
  PKCS#11 module      `kinko_expand "$libdir"`/pkcs11/libkinko-pkcs11.so
  p11-kit module file $kinko_module_file/kinko.module
  udev rule           $kinko_udev_dir/70-kinko-token.rules
  vendor header       `kinko_expand "$includedir"`/kinko-pkcs11.h
  configuration       `kinko_expand "$sysconfdir"`/kinko/kinko.conf
  programs            $kinko_programs
  man pages           `kinko_expand "$mandir"`/man1, man5
  bash completion     $kinko_completions
KINKO_EOF
AS_IF([test -n "$P11KIT_SYSTEM_CONFIGS" && test "x$kinko_module_file" != "x$P11KIT_SYSTEM_CONFIGS"],
  [cat >&AS_MESSAGE_FD <<KINKO_EOF
  note: this p11-kit reads module files from $P11KIT_SYSTEM_CONFIGS (and, for
        users other than root, ~/.config/pkcs11/modules). For "p11-kit
        list-modules" to show kinko, configure --prefix=/usr and install as root,
        or --with-p11-module-configs=\$HOME/.config/pkcs11/modules for yourself.
KINKO_EOF
])
AS_IF([test -n "$UDEV_SYSTEM_DIR" && test "x$kinko_udev_dir" != "x$UDEV_SYSTEM_DIR/rules.d"],
  [cat >&AS_MESSAGE_FD <<KINKO_EOF
  note: udev reads rules from $UDEV_SYSTEM_DIR/rules.d (or /etc/udev/rules.d); copy the
        rule there, or configure --with-udev-rules-dir=$UDEV_SYSTEM_DIR/rules.d.
KINKO_EOF
])
])
