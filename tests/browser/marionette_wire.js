'use strict';
// lib/marionette.js against a scripted Marionette server (no browser): the framing, replies
// matched by id, errors, timeouts and a dying connection. TAP on stdout.
const net = require('net');
const { marionette_connect: connect, MarionetteError } = require('./lib/marionette');
const { tap_ok, tap_settle, tap_run } = require('./tap');

function frame(obj) {
	const b = Buffer.from(JSON.stringify(obj), 'utf8');
	return Buffer.concat([Buffer.from(`${b.length}:`), b]);
}

// A server that sends HELLO to each connection and hands every parsed command to on_command
// (sock, [0, id, name, params]). Resolves with {server, port, socks} (socks: the server's
// side of each connection).
function server_fake(on_command, hello = { applicationType: 'gecko', marionetteProtocol: 3 }) {
	const socks = [];
	return new Promise((resolve) => {
		const server = net.createServer((sock) => {
			let buf = Buffer.alloc(0);
			socks.push(sock);
			if (hello) sock.write(frame(hello));
			sock.on('data', (d) => {
				buf = Buffer.concat([buf, d]);
				for (;;) {
					const c = buf.indexOf(0x3a);
					if (c < 0) return;
					const len = Number(buf.subarray(0, c).toString());
					if (buf.length < c + 1 + len) return;
					const msg = JSON.parse(buf.subarray(c + 1, c + 1 + len).toString('utf8'));
					buf = buf.subarray(c + 1 + len);
					on_command(sock, msg);
				}
			});
			sock.on('error', () => {});
		});
		server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, socks }));
	});
}

function port_free() {
	return new Promise((resolve) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

async function main() {
	console.log('1..11');

	// Replies in the other order than the commands, each frame written one byte at a time,
	// with a multi-byte UTF-8 text: the length prefix counts bytes.
	const seen = [];
	let held = null;
	const a = await server_fake((sock, msg) => {
		seen.push(msg);
		if (msg[2] === 'Test:First') { held = msg; return; }
		const replies = [frame([1, msg[1], null, { value: `ご契約先 ${msg[3].x}` }])];
		if (held) replies.push(frame([1, held[1], null, { value: 'first' }]));
		const all = Buffer.concat(replies);
		for (let i = 0; i < all.length; i++) sock.write(all.subarray(i, i + 1));
	});
	const m = await connect({ port: a.port, connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
	tap_ok(m.hello && m.hello.marionetteProtocol === 3, 'the hello frame is read before any command');
	const [r1, r2] = await Promise.all([tap_settle(m.command('Test:First', {})),
		tap_settle(m.command('Test:Second', { x: '利用者' }))]);
	tap_ok(r1.value && r1.value.value === 'first' && r2.value && r2.value.value === 'ご契約先 利用者',
		'replies in any order reach their commands by id, UTF-8 frames split byte by byte',
		JSON.stringify([r1, r2]));
	tap_ok(seen.length === 2 && seen[0][0] === 0 && seen[1][0] === 0 && seen[0][1] !== seen[1][1] &&
		seen[1][3].x === '利用者', 'commands go out as [0, id, name, params] with distinct ids',
		JSON.stringify(seen));
	m.close();
	a.server.close();

	// Marionette's error object becomes a rejection carrying its code and text.
	const b = await server_fake((sock, msg) => {
		if (msg[2] === 'WebDriver:FindElement') {
			sock.write(frame([1, msg[1], { error: 'no such element', message: 'Unable to locate element: #pin',
				stacktrace: '' }, null]));
		}
	});
	const mb = await connect({ port: b.port, connectTimeoutMs: 2000, commandTimeoutMs: 2000 });
	const e1 = await tap_settle(mb.findElement('#pin'));
	tap_ok(e1.error instanceof MarionetteError && e1.error.error === 'no such element' &&
		/Unable to locate element: #pin/.test(e1.error.message),
		'an error reply rejects with Marionette\'s error code and message', e1.error && e1.error.message);

	// No reply: the command rejects after its timeout; a late reply is dropped.
	const t0 = Date.now();
	const e2 = await tap_settle(mb.command('Test:Silent', {}, 300));
	const took = Date.now() - t0;
	tap_ok(e2.error && /within 300 ms/.test(e2.error.message) && took >= 290 && took < 2000,
		'a command without a reply rejects after its timeout', `${took} ms: ${e2.error && e2.error.message}`);

	// The connection dropping fails what is pending at once, and what comes later.
	const pending = tap_settle(mb.command('Test:Silent', {}, 5000));
	const t1 = Date.now();
	b.server.close();
	for (const s of b.socks) s.end();
	const e3 = await pending;
	tap_ok(e3.error && Date.now() - t1 < 2000 && /closed/.test(e3.error.message),
		'a closed connection rejects the pending command at once', e3.error && e3.error.message);
	const e4 = await tap_settle(mb.command('Test:After', {}));
	tap_ok(e4.error && /closed/.test(e4.error.message), 'a command after the close rejects', e4.error && e4.error.message);

	// A frame whose length prefix is not a number ends the connection instead of waiting.
	const c = await server_fake((sock, msg) => { sock.write(`x${msg[1]}:[1]`); });
	const mc = await connect({ port: c.port, connectTimeoutMs: 2000, commandTimeoutMs: 5000 });
	const t2 = Date.now();
	const e5 = await tap_settle(mc.command('Test:Bad', {}));
	tap_ok(e5.error && Date.now() - t2 < 2000 && /bad frame/.test(e5.error.message),
		'a malformed frame fails the connection at once', e5.error && e5.error.message);
	c.server.close();

	// connect retries until the port answers, and gives up when it never does.
	const port = await port_free();
	let late = null;
	setTimeout(async () => {
		late = await new Promise((resolve) => {
			const s = net.createServer((sock) => sock.write(frame({ applicationType: 'gecko', marionetteProtocol: 3 })));
			s.listen(port, '127.0.0.1', () => resolve(s));
		});
	}, 400);
	const e6 = await tap_settle(connect({ port, connectTimeoutMs: 5000 }));
	tap_ok(e6.value && e6.value.hello, 'connect retries until Marionette listens', e6.error && e6.error.message);
	if (e6.value) e6.value.close();
	if (late) late.close();
	const none = await port_free();
	const t3 = Date.now();
	const e7 = await tap_settle(connect({ port: none, connectTimeoutMs: 600 }));
	tap_ok(e7.error && /did not answer within 600 ms/.test(e7.error.message) && Date.now() - t3 < 3000,
		'connect gives up after its timeout when nothing listens', e7.error && e7.error.message);

	// Another protocol version is refused rather than misread.
	const d = await server_fake(() => {}, { applicationType: 'gecko', marionetteProtocol: 2 });
	const e8 = await tap_settle(connect({ port: d.port, connectTimeoutMs: 2000 }));
	tap_ok(e8.error && /protocol 2/.test(e8.error.message), 'a hello of another protocol version is refused',
		e8.error && e8.error.message);
	d.server.close();
}

tap_run(() => main());
