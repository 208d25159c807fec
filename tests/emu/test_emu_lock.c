/* The emulator's lock for exclusive batches (kinko's CCID Escape 01 / 02), over its real
 * socket: granted to one client at a time; meanwhile the others' XfrBlock, IccPowerOn
 * and lock requests wait (presence does not) and are served in arrival order once the
 * holder ends, disconnects, or stays silent longer than --lock-timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "emu_client.h"
#include "piv.h"

/* The server's short timeout in these tests, and how long "waits" is watched. */
#define LOCK_TIMEOUT_MS "1000"
#define QUIET_US 100000
#define ANSWER_US 3000000

typedef struct {
	emu_proc p;
	emu_conn a, b, c; /* a: the first client, powered on */
} lfx;

static uint8_t data[CCID_HEADER_LEN + CCID_MAX_DATA];
static size_t data_len;

static const uint8_t verify_status[] = {0x00, PIV_INS_VERIFY, 0x00, PIV_REF_PIN};

static int lfx_setup(void **state)
{
	static const char *const extra[] = {"--lock-timeout", LOCK_TIMEOUT_MS, NULL};
	lfx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f || emu_proc_setup(&f->p) != 0 || emu_init(&f->p, NULL, NULL, 0) != 0 ||
	    emu_start(&f->p, extra) != 0 || emu_connect(&f->a, f->p.sock) != 0 ||
	    emu_connect(&f->b, f->p.sock) != 0 || emu_connect(&f->c, f->p.sock) != 0 ||
	    emu_power_on(&f->a, NULL, 0, NULL) != 0)
		return -1;
	return 0;
}

static int lfx_teardown(void **state)
{
	lfx *f = *state;
	int rc;

	if (!f)
		return 0;
	emu_disconnect(&f->a);
	emu_disconnect(&f->b);
	emu_disconnect(&f->c);
	rc = emu_proc_finish(&f->p);
	free(f);
	return rc;
}

static void send_escape(emu_conn *c, uint8_t code)
{
	assert_int_equal(emu_send_msg(c, CCID_PC_TO_RDR_ESCAPE, 0, &code, 1), 0);
}

static ccid_header recv_reply(emu_conn *c)
{
	ccid_header h;

	assert_int_equal(emu_recv(c, &h, data, sizeof(data), &data_len), 0);
	return h;
}

/* The reply waiting on c is a successful Escape answer, without data. */
static void escaped(emu_conn *c)
{
	ccid_header h = recv_reply(c);

	assert_int_equal(h.type, CCID_RDR_TO_PC_ESCAPE);
	assert_int_equal(h.param[0] & CCID_CMD_FAILED, 0);
	assert_int_equal(h.param[1], 0);
	assert_int_equal(data_len, 0);
}

static void lock(emu_conn *c)
{
	send_escape(c, CCID_ESCAPE_BEGIN_EXCLUSIVE);
	escaped(c);
}

static void unlock(emu_conn *c)
{
	send_escape(c, CCID_ESCAPE_END_EXCLUSIVE);
	escaped(c);
}

static void assert_waiting(emu_conn *c)
{
	assert_int_equal(emu_wait_readable(c, QUIET_US), 0);
}

static void assert_answered(emu_conn *c)
{
	assert_int_equal(emu_wait_readable(c, ANSWER_US), 1);
}

/* Send VERIFY without data (a status query) as a raw XfrBlock: its answer is read later. */
static void send_verify_status(emu_conn *c)
{
	assert_int_equal(emu_send_msg(c, CCID_PC_TO_RDR_XFR_BLOCK, 0, verify_status,
	                              sizeof(verify_status)),
	                 0);
}

/* c asks for the lock and waits. */
static void lock_waits(emu_conn *c)
{
	send_escape(c, CCID_ESCAPE_BEGIN_EXCLUSIVE);
	assert_waiting(c);
}

/* c's waiting request for the lock is granted now. */
static void lock_granted(emu_conn *c)
{
	assert_answered(c);
	escaped(c);
}

/* c's VERIFY status query goes out and waits. */
static void verify_waits(emu_conn *c)
{
	send_verify_status(c);
	assert_waiting(c);
}

/* What c waited for is answered now, with a data block. */
static void answered_with_data(emu_conn *c)
{
	ccid_header h;

	assert_answered(c);
	h = recv_reply(c);
	assert_int_equal(h.type, CCID_RDR_TO_PC_DATA_BLOCK);
	assert_int_equal(h.param[0] & CCID_CMD_FAILED, 0);
}

static void lock_is_granted_and_released(void **state)
{
	lfx *f = *state;

	lock(&f->a);
	assert_int_equal(emu_select(&f->a), SW_OK);
	unlock(&f->a);
	/* Ending again, or without holding it, is harmless. */
	unlock(&f->a);
	unlock(&f->b);
	assert_int_equal(emu_select(&f->b), SW_OK);
}

/* While a holds the lock, b's power-on waits, so a's PIN verification survives until a
 * is done; b's presence question is answered at once. */
static void others_wait_while_the_lock_is_held(void **state)
{
	lfx *f = *state;
	ccid_header h;

	lock(&f->a);
	assert_int_equal(emu_select(&f->a), SW_OK);
	assert_int_equal(emu_verify(&f->a, "123456"), SW_OK);
	assert_int_equal(emu_send_msg(&f->b, CCID_PC_TO_RDR_ICC_POWER_ON, 0, NULL, 0), 0);
	assert_waiting(&f->b);
	verify_waits(&f->c);
	assert_int_equal(emu_verify(&f->a, NULL), SW_OK); /* still verified */
	unlock(&f->a);
	assert_answered(&f->b);
	h = recv_reply(&f->b);
	assert_int_equal(h.type, CCID_RDR_TO_PC_DATA_BLOCK);
	assert_int_equal(h.param[0], CCID_ICC_PRESENT_ACTIVE);
	answered_with_data(&f->c);
	/* b's power-on came after a's batch: the verification is gone now. */
	assert_int_not_equal(emu_verify(&f->a, NULL), SW_OK);
}

static void presence_never_waits(void **state)
{
	lfx *f = *state;
	ccid_header h;

	lock(&f->a);
	assert_int_equal(emu_send_msg(&f->b, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, NULL, 0), 0);
	assert_answered(&f->b);
	h = recv_reply(&f->b);
	assert_int_equal(h.type, CCID_RDR_TO_PC_SLOT_STATUS);
	assert_int_equal(h.param[0], CCID_ICC_PRESENT_ACTIVE);
	unlock(&f->a);
}

/* b asked first, then c: b gets the lock when a ends, c when b ends. */
static void lock_requests_are_served_in_arrival_order(void **state)
{
	lfx *f = *state;

	lock(&f->a);
	lock_waits(&f->b);
	lock_waits(&f->c);
	unlock(&f->a);
	lock_granted(&f->b);
	assert_waiting(&f->c);
	/* a, now without the lock, waits behind b too. */
	verify_waits(&f->a);
	unlock(&f->b);
	lock_granted(&f->c);
	assert_waiting(&f->a);
	unlock(&f->c);
	answered_with_data(&f->a);
}

/* A client that crashed while holding the lock does not block the token. */
static void holder_disconnecting_releases_the_lock(void **state)
{
	lfx *f = *state;

	lock(&f->a);
	verify_waits(&f->b);
	emu_disconnect(&f->a);
	answered_with_data(&f->b);
	lock(&f->b);
	unlock(&f->b);
}

/* A holder silent longer than --lock-timeout (1000 ms here) loses the lock; its late end
 * is answered without harm. */
static void silent_holder_loses_the_lock_after_the_timeout(void **state)
{
	lfx *f = *state;

	lock(&f->a);
	lock_waits(&f->b);
	lock_granted(&f->b);
	unlock(&f->a);
	send_verify_status(&f->a); /* b holds it now */
	assert_waiting(&f->a);
	unlock(&f->b);
	answered_with_data(&f->a);
}

/* A holder that keeps talking keeps the lock, longer than the timeout in all. */
static void busy_holder_keeps_the_lock(void **state)
{
	lfx *f = *state;
	int i;

	lock(&f->a);
	send_verify_status(&f->b);
	for (i = 0; i < 12; i++) {
		assert_waiting(&f->b); /* 100 ms each: 1200 ms in all */
		assert_int_equal(emu_select(&f->a), SW_OK);
	}
	unlock(&f->a);
	answered_with_data(&f->b);
}

static void malformed_escapes_fail_and_change_nothing(void **state)
{
	lfx *f = *state;
	static const uint8_t two[] = {CCID_ESCAPE_BEGIN_EXCLUSIVE, 0};
	uint8_t unknown = 0x07;
	ccid_header h;

	assert_int_equal(emu_send_msg(&f->a, CCID_PC_TO_RDR_ESCAPE, 0, &unknown, 1), 0);
	h = recv_reply(&f->a);
	assert_int_equal(h.type, CCID_RDR_TO_PC_ESCAPE);
	assert_int_equal(h.param[0], CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE);
	assert_int_equal(h.param[1], CCID_ERR_BAD_DATA);
	assert_int_equal(emu_send_msg(&f->a, CCID_PC_TO_RDR_ESCAPE, 0, two, sizeof(two)), 0);
	h = recv_reply(&f->a);
	assert_int_equal(h.param[0], CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE);
	assert_int_equal(h.param[1], CCID_ERR_BAD_LENGTH);
	assert_int_equal(emu_send_msg(&f->a, CCID_PC_TO_RDR_ESCAPE, 1, &unknown, 1), 0);
	h = recv_reply(&f->a);
	assert_int_equal(h.param[1], CCID_ERR_BAD_SLOT);
	/* Nobody holds the lock. */
	assert_int_equal(emu_select(&f->b), SW_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, lfx_setup, lfx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(lock_is_granted_and_released),
		T(others_wait_while_the_lock_is_held),
		T(presence_never_waits),
		T(lock_requests_are_served_in_arrival_order),
		T(holder_disconnecting_releases_the_lock),
		T(silent_holder_loses_the_lock_after_the_timeout),
		T(busy_holder_keeps_the_lock),
		T(malformed_escapes_fail_and_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
