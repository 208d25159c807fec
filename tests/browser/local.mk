# Logon in real browsers (Debian's chromium through npm's playwright-core, firefox-esr through
# Marionette), headless, with kinko's module in their NSS DBs and the token PIN from a scripted
# pinentry. One stage of its own, `make check-browser` (./test.sh runs it once, on the plain
# build): npm ci into the build tree, then these tests; under a plain `make check` they skip.
#   make check-browser BROWSER_TESTS=tests/browser/test_chromium_logon.sh   (one of them)
# Each scenario body (case_*.sh) is run by one test_<browser>_*.sh per browser.
BROWSER_TESTS = tests/browser/test_chromium_logon.sh tests/browser/test_chromium_pin_cancel.sh \
	tests/browser/test_chromium_pin_retry.sh
# The same bodies in firefox-esr, through lib/firefox.js and its Marionette client.
BROWSER_TESTS += tests/browser/test_firefox_logon.sh tests/browser/test_firefox_pin_cancel.sh \
	tests/browser/test_firefox_pin_retry.sh tests/browser/test_firefox_driver.sh
TESTS += $(BROWSER_TESTS)
EXTRA_DIST += tests/browser/lib/firefox.js tests/browser/lib/marionette.js tests/browser/firefox_driver.js
# The Marionette client against a scripted server: no browser, in every make check.
TESTS += tests/browser/test_marionette_wire.sh
EXTRA_DIST += tests/browser/test_marionette_wire.sh tests/browser/marionette_wire.js tests/browser/tap.js
EXTRA_DIST += $(BROWSER_TESTS) tests/browser/browser_lib.sh tests/browser/case_logon.sh \
	tests/browser/case_pin_cancel.sh tests/browser/case_pin_retry.sh tests/browser/package.json \
	tests/browser/package-lock.json tests/browser/run_scenario.js tests/browser/scenarios.js \
	tests/browser/lib/driver.js tests/browser/lib/chromium.js

# npm ci from the committed package-lock.json (playwright-core alone; it downloads no browser).
# Without npm or the registry the tests say why they skip (KINKO_BROWSER_REQUIRED=1: fail).
check-browser:
	$(AM_V_at)$(MKDIR_P) tests/browser
	$(AM_V_at)test '$(abs_srcdir)' = '$(abs_builddir)' || \
	  cp '$(srcdir)/tests/browser/package.json' '$(srcdir)/tests/browser/package-lock.json' tests/browser/
	$(AM_V_at)cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
	  npm ci --no-audit --no-fund --prefer-offline --loglevel=error || \
	  echo "check-browser: npm ci failed: the browser tests will say what is missing" >&2
	$(AM_V_at)KINKO_BROWSER_STAGE=1 $(MAKE) $(AM_MAKEFLAGS) check TESTS='$(BROWSER_TESTS)'

clean-local:
	-rm -rf tests/browser/node_modules tests/browser/artefacts
