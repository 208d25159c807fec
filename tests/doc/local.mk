# Every man page in doc/ formats without a groff warning (man --warnings).
TESTS += tests/doc/test_man_warnings.sh
EXTRA_DIST += tests/doc/test_man_warnings.sh
