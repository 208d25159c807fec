'use strict';
// lib/firefox.js against a local HTTP server (no bank, no token): each driver call does what
// driver.js's interface says, a page that never answers fails its step by the step timeout
// instead of hanging, and close() after such a hang leaves no process of Firefox's group.
// TAP on stdout. argv[2]: a directory of its own (HOME and the profile).
const fs = require('fs');
const http = require('http');
const path = require('path');
const firefox = require('./lib/firefox');
const { tap_ok, tap_settle, tap_run } = require('./tap');

const STEP_MS = 3000;

// Is any process of group pgid alive?
function group_alive(pgid) {
	try {
		process.kill(-pgid, 0);
		return true;
	} catch (e) {
		return false;
	}
}

const PAGE = '<!doctype html><html lang="ja"><body><p id="otp-positions" data-positions="C3,A7">' +
	'ご契約先ステータス</p><form method="post" action="/done"><input id="pin" name="pin">' +
	'<button id="go">go</button></form><button id="stay" type="button">stay</button></body></html>';

function server_start() {
	const hung = [];
	const srv = http.createServer((req, res) => {
		res.setHeader('content-type', 'text/html; charset=utf-8');
		if (req.url === '/') {
			res.end(PAGE);
		} else if (req.url === '/done') {
			let body = '';
			req.on('data', (d) => { body += d; });
			// Slower than a click's own reply: the click must wait for this page.
			req.on('end', () => setTimeout(() => res.end(`<p id="done">${decodeURIComponent(body)}</p>`), 800));
		} else {
			hung.push(res); // never answers: a browser waiting on a token PIN looks like this
		}
	});
	return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, hung })));
}

async function main(dir) {
	const { srv, hung } = await server_start();
	const base = `http://127.0.0.1:${srv.address().port}`;
	console.log('1..9');
	fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
	const b = await firefox.open({ home: path.join(dir, 'home'), profileDir: path.join(dir, 'profile'),
		bankUrl: base, stepTimeoutMs: STEP_MS, startTimeoutMs: 60000, env: { LANG: 'ja_JP.UTF-8' } });
	try {
		await b.goto(`${base}/`);
		tap_ok((await b.url()) === `${base}/` && (await b.text('#otp-positions')) === 'ご契約先ステータス',
			'goto loads the page; url() and text() read it (UTF-8)');
		tap_ok((await b.attr('#otp-positions', 'data-positions')) === 'C3,A7' &&
			(await b.attr('#otp-positions', 'data-none')) === null,
			'attr() reads an attribute, null when absent');
		tap_ok((await b.exists('#pin')) === true && (await b.exists('#no-such')) === false,
			'exists() tells present from absent without waiting');
		await b.fill('#pin', 'wrong');
		await b.fill('#pin', 'イ1234');
		await b.click('#go');
		const done = await tap_settle(b.text('#done'));
		tap_ok(done.value === 'pin=イ1234', 'fill() replaces the text; click() returns once the page it causes has loaded',
			JSON.stringify(done));
		const file = path.join(dir, 'shot.png');
		await b.screenshot(file);
		const png = fs.readFileSync(file);
		tap_ok(png.length > 100 && png.subarray(1, 4).toString() === 'PNG', 'screenshot() writes a PNG');
		await b.goto(`${base}/`);
		let t0 = Date.now();
		const stay = await tap_settle(b.click('#stay'));
		tap_ok(stay.error && Date.now() - t0 < STEP_MS + 2000, 'a click that causes no navigation fails by the step timeout',
			stay.error ? stay.error.message : 'resolved');
		t0 = Date.now();
		const hang = await tap_settle(b.goto(`${base}/hang`));
		const took = Date.now() - t0;
		tap_ok(hang.error && took >= STEP_MS - 100 && took < STEP_MS + 2000,
			'a page that never answers fails goto by the step timeout, no hang',
			`${took} ms: ${hang.error ? hang.error.message : 'resolved'}`);
	} finally {
		const t0 = Date.now();
		await b.close();
		const took = Date.now() - t0;
		tap_ok(took < 5000, 'close() after a hung load returns within 5 s', `${took} ms`);
		tap_ok(!group_alive(b.pid), 'no process of Firefox\'s group is left after close()');
		for (const res of hung)
			res.destroy();
		srv.close();
	}
}

tap_run(() => main(process.argv[2]));
