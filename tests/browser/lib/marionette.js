'use strict';
// A small Marionette client (Firefox's remote protocol on TCP): Debian ships no geckodriver,
// and the tests need only a handful of WebDriver commands. Node's net module only.
//
// Wire format: every frame is "<byte length of the UTF-8 payload>:<JSON payload>". The server
// first sends a hello object ({applicationType, marionetteProtocol}); afterwards a command is
// [0, id, name, params] and its reply [1, id, error, result], error being null or
// {error, message, stacktrace}. Replies are matched by id: the protocol allows any order.
const net = require('net');

const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';
// A frame's length prefix: digits only, and a payload far below this (screenshots are the
// largest, a few MB as base64).
const MAX_PREFIX_DIGITS = 10;
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

// A command's failure as Marionette reported it: err.error is the WebDriver error code
// ("no such element", "timeout", ...), err.message carries Marionette's own text.
class MarionetteError extends Error {
	constructor(command, reply) {
		super(`${command}: ${reply.error}: ${reply.message}`);
		this.name = 'MarionetteError';
		this.error = reply.error;
		this.command = command;
	}
}

function marionette_sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// One TCP connection attempt; resolves with the socket or rejects with the socket's error.
function marionette_connect_once(host, port, timeoutMs) {
	return new Promise((resolve, reject) => {
		const sock = net.connect({ host, port });
		const timer = setTimeout(() => {
			sock.destroy();
			reject(new Error(`connect to ${host}:${port}: no answer within ${timeoutMs} ms`));
		}, timeoutMs);
		sock.once('connect', () => {
			clearTimeout(timer);
			sock.removeAllListeners('error');
			resolve(sock);
		});
		sock.once('error', (e) => {
			clearTimeout(timer);
			sock.destroy();
			reject(e);
		});
	});
}

class Marionette {
	constructor(sock, commandTimeoutMs) {
		this.sock = sock;
		this.commandTimeoutMs = commandTimeoutMs;
		this.nextId = 1;
		this.pending = new Map();
		this.buf = Buffer.alloc(0);
		this.closed = null; // the reason, once the connection is gone
		this.helloWaiter = null;
		this.hello = null;
		sock.on('data', (chunk) => this.onData(chunk));
		sock.on('error', (e) => this.fail(e));
		sock.on('close', () => this.fail(new Error('Marionette connection closed')));
	}

	// Every waiter fails with the reason: a dead browser must not leave a step hanging.
	fail(reason) {
		if (this.closed) return;
		this.closed = reason;
		for (const p of this.pending.values()) {
			clearTimeout(p.timer);
			p.reject(new Error(`${p.name}: ${reason.message}`));
		}
		this.pending.clear();
		if (this.helloWaiter) this.helloWaiter.reject(reason);
		this.sock.destroy();
	}

	onData(chunk) {
		this.buf = Buffer.concat([this.buf, chunk]);
		for (;;) {
			const colon = this.buf.indexOf(0x3a);
			if (colon < 0) {
				if (this.buf.length > MAX_PREFIX_DIGITS) this.fail(new Error('Marionette: bad frame prefix'));
				return;
			}
			const prefix = this.buf.subarray(0, colon).toString('latin1');
			if (colon === 0 || colon > MAX_PREFIX_DIGITS || !/^[0-9]+$/.test(prefix)) {
				this.fail(new Error('Marionette: bad frame prefix'));
				return;
			}
			const len = Number(prefix);
			if (len > MAX_FRAME_BYTES) {
				this.fail(new Error(`Marionette: frame of ${len} bytes refused`));
				return;
			}
			if (this.buf.length < colon + 1 + len) return;
			const payload = this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
			this.buf = this.buf.subarray(colon + 1 + len);
			let msg;
			try {
				msg = JSON.parse(payload);
			} catch (e) {
				this.fail(new Error(`Marionette: frame is not JSON (${e.message})`));
				return;
			}
			this.onMessage(msg);
			if (this.closed) return;
		}
	}

	onMessage(msg) {
		if (!Array.isArray(msg)) {
			// The hello: the only frame that is not an array.
			this.hello = msg;
			if (this.helloWaiter) this.helloWaiter.resolve(msg);
			return;
		}
		if (msg.length !== 4 || msg[0] !== 1) return; // commands from the server: none expected
		const p = this.pending.get(msg[1]);
		if (!p) return; // a reply after its command timed out
		this.pending.delete(msg[1]);
		clearTimeout(p.timer);
		if (msg[2]) p.reject(new MarionetteError(p.name, msg[2]));
		else p.resolve(msg[3]);
	}

	waitHello(timeoutMs) {
		if (this.hello) return Promise.resolve(this.hello);
		if (this.closed) return Promise.reject(this.closed);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`Marionette: no hello within ${timeoutMs} ms`)), timeoutMs);
			this.helloWaiter = {
				resolve: (h) => { clearTimeout(timer); resolve(h); },
				reject: (e) => { clearTimeout(timer); reject(e); },
			};
		});
	}

	// command(NAME, PARAMS[, TIMEOUT-MS]): Marionette's result, or a rejection with its error
	// text, or a rejection once TIMEOUT-MS (default: the client's) passed without a reply.
	command(name, params = {}, timeoutMs = this.commandTimeoutMs) {
		if (this.closed) return Promise.reject(new Error(`${name}: ${this.closed.message}`));
		const id = this.nextId++;
		const payload = Buffer.from(JSON.stringify([0, id, name, params]), 'utf8');
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(`${name}: no answer from Marionette within ${timeoutMs} ms`));
			}, timeoutMs);
			this.pending.set(id, { name, resolve, reject, timer });
			this.sock.write(Buffer.concat([Buffer.from(`${payload.length}:`, 'latin1'), payload]));
		});
	}

	// --- the WebDriver commands the browser tests use ---
	newSession(capabilities = {}, timeoutMs = this.commandTimeoutMs) {
		return this.command('WebDriver:NewSession', { capabilities: { alwaysMatch: capabilities } }, timeoutMs);
	}
	setTimeouts(t, timeoutMs = this.commandTimeoutMs) {
		return this.command('WebDriver:SetTimeouts', t, timeoutMs);
	}
	navigate(url) {
		return this.command('WebDriver:Navigate', { url });
	}
	async currentUrl() {
		return (await this.command('WebDriver:GetCurrentURL')).value;
	}
	// findElement(CSS): the element's reference; rejects with "no such element" when absent.
	async findElement(css) {
		const r = await this.command('WebDriver:FindElement', { using: 'css selector', value: css });
		return r.value[ELEMENT_KEY];
	}
	async findElements(css) {
		const r = await this.command('WebDriver:FindElements', { using: 'css selector', value: css });
		// Marionette answers this one with the bare array, not {value: [...]}.
		return (Array.isArray(r) ? r : r.value).map((e) => e[ELEMENT_KEY]);
	}
	sendKeys(id, text) {
		return this.command('WebDriver:ElementSendKeys', { id, text });
	}
	clear(id) {
		return this.command('WebDriver:ElementClear', { id });
	}
	click(id) {
		return this.command('WebDriver:ElementClick', { id });
	}
	async elementText(id) {
		return (await this.command('WebDriver:GetElementText', { id })).value;
	}
	async elementAttribute(id, name) {
		return (await this.command('WebDriver:GetElementAttribute', { id, name })).value;
	}
	// screenshot(full): the viewport, or with full the whole document, as a PNG (Buffer).
	async screenshot(full = false) {
		const r = await this.command('WebDriver:TakeScreenshot', { full });
		return Buffer.from(r.value, 'base64');
	}
	async executeScript(script, args = []) {
		return (await this.command('WebDriver:ExecuteScript', { script, args })).value;
	}
	deleteSession() {
		return this.command('WebDriver:DeleteSession');
	}
	// quit(): asks Firefox to exit; the connection closes with it.
	quit() {
		return this.command('Marionette:Quit', { flags: ['eForceQuit'] });
	}

	close() {
		this.fail(new Error('Marionette connection closed by the client'));
	}
}

// marionette_connect({host, port, connectTimeoutMs, commandTimeoutMs}): a client once Marionette answered
// with its hello. The port is retried (Firefox opens it some seconds after its start) until
// connectTimeoutMs; `alive`, when given, is asked between tries so a browser that died fails
// at once instead of after the whole wait.
async function marionette_connect({ host = '127.0.0.1', port, connectTimeoutMs = 30000, commandTimeoutMs = 20000, alive }) {
	const deadline = Date.now() + connectTimeoutMs;
	let last = null;
	for (;;) {
		const left = deadline - Date.now();
		if (left <= 0) {
			throw new Error(`Marionette on ${host}:${port} did not answer within ${connectTimeoutMs} ms` +
				(last ? ` (${last.message})` : ''));
		}
		if (alive && !alive()) throw new Error('the browser exited before Marionette answered');
		try {
			const sock = await marionette_connect_once(host, port, Math.min(left, 5000));
			const m = new Marionette(sock, commandTimeoutMs);
			const hello = await m.waitHello(Math.max(1, Math.min(deadline - Date.now(), 10000)));
			if (hello.marionetteProtocol !== 3) {
				m.close();
				throw new Error(`Marionette protocol ${hello.marionetteProtocol} (this client speaks 3)`);
			}
			return m;
		} catch (e) {
			if (/protocol/.test(e.message)) throw e;
			last = e;
			await marionette_sleep(100);
		}
	}
}

module.exports = { marionette_connect, Marionette, MarionetteError, ELEMENT_KEY };
