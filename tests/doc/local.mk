# Every man page in doc/ formats without a groff warning (man --warnings).
TESTS += tests/doc/test_man_warnings.sh
EXTRA_DIST += tests/doc/test_man_warnings.sh
# The Japanese man pages: built by po4a, the manuals' terms, doc/po/ja.po complete.
TESTS += tests/doc/test_man_ja.sh
EXTRA_DIST += tests/doc/test_man_ja.sh
# kinko(1)'s JSON error codes and the sources' codes are one set.
TESTS += tests/doc/test_json_codes.sh
EXTRA_DIST += tests/doc/test_json_codes.sh
