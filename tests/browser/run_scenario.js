'use strict';
// Runs one scenario of scenarios.js in one browser and prints one line per step, for
// browser_lib.sh to turn into TAP:
//   ok<TAB>STEP | not ok<TAB>STEP<TAB>WHY | # a comment
// A failed step ends the scenario; the steps after it print as "not reached", so every run
// prints every step. The browser is closed in any case (close is bounded like every step).
//
//   node run_scenario.js --steps SCENARIO   the scenario's step names, one a line
//   node run_scenario.js CONFIG.json        run it: {scenario, browser, bankUrl, issuerCN,
//                                           home, profileDir, env, artefacts, stepTimeoutMs,
//                                           certChoice, secretsFile, userId}
const fs = require('fs');
const path = require('path');
const driver = require('./lib/driver');
const { scenario_steps } = require('./scenarios');

// After a failure: the screenshot and the close, for a browser that may hang.
const SHORT_MS = 5000;

function line(...fields) {
	process.stdout.write(`${fields.map((f) => String(f).replace(/[\t\n]+/g, ' ')).join('\t')}\n`);
}

// kinko's secrets file: key=value lines (the party's PINs, the customer card's file).
function run_secrets_read(file) {
	const secrets = {};
	for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
		const eq = l.indexOf('=');
		if (eq > 0)
			secrets[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
	}
	return secrets;
}

// Where the browser is when a step fails, and what the bank said: the reason's second half.
async function run_where(b) {
	try {
		const url = await b.url();
		const error = (await b.exists('#error')) ? ` (#error: ${(await b.text('#error')).trim()})` : '';
		return ` [at ${url}${error}]`;
	} catch (e) {
		return '';
	}
}

async function run_scenario(cfg) {
	const steps = scenario_steps(cfg.scenario);
	const state = {};
	let b = null;
	let failed = false;
	let i = 0;

	cfg.secrets = cfg.secretsFile ? run_secrets_read(cfg.secretsFile) : {};
	try {
		b = await driver.open(cfg);
	} catch (e) {
		line('#', `${cfg.browser} did not start: ${e.message}`);
		failed = true;
	}
	for (; !failed && i < steps.length; i++) {
		const [name, fn] = steps[i];
		const started = Date.now();
		try {
			await fn(b, cfg, state);
			line('ok', name);
			line('#', `${Date.now() - started} ms`);
		} catch (e) {
			line('not ok', name, `${e.message.split('\n')[0]}${await run_where(b)}`);
			// A browser stuck on a dialog may not draw either: a short wait only.
			try {
				const file = path.join(cfg.artefacts, `${cfg.browser}-${cfg.scenario}-failed.png`);
				await driver.driver_bound(b.screenshot(file), SHORT_MS, 'screenshot of the failure');
			} catch (e2) {
				line('#', `no screenshot of the failure: ${e2.message.split('\n')[0]}`);
			}
			failed = true;
		}
	}
	for (; i < steps.length; i++)
		line('not ok', steps[i][0], 'not reached');
	if (b !== null) {
		try {
			await driver.driver_bound(b.close(), failed ? SHORT_MS : cfg.stepTimeoutMs || SHORT_MS, 'close');
		} catch (e) {
			line('#', `close: ${e.message.split('\n')[0]}`);
			failed = true;
		}
	}
	return failed ? 1 : 0;
}

async function main(argv) {
	if (argv[0] === '--steps') {
		for (const [name] of scenario_steps(argv[1]))
			line(name);
		return 0;
	}
	if (argv.length !== 1) {
		process.stderr.write('usage: node run_scenario.js --steps SCENARIO | CONFIG.json\n');
		return 2;
	}
	return run_scenario(JSON.parse(fs.readFileSync(argv[0], 'utf8')));
}

main(process.argv.slice(2)).then(
	(rc) => process.exit(rc),
	(e) => {
		process.stderr.write(`run_scenario: ${e.stack || e}\n`);
		process.exit(2);
	}
);
