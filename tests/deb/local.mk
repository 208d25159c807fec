# The Debian packages (debian/): built in a clean Debian 12 root with only their Build-Depends,
# offline, then installed into another clean root, checked, used for the seed flow and purged.
# A stage of its own, `make check-deb` (./test.sh runs it once, as root, with Debian's mirror
# reachable): it makes roots with mmdebstrap, which takes root and the network; under a plain
# `make check` the tests skip.
DEB_TESTS = tests/deb/test_deb_build.sh tests/deb/test_deb_install.sh
TESTS += $(DEB_TESTS)
EXTRA_DIST += $(DEB_TESTS) tests/deb/deb_lib.sh tests/deb/unit_filter.py

# The install test takes the packages the build test left in tests/deb/out: the build test
# first, then both, the second run keeping the first's log (RECHECK_LOGS) so that
# test-suite.log counts them both.
check-deb:
	$(AM_V_at)rm -f tests/deb/test_deb_build.sh.log tests/deb/test_deb_build.sh.trs
	$(AM_V_at)KINKO_DEB_STAGE=1 $(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/deb/test_deb_build.sh' || :; \
	  KINKO_DEB_STAGE=1 $(MAKE) $(AM_MAKEFLAGS) check TESTS='$(DEB_TESTS)' \
	    RECHECK_LOGS='tests/deb/test_deb_install.sh.log'

clean-local: clean-local-deb
clean-local-deb:
	-rm -rf tests/deb/out
