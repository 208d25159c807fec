/* The emulator over its real socket: CCID framing, errors that leave the connection
 * alive, several clients on one card, hot-plug by signal and control socket. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu_client.h"
#include "mono.h"
#include "piv.h"

#define EMU_MAX_CONNS 64 /* the emulator's client limit */

typedef emu_fixture fixture;

static uint8_t big[CCID_HEADER_LEN + CCID_MAX_DATA]; /* data of the last reply */
static size_t big_len;

static void raw_header(uint8_t *out, uint8_t type, uint32_t len, uint8_t slot, uint8_t seq)
{
	ccid_header h = {.type = type, .length = len, .slot = slot, .seq = seq};

	ccid_header_encode(&h, out);
}

/* One message and its reply (data in big); the exchange itself must work. */
static ccid_header xchg(emu_conn *c, uint8_t type, uint8_t slot, const uint8_t *data, size_t len)
{
	ccid_header h;

	assert_int_equal(emu_exchange(c, type, slot, data, len, &h, big, sizeof(big), &big_len), 0);
	return h;
}

static void assert_reply(const ccid_header *h, uint8_t type, uint8_t status, uint8_t error)
{
	assert_int_equal(h->type, type);
	assert_int_equal(h->param[0], status);
	assert_int_equal(h->param[1], error);
}

static ccid_header slot_status(emu_conn *c)
{
	ccid_header h = xchg(c, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, NULL, 0);

	assert_int_equal(h.type, CCID_RDR_TO_PC_SLOT_STATUS);
	return h;
}

/* Signals are handled asynchronously: wait for the slot to reach a state. */
static void wait_slot_status(emu_conn *c, uint8_t status)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (slot_status(c).param[0] == status)
			return;
		usleep(2000);
	}
	fail_msg("slot never reached status %02x", status);
}

static void assert_select_works(emu_conn *c)
{
	assert_int_equal(emu_select(c), SW_OK);
}

static void power_on_returns_the_atr(void **state)
{
	fixture *f = *state;
	uint8_t atr[64];
	size_t n = 0;
	/* TS T0 TA1 TB1 TC1 TD1 TD2 TA3 TB3: direct convention, T=1, IFSC 254. */
	const uint8_t ref[] = {0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15};

	assert_int_equal(emu_power_on(&f->c, atr, sizeof(atr), &n), 0);
	assert_true(n >= sizeof(ref) && n <= 33);
	assert_memory_equal(atr, ref, sizeof(ref));
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
}

static void select_then_get_data_chuid_over_xfrblock(void **state)
{
	fixture *f = *state;
	static const uint8_t chuid[] = {0x5C, 0x03, 0x5F, 0xC1, 0x02};
	uint8_t out[512];
	size_t n = 0;

	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, chuid, sizeof(chuid), false,
	                          out, sizeof(out), &n),
	                 SW_INS_NOT_SUPPORTED);
	assert_select_works(&f->c);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, chuid, sizeof(chuid), false,
	                          out, sizeof(out), &n),
	                 SW_OK);
	assert_true(n > 20);
	assert_int_equal(out[0], PIV_TLV_DATA);
}

/* 53 { 70 cert, 71 01 00, FE 00 } with a 3000-byte value. */
static size_t make_put_cert(uint8_t *cmd, uint8_t fill)
{
	static const uint8_t head[] = {0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x53, 0x82,
	                               0x0B, 0xB8, 0x70, 0x82, 0x0B, 0xAF};
	size_t n = sizeof(head);

	memcpy(cmd, head, n);
	memset(cmd + n, fill, 2991);
	n += 2991;
	memcpy(cmd + n, "\x71\x01\x00\xFE\x00", 5);
	return n + 5;
}

static void large_certificate_reads_back_extended_and_chained(void **state)
{
	fixture *f = *state;
	static const uint8_t tag[] = {0x5C, 0x03, 0x5F, 0xC1, 0x05};
	static uint8_t cmd[3100], out[4096];
	size_t lc = make_put_cert(cmd, 0xA5), n = 0;
	unsigned long before;

	assert_select_works(&f->c);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_PUT_DATA, 0x3F, 0xFF, cmd, lc, true, NULL, 0,
	                          NULL),
	                 SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_PUT_DATA, 0x3F, 0xFF, cmd, lc, true, NULL, 0,
	                          NULL),
	                 SW_OK);

	before = f->c.ch.apdu_count;
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, tag, sizeof(tag), true, out,
	                          sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1); /* one extended APDU */
	assert_int_equal(n, 3004);
	assert_memory_equal(out, cmd + 5, 3004);

	memset(out, 0, sizeof(out));
	before = f->c.ch.apdu_count;
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, tag, sizeof(tag), false, out,
	                          sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 12); /* 256-byte parts via 61xx */
	assert_int_equal(n, 3004);
	assert_memory_equal(out, cmd + 5, 3004);
}

static void slot_status_follows_power_on_and_off(void **state)
{
	fixture *f = *state;
	ccid_header h;
	static const uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00};

	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
	h = xchg(&f->c, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, NULL, 0);
	assert_reply(&h, CCID_RDR_TO_PC_SLOT_STATUS, CCID_ICC_PRESENT_INACTIVE, 0);
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_INACTIVE);

	/* An unpowered card is mute. */
	h = xchg(&f->c, CCID_PC_TO_RDR_XFR_BLOCK, 0, apdu, sizeof(apdu));
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, CCID_CMD_FAILED | CCID_ICC_PRESENT_INACTIVE,
	             CCID_ERR_ICC_MUTE);
	assert_int_equal(big_len, 0);

	assert_int_equal(emu_power_on(&f->c, NULL, 0, NULL), 0);
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
}

static void reply_echoes_bseq_and_slot(void **state)
{
	fixture *f = *state;
	uint8_t msg[CCID_HEADER_LEN];
	ccid_header h;
	static const uint8_t seqs[] = {0x00, 0x7F, 0xFF, 0x42};
	size_t i, n;

	for (i = 0; i < sizeof(seqs); i++) {
		raw_header(msg, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, seqs[i]);
		assert_int_equal(emu_send_raw(&f->c, msg, sizeof(msg)), 0);
		assert_int_equal(emu_recv(&f->c, &h, big, sizeof(big), &n), 0);
		assert_int_equal(h.seq, seqs[i]);
		assert_int_equal(h.slot, 0);
		assert_int_equal(h.length, 0);
	}
}

static void wrong_slot_fails_with_bad_slot_error(void **state)
{
	fixture *f = *state;
	static const uint8_t apdu[] = {0x00, 0xFD, 0x00, 0x00};
	ccid_header h;

	h = xchg(&f->c, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, NULL, 0);
	assert_reply(&h, CCID_RDR_TO_PC_SLOT_STATUS, CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE,
	             CCID_ERR_BAD_SLOT);
	assert_int_equal(h.slot, 1);
	h = xchg(&f->c, CCID_PC_TO_RDR_XFR_BLOCK, 3, apdu, sizeof(apdu));
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE,
	             CCID_ERR_BAD_SLOT);
	assert_int_equal(big_len, 0);
	assert_select_works(&f->c);
}

static void unknown_message_type_fails_not_supported(void **state)
{
	fixture *f = *state;
	static const uint8_t types[] = {0x6C, 0x00, 0x80, 0xFF};
	ccid_header h;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		h = xchg(&f->c, types[i], 0, NULL, 0);
		assert_reply(&h, CCID_RDR_TO_PC_SLOT_STATUS,
		             CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE, CCID_ERR_CMD_NOT_SUPPORTED);
	}
	assert_select_works(&f->c);
}

static void oversized_message_is_discarded_and_connection_survives(void **state)
{
	fixture *f = *state;
	static uint8_t chunk[65536];
	uint8_t msg[CCID_HEADER_LEN];
	const uint32_t len = 0x00100000;
	ccid_header h;
	size_t n, sent;

	/* The data of an oversized message could hold anything, even a valid message. */
	memset(chunk, 0, sizeof(chunk));
	raw_header(chunk, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, 0, 9);
	raw_header(msg, CCID_PC_TO_RDR_XFR_BLOCK, len, 0, 0x33);
	assert_int_equal(emu_send_raw(&f->c, msg, sizeof(msg)), 0);
	for (sent = 0; sent < len; sent += sizeof(chunk))
		assert_int_equal(emu_send_raw(&f->c, chunk, sizeof(chunk)), 0);
	assert_int_equal(emu_recv(&f->c, &h, big, sizeof(big), &n), 0);
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE,
	             CCID_ERR_BAD_LENGTH);
	assert_int_equal(h.seq, 0x33);

	/* The next message is read from the right place, and the card is still powered. */
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
	assert_select_works(&f->c);
}

static void data_on_power_and_status_messages_is_bad_length(void **state)
{
	fixture *f = *state;
	static const uint8_t junk[3] = {1, 2, 3};
	const uint8_t failed = CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE;
	ccid_header h;

	h = xchg(&f->c, CCID_PC_TO_RDR_ICC_POWER_ON, 0, junk, sizeof(junk));
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, failed, CCID_ERR_BAD_LENGTH);
	h = xchg(&f->c, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, junk, 1);
	assert_reply(&h, CCID_RDR_TO_PC_SLOT_STATUS, failed, CCID_ERR_BAD_LENGTH);
	h = xchg(&f->c, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, junk, 2);
	assert_reply(&h, CCID_RDR_TO_PC_SLOT_STATUS, failed, CCID_ERR_BAD_LENGTH);
	/* None of them acted: the card is still powered. */
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
}

static void client_leaving_mid_message_changes_nothing(void **state)
{
	fixture *f = *state;
	uint8_t msg[CCID_HEADER_LEN + 64];
	emu_conn x;

	assert_select_works(&f->c);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_OK);

	/* Half a header, then gone. */
	assert_int_equal(emu_connect(&x, f->p.sock), 0);
	raw_header(msg, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 1);
	assert_int_equal(emu_send_raw(&x, msg, 5), 0);
	emu_disconnect(&x);
	/* A whole header announcing a PowerOn-sized APDU, part of its data, then gone. */
	assert_int_equal(emu_connect(&x, f->p.sock), 0);
	raw_header(msg, CCID_PC_TO_RDR_XFR_BLOCK, 100, 0, 2);
	memset(msg + CCID_HEADER_LEN, 0, 64);
	assert_int_equal(emu_send_raw(&x, msg, sizeof(msg)), 0);
	emu_disconnect(&x);

	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_ACTIVE);
	assert_int_equal(emu_verify(&f->c, NULL), SW_OK); /* still verified */
	assert_true(emu_running(&f->p));
}

static void power_on_by_another_client_resets_the_security_state(void **state)
{
	fixture *f = *state;
	emu_conn b;

	assert_select_works(&f->c);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_OK);
	assert_int_equal(emu_verify(&f->c, NULL), SW_OK);

	assert_int_equal(emu_connect(&b, f->p.sock), 0);
	assert_int_equal(emu_power_on(&b, NULL, 0, NULL), 0);
	/* A's session is gone: the applet is deselected by the reset... */
	assert_int_equal(emu_verify(&f->c, NULL), SW_INS_NOT_SUPPORTED);
	/* ...and once B selects it, the PIN reads as not verified, 3 tries left. */
	assert_select_works(&b);
	assert_int_equal(emu_verify(&f->c, NULL), SW_VERIFY_FAIL(3));
	emu_disconnect(&b);
}

static void at_most_64_clients_are_served(void **state)
{
	fixture *f = *state;
	static emu_conn many[EMU_MAX_CONNS];
	ccid_header h;
	size_t i, n;
	int64_t deadline;

	for (i = 0; i < EMU_MAX_CONNS - 1; i++) /* the fixture's client is the 64th */
		assert_int_equal(emu_connect(&many[i], f->p.sock), 0);
	assert_int_equal(slot_status(&many[EMU_MAX_CONNS - 2]).type, CCID_RDR_TO_PC_SLOT_STATUS);
	/* One more is accepted by the kernel, then closed unanswered. */
	assert_int_equal(emu_connect(&many[EMU_MAX_CONNS - 1], f->p.sock), 0);
	many[EMU_MAX_CONNS - 1].timeout_ms = 2000;
	assert_int_equal(emu_exchange(&many[EMU_MAX_CONNS - 1], CCID_PC_TO_RDR_GET_SLOT_STATUS, 0,
	                              NULL, 0, &h, big, sizeof(big), &n),
	                 -1);
	emu_disconnect(&many[EMU_MAX_CONNS - 1]);
	emu_disconnect(&many[0]);
	/* A place is free again once the emulator has seen the hang-up: tried for up to 10 s,
	 * by the clock rather than a count (a busy machine can starve the emulator for a burst
	 * of quick refusals). */
	deadline = mono_now_ms() + 10000;
	for (;;) {
		assert_int_equal(emu_connect(&many[0], f->p.sock), 0);
		many[0].timeout_ms = 500;
		if (emu_exchange(&many[0], CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, NULL, 0, &h, big,
		                 sizeof(big), &n) == 0)
			break;
		emu_disconnect(&many[0]);
		if (mono_now_ms() > deadline)
			fail_msg("no place was free 10 s after a client left");
		usleep(10000);
	}
	for (i = 0; i < EMU_MAX_CONNS - 1; i++)
		emu_disconnect(&many[i]);
	assert_select_works(&f->c);
}

static void assert_card_removed(emu_conn *c)
{
	static const uint8_t apdu[] = {0x00, 0xFD, 0x00, 0x00};
	ccid_header h;

	h = xchg(c, CCID_PC_TO_RDR_XFR_BLOCK, 0, apdu, sizeof(apdu));
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, CCID_CMD_FAILED | CCID_ICC_ABSENT,
	             CCID_ERR_ICC_MUTE);
	h = xchg(c, CCID_PC_TO_RDR_ICC_POWER_ON, 0, NULL, 0);
	assert_reply(&h, CCID_RDR_TO_PC_DATA_BLOCK, CCID_CMD_FAILED | CCID_ICC_ABSENT,
	             CCID_ERR_ICC_MUTE);
	assert_int_equal(big_len, 0);
}

static void signals_remove_and_insert_the_card(void **state)
{
	fixture *f = *state;

	assert_int_equal(emu_signal(&f->p, SIGUSR1), 0);
	wait_slot_status(&f->c, CCID_ICC_ABSENT);
	assert_card_removed(&f->c);
	assert_int_equal(emu_signal(&f->p, SIGUSR2), 0);
	wait_slot_status(&f->c, CCID_ICC_PRESENT_INACTIVE);
	assert_int_equal(emu_power_on(&f->c, NULL, 0, NULL), 0);
	assert_select_works(&f->c);
}

static void control_socket_removes_and_inserts_the_card(void **state)
{
	fixture *f = *state;
	char reply[128];
	struct stat st;

	assert_int_equal(stat(f->p.control, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(emu_control(f->p.control, "status", reply, sizeof(reply)), 0);
	assert_string_equal(reply, "ok present");
	assert_int_equal(emu_control(f->p.control, "remove", reply, sizeof(reply)), 0);
	assert_string_equal(reply, "ok absent");
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_ABSENT);
	assert_card_removed(&f->c);
	assert_int_equal(emu_control(f->p.control, "status", reply, sizeof(reply)), 0);
	assert_string_equal(reply, "ok absent");
	assert_int_equal(emu_control(f->p.control, "eject", reply, sizeof(reply)), 0);
	assert_true(strncmp(reply, "error ", 6) == 0);
	assert_int_equal(emu_control(f->p.control, "insert\r", reply, sizeof(reply)), 0);
	assert_string_equal(reply, "ok present");
	assert_int_equal(slot_status(&f->c).param[0], CCID_ICC_PRESENT_INACTIVE);
	assert_int_equal(emu_power_on(&f->c, NULL, 0, NULL), 0);
	assert_select_works(&f->c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define RUNNING(t) \
	cmocka_unit_test_setup_teardown(t, emu_fixture_setup_running, emu_fixture_teardown)
		RUNNING(power_on_returns_the_atr),
		RUNNING(select_then_get_data_chuid_over_xfrblock),
		RUNNING(large_certificate_reads_back_extended_and_chained),
		RUNNING(slot_status_follows_power_on_and_off),
		RUNNING(reply_echoes_bseq_and_slot),
		RUNNING(wrong_slot_fails_with_bad_slot_error),
		RUNNING(unknown_message_type_fails_not_supported),
		RUNNING(oversized_message_is_discarded_and_connection_survives),
		RUNNING(data_on_power_and_status_messages_is_bad_length),
		RUNNING(client_leaving_mid_message_changes_nothing),
		RUNNING(power_on_by_another_client_resets_the_security_state),
		RUNNING(at_most_64_clients_are_served),
		RUNNING(signals_remove_and_insert_the_card),
		RUNNING(control_socket_removes_and_inserts_the_card),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
