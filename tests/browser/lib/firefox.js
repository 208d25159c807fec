'use strict';
// The Firefox side of the browser-test driver (tests/browser/lib/driver.js): Debian's
// firefox-esr, headless, driven through Marionette (lib/marionette.js). The profile is the
// caller's (fresh per test): its NSS DB already holds kinko's module and the bank's CA as
// `kinko browser setup` leaves them; this file adds only the preferences of an unattended
// browser (no first run, no telemetry, no updates, no background traffic) and the client
// certificate chosen without a dialog.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const marionette = require('./marionette');

const FIREFOX = process.env.KINKO_FIREFOX || '/usr/bin/firefox-esr';
// Marionette:Quit takes under a second; one stuck (on a token dialog) is not waited for longer
// than this, twice (the quit, then the exit): the runner bounds close() to 5 s after a failure.
const QUIT_GRACE_MS = 2000;

// user.js: read by Firefox at every start, over its defaults.
const PREFS = {
	// Port 0: Firefox picks a free port and writes it to MarionetteActivePort in the profile,
	// so parallel tests never race for one.
	'marionette.port': 0,
	// The client certificate without the chooser dialog (there is none headless: it would hang).
	'security.default_personal_cert': 'Select Automatically',
	'browser.shell.checkDefaultBrowser': false,
	'browser.startup.page': 0,
	'browser.startup.homepage': 'about:blank',
	'browser.startup.homepage_override.mstone': 'ignore',
	'startup.homepage_welcome_url': 'about:blank',
	'startup.homepage_welcome_url.additional': '',
	'browser.aboutwelcome.enabled': false,
	'trailhead.firstrun.didSeeAboutWelcome': true,
	'datareporting.policy.dataSubmissionEnabled': false,
	'datareporting.healthreport.uploadEnabled': false,
	'toolkit.telemetry.enabled': false,
	'toolkit.telemetry.unified': false,
	'toolkit.telemetry.server': '',
	'app.update.auto': false,
	'app.update.checkInstallTime': false,
	'app.update.disabledForTesting': true,
	'app.normandy.enabled': false,
	'extensions.update.enabled': false,
	'extensions.getAddons.cache.enabled': false,
	'extensions.systemAddon.update.enabled': false,
	'browser.safebrowsing.malware.enabled': false,
	'browser.safebrowsing.phishing.enabled': false,
	'browser.safebrowsing.downloads.enabled': false,
	'browser.safebrowsing.blockedURIs.enabled': false,
	'browser.safebrowsing.update.enabled': false,
	'services.settings.server': 'http://127.0.0.1:9/',
	'network.captive-portal-service.enabled': false,
	'network.connectivity-service.enabled': false,
	'network.dns.disablePrefetch': true,
	'network.prefetch-next': false,
	'network.http.speculative-parallel-limit': 0,
	'network.proxy.type': 0,
	'browser.newtabpage.enabled': false,
	'browser.newtabpage.activity-stream.feeds.telemetry': false,
	'browser.newtabpage.activity-stream.telemetry': false,
	'browser.discovery.enabled': false,
	'browser.search.update': false,
	'media.gmp-manager.updateEnabled': false,
	// The bank's certificates come from its own CA and carry no OCSP responder to ask.
	'security.OCSP.enabled': 0,
	'toolkit.startup.max_resumed_crashes': -1,
	'browser.sessionstore.resume_from_crash': false,
	'browser.tabs.warnOnClose': false,
};

function firefox_pref_line(name, value) {
	return `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});\n`;
}

// firefox_user_js_write(DIR, EXTRA): the unattended preferences (EXTRA: more of them, e.g. the language).
function firefox_user_js_write(dir, extra = {}) {
	const all = { ...PREFS, ...extra };
	fs.writeFileSync(path.join(dir, 'user.js'), Object.keys(all).map((k) => firefox_pref_line(k, all[k])).join(''));
}

// The pages' language follows LANG as in Chromium: Debian's firefox-esr is an en-US build whose
// Accept-Language ignores the locale, so LANG=ja_JP.UTF-8 becomes "ja-JP, ja".
function firefox_lang_prefs(lang) {
	const m = /^([a-z]{2,3})(?:_([A-Z]{2}))?/.exec(lang || '');
	if (!m) return {};
	return { 'intl.accept_languages': m[2] ? `${m[1]}-${m[2]}, ${m[1]}` : m[1] };
}

function firefox_sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// firefox_bound(PROMISE, MS, WHAT): PROMISE's outcome, or a rejection naming WHAT after MS.
function firefox_bound(promise, ms, what) {
	let timer;
	const t = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`firefox: ${what}: no result within ${ms} ms`)), ms);
	});
	return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// The port Firefox wrote once Marionette listens (bounded wait; a dead browser fails at once).
async function firefox_port_read(profileDir, alive, timeoutMs) {
	const file = path.join(profileDir, 'MarionetteActivePort');
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!alive()) throw new Error('firefox exited during its start');
		try {
			const s = fs.readFileSync(file, 'latin1').trim();
			if (/^[0-9]+$/.test(s) && Number(s) > 0) return Number(s);
		} catch (e) {
			if (e.code !== 'ENOENT') throw e;
		}
		await firefox_sleep(100);
	}
	throw new Error(`firefox: Marionette did not start within ${timeoutMs} ms`);
}

// firefox_open({home, env, profileDir, bankUrl, stepTimeoutMs, startTimeoutMs, prefs}): the driver
// object of tests/browser/lib/driver.js. Firefox runs with HOME=home and the caller's env
// (the module's KINKO_* and the pinentry's PINENTRY_* reach it, and through it the module);
// its output goes to profileDir/firefox.log.
async function firefox_open(opts) {
	const stepMs = opts.stepTimeoutMs || 20000;
	// Under driver.js's bound of its start (three steps), so this message, naming the log, wins.
	const startMs = opts.startTimeoutMs || 2 * stepMs;
	const profileDir = path.resolve(opts.profileDir);
	const base = opts.bankUrl || 'about:blank';
	const logPath = path.join(profileDir, 'firefox.log');
	fs.mkdirSync(profileDir, { recursive: true });
	fs.rmSync(path.join(profileDir, 'MarionetteActivePort'), { force: true });
	const env = { ...process.env, ...(opts.env || {}), MOZ_CRASHREPORTER_DISABLE: '1' };
	if (opts.home) env.HOME = opts.home;
	firefox_user_js_write(profileDir, { ...firefox_lang_prefs(env.LANG), ...(opts.prefs || {}) });
	const log = fs.openSync(logPath, 'a');
	// Its own process group, so close() ends Firefox and every child process it started.
	const child = spawn(FIREFOX, ['--headless', '--no-remote', '--marionette', '--profile', profileDir],
		{ env, detached: true, stdio: ['ignore', log, log] });
	fs.closeSync(log);
	let exited = false;
	const exit_seen = new Promise((resolve) => child.once('exit', () => { exited = true; resolve(); }));
	child.once('error', () => { exited = true; });
	const group_kill = () => {
		try { process.kill(-child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
	};
	// group_gone(): SIGKILL to the group, then a bounded wait until no process of it is left.
	const group_gone = async () => {
		group_kill();
		for (let i = 0; i < 100; i++) {
			try { process.kill(-child.pid, 0); } catch (e) { return; }
			await firefox_sleep(50);
		}
	};
	// Node exiting (a failed test) must not leave the browser behind.
	process.once('exit', group_kill);
	const alive = () => !exited;

	let m;
	try {
		// One bound for the whole start: the port, the connection and the session (its first
		// window opens then, slow under load).
		const deadline = Date.now() + startMs;
		const left = () => Math.max(1, deadline - Date.now());
		const port = await firefox_port_read(profileDir, alive, left());
		m = await marionette.marionette_connect({ port, connectTimeoutMs: left(), commandTimeoutMs: stepMs, alive });
		await m.newSession({ acceptInsecureCerts: false, pageLoadStrategy: 'normal' }, left());
		await m.setTimeouts({ pageLoad: stepMs, script: stepMs, implicit: 0 }, left());
	} catch (e) {
		if (m) m.close();
		await group_gone();
		process.removeListener('exit', group_kill);
		e.message += ` (see ${logPath})`;
		throw e;
	}

	const step = (what, fn) => firefox_bound(fn(), stepMs, what);
	const find = (sel) => m.findElement(sel);
	const resolve = (url) => new URL(url, base).toString();
	let closing = null;

	return {
		browser: 'firefox',
		logPath,
		pid: child.pid,
		goto: (url) => step(`goto ${url}`, () => m.navigate(resolve(url))),
		fill: (sel, text) => step(`fill ${sel}`, async () => {
			const id = await find(sel);
			await m.clear(id);
			await m.sendKeys(id, String(text));
		}),
		// click(SEL): the click and the navigation it causes: the old document is marked first,
		// done when a document without the mark has loaded.
		click: (sel) => step(`click ${sel}`, async () => {
			const id = await find(sel);
			await m.executeScript('window.__kinkoOld = true;');
			await m.click(id);
			const deadline = Date.now() + stepMs;
			while (Date.now() < deadline) {
				let fresh = false;
				try {
					fresh = await m.executeScript(
						'return window.__kinkoOld !== true && document.readyState === "complete";');
				} catch (e) {
					// A document being replaced answers with a JavaScript or window error: ask again.
					if (!(e instanceof marionette.MarionetteError)) throw e;
				}
				if (fresh) return;
				await firefox_sleep(50);
			}
			throw new Error(`firefox: click ${sel}: no navigation within ${stepMs} ms`);
		}),
		text: (sel) => step(`text ${sel}`, async () => m.elementText(await find(sel))),
		attr: (sel, name) => step(`attr ${sel} ${name}`, async () => m.elementAttribute(await find(sel), name)),
		exists: (sel) => step(`exists ${sel}`, async () => (await m.findElements(sel)).length > 0),
		url: () => step('url', () => m.currentUrl()),
		screenshot: (file) => step(`screenshot ${file}`, async () => {
			const png = await m.screenshot(true);
			fs.mkdirSync(path.dirname(file), { recursive: true });
			fs.writeFileSync(file, png);
		}),
		// close(): Marionette:Quit, then the process group killed if Firefox is still there a few
		// seconds later (it hangs when a token dialog is pending). Idempotent.
		close: () => {
			if (!closing) {
				closing = (async () => {
					let quit = false;
					if (!exited) {
						quit = await firefox_bound(m.quit(), QUIT_GRACE_MS, 'quit').then(() => true, () => false);
					}
					m.close();
					if (quit) await firefox_bound(exit_seen, QUIT_GRACE_MS, 'exit').catch(() => {});
					// Its content processes can outlive the parent: the whole group goes.
					await group_gone();
					process.removeListener('exit', group_kill);
				})();
			}
			return closing;
		},
	};
}

module.exports = { open: firefox_open, firefox_user_js_write, PREFS };
