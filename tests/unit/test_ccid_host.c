/* Unit tests of the CCID exchange (ccid_host.c) that both transports share: IccPowerOn,
 * XfrBlock with time extensions, GetSlotStatus, and what a failure does to the channel,
 * against a scripted fake channel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid.h"
#include "ccid_host.h"

#define FAKE_MAX 8

typedef struct {
	uint8_t reply[FAKE_MAX][CCID_HEADER_LEN + 64];
	size_t reply_len[FAKE_MAX];
	size_t nreplies, pos;
	tr_status open_st;
	unsigned sends, opens, drops;
	tr_status dropped_with;
	uint8_t sent_seq;
	uint8_t buf[CCID_HOST_BUF_LEN];
	ccid_host host;
	uint8_t resp[16]; /* what fake_transmit got back */
	size_t resp_len;
} fake_chan;

static tr_status fake_send(void *ctx, const uint8_t *msg, size_t len, unsigned timeout_ms)
{
	fake_chan *f = ctx;

	(void)timeout_ms;
	assert_true(len >= CCID_HEADER_LEN);
	f->sent_seq = msg[6];
	f->sends++;
	return TR_OK;
}

static tr_status fake_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	fake_chan *f = ctx;

	(void)timeout_ms;
	if (f->pos >= f->nreplies)
		return TR_ERR_TIMEOUT;
	assert_true(f->reply_len[f->pos] <= cap);
	memcpy(buf, f->reply[f->pos], f->reply_len[f->pos]);
	*len = f->reply_len[f->pos];
	f->pos++;
	return TR_OK;
}

static tr_status fake_open(void *ctx)
{
	fake_chan *f = ctx;

	f->opens++;
	return f->open_st;
}

static void fake_drop(void *ctx, tr_status st)
{
	fake_chan *f = ctx;

	f->drops++;
	f->dropped_with = st;
}

static const ccid_channel fake_channel = {
	.send = fake_send,
	.recv = fake_recv,
	.open = fake_open,
	.drop = fake_drop,
};

static void fake_init(fake_chan *f)
{
	memset(f, 0, sizeof(*f));
	f->host.ch = &fake_channel;
	f->host.ctx = f;
	f->host.buf = f->buf;
}

/* Script a reply to the n-th command sent (bSeq n, from 0). */
static void fake_reply(fake_chan *f, uint8_t type, uint8_t seq, uint8_t status, uint8_t error,
                       const uint8_t *data, size_t len)
{
	const uint8_t param[3] = {status, error, 0};

	f->reply_len[f->nreplies] = ccid_message_build(f->reply[f->nreplies], sizeof(f->reply[0]),
	                                               type, 0, seq, param, data, len);
	assert_true(f->reply_len[f->nreplies] > 0);
	f->nreplies++;
}

/* Script the card's answer `data` (an ATR or a response APDU) as the n-th reply. */
static void fake_answer(fake_chan *f, uint8_t seq, const uint8_t *data, size_t len)
{
	fake_reply(f, CCID_RDR_TO_PC_DATA_BLOCK, seq, CCID_ICC_PRESENT_ACTIVE, 0, data, len);
}

static tr_status fake_transmit(fake_chan *f, const uint8_t *apdu, size_t len)
{
	return ccid_host_transmit(&f->host, 100, apdu, len, f->resp, sizeof(f->resp), &f->resp_len);
}

static void power_on_gives_the_atr(void **state)
{
	static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
	fake_chan f;
	uint8_t out[33];
	size_t n = 0;

	(void)state;
	fake_init(&f);
	fake_answer(&f, 0, atr, sizeof(atr));
	assert_int_equal(ccid_host_power_on(&f.host, 100, out, sizeof(out), &n), TR_OK);
	assert_int_equal(n, sizeof(atr));
	assert_memory_equal(out, atr, sizeof(atr));
	assert_int_equal(f.opens, 1);
	assert_int_equal(f.drops, 0);
}

static void transmit_waits_through_time_extensions_and_wipes_the_reply(void **state)
{
	static const uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00};
	static const uint8_t answer[] = {0x61, 0x62, 0x90, 0x00};
	fake_chan f;
	size_t i;

	(void)state;
	fake_init(&f);
	fake_reply(&f, CCID_RDR_TO_PC_DATA_BLOCK, 0, CCID_CMD_TIME_EXTENSION, 1, NULL, 0);
	fake_reply(&f, CCID_RDR_TO_PC_DATA_BLOCK, 0, CCID_CMD_TIME_EXTENSION, 1, NULL, 0);
	fake_answer(&f, 0, answer, sizeof(answer));
	assert_int_equal(fake_transmit(&f, apdu, sizeof(apdu)), TR_OK);
	assert_int_equal(f.sends, 1);
	assert_int_equal(f.resp_len, sizeof(answer));
	assert_memory_equal(f.resp, answer, sizeof(answer));
	for (i = 0; i < CCID_HEADER_LEN + sizeof(answer); i++)
		assert_int_equal(f.buf[i], 0);
}

static void a_reply_out_of_step_drops_the_channel(void **state)
{
	static const uint8_t apdu[] = {0x00, 0xCB, 0x3F, 0xFF};
	static const uint8_t answer[] = {0x90, 0x00};
	fake_chan f;

	(void)state;
	fake_init(&f);
	fake_answer(&f, 7, answer, sizeof(answer));
	assert_int_equal(fake_transmit(&f, apdu, sizeof(apdu)), TR_ERR_PROTOCOL);
	assert_int_equal(f.drops, 1);
	assert_int_equal(f.dropped_with, TR_ERR_PROTOCOL);
}

static void a_refused_power_on_without_card_is_absent_and_keeps_the_channel(void **state)
{
	fake_chan f;
	size_t n = 0;

	(void)state;
	fake_init(&f);
	fake_reply(&f, CCID_RDR_TO_PC_DATA_BLOCK, 0, CCID_CMD_FAILED | CCID_ICC_ABSENT,
	           CCID_ERR_ICC_MUTE, NULL, 0);
	assert_int_equal(ccid_host_power_on(&f.host, 100, NULL, 0, &n), TR_ERR_ABSENT);
	assert_int_equal(f.drops, 0);
}

static void present_reads_the_slot_status(void **state)
{
	fake_chan f;
	bool present = true;

	(void)state;
	fake_init(&f);
	fake_reply(&f, CCID_RDR_TO_PC_SLOT_STATUS, 0, CCID_ICC_PRESENT_INACTIVE, 0, NULL, 0);
	fake_reply(&f, CCID_RDR_TO_PC_SLOT_STATUS, 1, CCID_ICC_ABSENT, 0, NULL, 0);
	assert_int_equal(ccid_host_present(&f.host, 100, &present), TR_OK);
	assert_true(present);
	assert_int_equal(ccid_host_present(&f.host, 100, &present), TR_OK);
	assert_false(present);
}

static void present_without_anyone_listening_is_no_card(void **state)
{
	fake_chan f;
	bool present = true;

	(void)state;
	fake_init(&f);
	f.open_st = TR_ERR_ABSENT;
	assert_int_equal(ccid_host_present(&f.host, 100, &present), TR_OK);
	assert_false(present);
	assert_int_equal(f.sends, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(power_on_gives_the_atr),
		cmocka_unit_test(transmit_waits_through_time_extensions_and_wipes_the_reply),
		cmocka_unit_test(a_reply_out_of_step_drops_the_channel),
		cmocka_unit_test(a_refused_power_on_without_card_is_absent_and_keeps_the_channel),
		cmocka_unit_test(present_reads_the_slot_status),
		cmocka_unit_test(present_without_anyone_listening_is_no_card),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
