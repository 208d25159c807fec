# make install from the built tree: everything under the prefix, as a non-root user, no .la.
TESTS += tests/install/test_install.sh
EXTRA_DIST += tests/install/test_install.sh tests/install/print_dirs.mk
