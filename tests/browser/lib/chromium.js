'use strict';
// Debian's chromium behind lib/driver.js's interface, through playwright-core (never a
// downloaded browser build). The token reaches it the way it reaches a user's Chromium: kinko's
// module in $HOME/.pki/nssdb, the bank's CA trusted there; so HOME is the test's own.
//
// The client certificate is chosen without a dialog (headless Chromium would wait on it for
// ever) by Chromium's AUTO_SELECT_CERTIFICATE content setting for the bank's origin, filtered by
// the issuer's CN. The AutoSelectCertificateForUrls policy fills that setting from
// /etc/chromium/policies/managed (Chromium 156 ignores --policy= outside development builds);
// the profile's own Preferences fill the same setting, per profile and without root. With
// certChoice 'policy' the caller has written the policy file and the profile stays empty.
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.KINKO_CHROMIUM || '/usr/bin/chromium';
// As root Chromium refuses to start sandboxed; the rest keeps a test run quiet and offline.
const ARGS = [
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

// How long a failed load's error page may take to come.
const ERROR_PAGE_MS = 5000;

// {filters: [...]}: the value Chromium keeps for a pattern, as the policy handler builds it.
function chromium_profile_write(profileDir, bankUrl, issuerCN) {
	const dir = path.join(profileDir, 'Default');
	const origin = new URL(bankUrl).origin;
	const prefs = {
		profile: {
			content_settings: {
				exceptions: {
					auto_select_certificate: {
						[`${origin},*`]: {
							last_modified: '13300000000000000',
							setting: { filters: [{ ISSUER: { CN: issuerCN } }] },
						},
					},
				},
			},
		},
	};
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'Preferences'), JSON.stringify(prefs));
}

// LANG=ja_JP.UTF-8 -> 'ja-JP': the language the pages are asked in (Accept-Language), as a
// user's Chromium asks in its UI language.
function chromium_locale(lang) {
	const m = /^([a-z]{2,3})(?:_([A-Z]{2}))?/.exec(lang || '');
	return m ? (m[2] ? `${m[1]}-${m[2]}` : m[1]) : undefined;
}

async function open(opts) {
	const ms = opts.stepTimeoutMs;
	const args = [...ARGS];
	if (typeof process.getuid === 'function' && process.getuid() === 0)
		args.unshift('--no-sandbox');
	fs.mkdirSync(opts.profileDir, { recursive: true });
	if (opts.certChoice !== 'policy' && opts.issuerCN)
		chromium_profile_write(opts.profileDir, opts.bankUrl, opts.issuerCN);

	const context = await chromium.launchPersistentContext(opts.profileDir, {
		executablePath: EXECUTABLE,
		headless: true,
		args,
		env: { ...process.env, ...opts.env, HOME: opts.home },
		timeout: ms,
		// The bank's server certificate must verify through the NSS DB, as for a user.
		ignoreHTTPSErrors: false,
		viewport: { width: 1024, height: 768 },
		locale: chromium_locale((opts.env || {}).LANG),
	});
	const page = context.pages()[0] || (await context.newPage());
	page.setDefaultTimeout(ms);
	page.setDefaultNavigationTimeout(ms);

	// A read that meets a navigation still under way (a failed goto's error page, a form's
	// answer) is read again once that page has loaded.
	async function settled(read) {
		try {
			return await read();
		} catch (e) {
			if (!/Execution context was destroyed|navigat/i.test(e.message))
				throw e;
			await page.waitForLoadState('load');
			return read();
		}
	}

	return {
		async goto(url) {
			try {
				await page.goto(url, { waitUntil: 'load' });
			} catch (e) {
				// Chromium's own error page follows a failed load: let it settle, so that the
				// next goto is not interrupted by it.
				await page
					.waitForURL((u) => u.protocol === 'chrome-error:', { timeout: ERROR_PAGE_MS })
					.catch(() => {});
				throw e;
			}
		},
		async fill(selector, text) {
			await page.fill(selector, text);
		},
		async click(selector) {
			const loaded = page.waitForEvent('load');
			loaded.catch(() => {});
			await page.click(selector);
			await loaded;
		},
		async text(selector) {
			return (await settled(() => page.textContent(selector))) || '';
		},
		async attr(selector, name) {
			return settled(() => page.getAttribute(selector, name));
		},
		async exists(selector) {
			return (await settled(() => page.$(selector))) !== null;
		},
		async url() {
			return page.url();
		},
		async screenshot(file) {
			fs.mkdirSync(path.dirname(file), { recursive: true });
			await page.screenshot({ path: file, fullPage: true });
		},
		async close() {
			await context.close();
		},
	};
}

module.exports = { open };
