'use strict';
// The one interface the scenarios drive a browser through, whichever browser it is:
// open({browser, home, env, profileDir, bankUrl, issuerCN, artefacts, stepTimeoutMs}) gives
// goto(url), fill(selector, text), click(selector) (waits for the navigation it causes),
// text(selector), attr(selector, name), exists(selector), url(), screenshot(path) (PNG),
// close(). lib/chromium.js and lib/firefox.js implement it; every call is bounded here, once
// for both, because a browser waiting on a token PIN hangs rather than fails.
const path = require('path');

const BROWSERS = {
	chromium: './chromium',
	firefox: './firefox',
};
const DEFAULT_STEP_MS = 20000;
const METHODS = ['goto', 'fill', 'click', 'text', 'attr', 'exists', 'url', 'screenshot', 'close'];

// promise, or a rejection naming the call once ms have passed.
function driver_bound(promise, ms, what) {
	let timer;
	const expiry = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
	});
	return Promise.race([Promise.resolve(promise), expiry]).finally(() => clearTimeout(timer));
}

function driver_describe(name, args) {
	return `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
}

// Every method of the browser's own driver, under the step timeout; fill's text is left out
// of the message (it may be a PIN).
function driver_wrap(impl, ms) {
	const bounded = {};
	for (const name of METHODS) {
		if (typeof impl[name] !== 'function')
			throw new Error(`the driver has no ${name}()`);
		bounded[name] = (...args) => {
			const shown = name === 'fill' ? [args[0], '…'] : args;
			return driver_bound(impl[name](...args), ms, driver_describe(name, shown));
		};
	}
	return bounded;
}

async function open(options) {
	const mod = BROWSERS[options.browser];
	if (mod === undefined)
		throw new Error(`unknown browser "${options.browser}" (known: ${Object.keys(BROWSERS).join(', ')})`);
	const opts = { ...options, stepTimeoutMs: options.stepTimeoutMs || DEFAULT_STEP_MS };
	for (const key of ['home', 'profileDir', 'artefacts'])
		if (opts[key] !== undefined)
			opts[key] = path.resolve(opts[key]);
	// Starting a browser takes longer than a step; still bounded.
	const impl = await driver_bound(require(mod).open(opts), 3 * opts.stepTimeoutMs, `open ${opts.browser}`);
	return driver_wrap(impl, opts.stepTimeoutMs);
}

module.exports = { open, driver_bound };
