'use strict';
// The bank manuals' screens in a real browser, through lib/driver.js's interface only, so each
// scenario runs the same in Chromium and in Firefox. A scenario is a list of steps, each
// [name, async (browser, cfg, state)], run in order by run_scenario.js until one fails. The
// selectors are the bank pages' contract ids (kinko-bankd's HTML); cfg.secrets holds the
// party's secrets file (kinko's key=value names), cfg.userId the user the admin registers.
const fs = require('fs');
const path = require('path');

function fail(message) {
	throw new Error(message);
}

// The digits at positions "C3,A7" of a printed customer card (kinko-bankd's printout: a row
// letter, then the columns' digits, column 0 first).
function scenario_card_digits(cardFile, positions) {
	const rows = fs.readFileSync(cardFile, 'utf8').split('\n').map((l) => l.trim().split(/\s+/));
	return positions
		.split(',')
		.map((p) => {
			const row = rows.find((r) => r[0] === p[0]);
			const digit = row && row[Number(p.slice(1)) + 1];
			if (digit === undefined || !/^[0-9]$/.test(digit))
				fail(`no digit at ${p} on the customer card`);
			return digit;
		})
		.join('');
}

// <artefacts>/<browser>-<scenario>-<page>.png, kept after the test.
function shot(b, cfg, name) {
	return b.screenshot(path.join(cfg.artefacts, `${cfg.browser}-${cfg.scenario}-${name}.png`));
}

async function expect_exists(b, selector, what) {
	if (!(await b.exists(selector)))
		fail(`${what}: no ${selector} on ${await b.url()}`);
}

// A finished action: #done there and no #error.
async function expect_done(b, what) {
	if (await b.exists('#error'))
		fail(`${what}: the page says "${(await b.text('#error')).trim()}"`);
	await expect_exists(b, '#done', what);
}

async function expect_role(b, role) {
	await expect_exists(b, '#status', 'the status screen');
	const got = await b.attr('#status', 'data-role');
	if (got !== role)
		fail(`the status screen is for "${got}", expected "${role}"`);
}

function logon_form(who) {
	return [
		`${who}: the logon page shows the logon form (certificate chosen, token unlocked by the pinentry)`,
		async (b, cfg) => {
			await b.goto(`${cfg.bankUrl}/`);
			await expect_exists(b, 'form#logon-form', 'the logon page');
			await shot(b, cfg, 'logon');
		},
	];
}

// The logon page loaded with no certificate sent: the bank says one is needed.
async function logon_without_certificate(b, cfg) {
	await b.goto(`${cfg.bankUrl}/`);
	if (await b.exists('form#logon-form'))
		fail('the logon form is there: a certificate reached the bank');
	await expect_exists(b, '#no-certificate', 'the logon page after a cancel');
}

function logoff(who) {
	return [
		`${who}: logs off from the status screen`,
		async (b, cfg) => {
			if (!(await b.exists('button#logoff-submit')))
				await b.goto(`${cfg.bankUrl}/status`);
			await b.click('button#logoff-submit');
			await expect_done(b, 'the logoff');
		},
	];
}

const admin_logon = [
	logon_form('admin'),
	[
		'admin: the contract PIN (イ) is asked for the customer card at two positions',
		async (b, cfg, st) => {
			await b.fill('input#pin', cfg.secrets.contract_pin);
			await b.click('button#logon-submit');
			await expect_exists(b, '#otp-positions', 'the one-time password page');
			st.positions = await b.attr('#otp-positions', 'data-positions');
			if (!/^[A-Z][0-9],[A-Z][0-9]$/.test(st.positions || ''))
				fail(`data-positions is "${st.positions}", not two card positions`);
		},
	],
	[
		'admin: the card digits open the contract status screen',
		async (b, cfg, st) => {
			await b.fill('input#digits', scenario_card_digits(cfg.secrets.card_file, st.positions));
			await b.click('button#otp-submit');
			await expect_role(b, 'admin');
			await shot(b, cfg, 'status');
		},
	],
];

const admin_issue = [
	[
		'admin: ご契約先管理情報変更 leads to the users list',
		async (b, cfg) => {
			await b.click('a#contract-admin');
			await expect_exists(b, 'a#users-link', 'the contract management page');
			await shot(b, cfg, 'contract');
			await b.click('a#users-link');
			await expect_exists(b, 'table#users', 'the users page');
		},
	],
	[
		'admin: registers a user (ニ, ト, チ)',
		async (b, cfg) => {
			await b.click('a#user-register');
			await b.fill('input#user_id', cfg.userId);
			await b.fill('input#user_pin', cfg.secrets.user_pin);
			await b.fill('input#user_confirmation_pin', cfg.secrets.user_confirmation_pin);
			await b.click('button#user-submit');
			await expect_done(b, 'the registration');
		},
	],
	[
		'admin: selects the user and issues a certificate (ロ)',
		async (b, cfg) => {
			const row = `tr[data-user-id="${cfg.userId}"]`;
			await b.goto(`${cfg.bankUrl}/admin/users`);
			await expect_exists(b, row, 'the users list');
			await shot(b, cfg, 'users');
			await b.click(`${row} a.user-select`);
			await b.fill('input#confirmation_pin', cfg.secrets.contract_confirmation_pin);
			await b.click('button#issue-submit');
			await expect_done(b, 'the issuance');
		},
	],
];

const SCENARIOS = {
	// The admin's day of manual I-3: logon with the customer card, register a user, issue.
	admin: [...admin_logon, ...admin_issue, logoff('admin')],
	// The user logs on with ト and sees the user's status screen.
	user: [
		logon_form('user'),
		[
			'user: the user PIN (ト) opens the user status screen',
			async (b, cfg) => {
				await b.fill('input#pin', cfg.secrets.user_pin);
				await b.click('button#logon-submit');
				await expect_role(b, 'user');
				await shot(b, cfg, 'status');
			},
		],
		logoff('user'),
	],
	// The pinentry cancelled: no certificate reaches the bank, which says one is needed at the
	// first load (the module asks when the browser looks for the certificate's key, before the
	// browser commits to it: a signature refused later would end the handshake with the
	// browser's own error page). Loaded again, no second prompt while the cancel is remembered.
	cancel: [
		[
			'cancel: the first load shows the logon page saying a certificate is needed, no error page',
			async (b, cfg) => {
				await logon_without_certificate(b, cfg);
			},
		],
		[
			'cancel: loaded again, the logon page says a certificate is needed, with the link to obtain one',
			async (b, cfg) => {
				await logon_without_certificate(b, cfg);
				await expect_exists(b, 'a#get-certificate', 'the logon page after a cancel');
				await shot(b, cfg, 'no-certificate');
			},
		],
	],
	// A wrong token PIN, then the right one (the pinentry asked again): the logon goes through.
	retry: [...admin_logon, logoff('admin')],
};

function scenario_steps(name) {
	const steps = SCENARIOS[name];
	if (steps === undefined)
		fail(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
	return steps;
}

module.exports = { scenario_steps, scenario_card_digits, SCENARIOS };
