'use strict';
// TAP for the Node tests of tests/browser (marionette_wire.js, firefox_driver.js): numbered
// results, a failure's detail as comments, the exit status of the run.
let tap_n = 0;
let tap_failed = 0;

function tap_ok(cond, name, detail) {
	tap_n++;
	if (cond) {
		console.log(`ok ${tap_n} - ${name}`);
		return;
	}
	tap_failed++;
	console.log(`not ok ${tap_n} - ${name}`);
	if (detail !== undefined)
		console.log(`# ${String(detail).split('\n').join('\n# ')}`);
}

// A promise's outcome as {value} or {error}, for checks on either.
async function tap_settle(p) {
	try {
		return { value: await p };
	} catch (e) {
		return { error: e };
	}
}

// Runs main; exits 1 when a check failed or main threw (a Bail out! line), 0 otherwise.
function tap_run(main) {
	main().then(() => process.exit(tap_failed ? 1 : 0), (e) => {
		console.log(`Bail out! ${e.stack}`);
		process.exit(1);
	});
}

module.exports = { tap_ok, tap_settle, tap_run };
