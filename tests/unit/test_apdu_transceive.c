/* Unit tests of apdu_transceive, the host side of the exchange: command chaining,
 * 61xx GET RESPONSE, 6Cxx resend, output bounds, against a scripted fake card. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "apdu.h"

#define FAKE_MAX 16

typedef struct {
	uint8_t *resp[FAKE_MAX]; /* answer of each step, SW included */
	size_t resp_len[FAKE_MAX];
	int rc[FAKE_MAX]; /* transport result of each step */
	size_t nsteps, pos;
	uint8_t *sent[FAKE_MAX]; /* copies of the commands the host sent */
	size_t sent_len[FAKE_MAX];
	apdu_channel ch;
	uint8_t out[400]; /* what the host collected, its length and final SW */
	size_t n;
	uint16_t sw;
	const void *row; /* the case a table-driven test runs (its prestate) */
} fake_card;

static int fake_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                         size_t resp_cap, size_t *resp_len)
{
	fake_card *f = ctx;
	size_t i = f->pos++;

	assert_true(i < f->nsteps); /* the host sent more APDUs than scripted */
	f->sent[i] = malloc(cmd_len);
	assert_non_null(f->sent[i]);
	memcpy(f->sent[i], cmd, cmd_len);
	f->sent_len[i] = cmd_len;
	if (f->rc[i] < 0)
		return f->rc[i];
	assert_true(f->resp_len[i] <= resp_cap);
	memcpy(resp, f->resp[i], f->resp_len[i]);
	*resp_len = f->resp_len[i];
	return 0;
}

/* Script an answer of n data bytes (byte k is seed + k) and a status word. */
static void fake_reply(fake_card *f, size_t n, uint8_t seed, uint16_t sw)
{
	size_t i = f->nsteps++, k;

	assert_true(i < FAKE_MAX);
	f->resp[i] = malloc(n + 2);
	assert_non_null(f->resp[i]);
	for (k = 0; k < n; k++)
		f->resp[i][k] = (uint8_t)(seed + k);
	f->resp[i][n] = (uint8_t)(sw >> 8);
	f->resp[i][n + 1] = (uint8_t)sw;
	f->resp_len[i] = n + 2;
}

static void fake_reply_raw(fake_card *f, const uint8_t *b, size_t n, int rc)
{
	size_t i = f->nsteps++;

	assert_true(i < FAKE_MAX);
	f->resp[i] = malloc(n ? n : 1);
	assert_non_null(f->resp[i]);
	if (n)
		memcpy(f->resp[i], b, n);
	f->resp_len[i] = n;
	f->rc[i] = rc;
}

static int fake_setup(void **state)
{
	fake_card *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ch.transmit = fake_transmit;
	f->ch.ctx = f;
	f->row = *state;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	fake_card *f = *state;
	size_t i;

	for (i = 0; i < FAKE_MAX; i++) {
		free(f->resp[i]);
		free(f->sent[i]);
	}
	free(f);
	return 0;
}

/* The i-th command the host sent is exactly want. */
static void fake_sent_is(const fake_card *f, size_t i, const uint8_t *want, size_t n)
{
	assert_int_equal(f->sent_len[i], n);
	assert_memory_equal(f->sent[i], want, n);
}

/* What one exchange must come to: apdu_transceive's result; when that is 0, the final
 * status word and the data length; and the APDUs the channel has sent in all. */
typedef struct {
	int rc;
	uint16_t sw;
	size_t n;
	unsigned long apdus;
} xfer_want;

static void fake_run(fake_card *f, const apdu_cmd *c, size_t cap, xfer_want w)
{
	assert_true(cap <= sizeof(f->out));
	f->n = SIZE_MAX;
	f->sw = 0;
	/* A cap of 0 passes no buffer at all, as for a command whose answer is only a SW. */
	assert_int_equal(apdu_transceive(&f->ch, c, cap ? f->out : NULL, cap, &f->n, &f->sw), w.rc);
	if (w.rc == 0) {
		assert_int_equal(f->sw, w.sw);
		assert_int_equal(f->n, w.n);
	}
	assert_int_equal(f->ch.apdu_count, w.apdus);
}

static void transceive_returns_data_and_final_sw(void **state)
{
	fake_card *f = *state;
	const uint8_t d[] = {0x7C, 0x02};
	apdu_cmd c = {.ins = 0x87,
	              .p1 = 0x11,
	              .p2 = 0x9A,
	              .data = d,
	              .lc = 2,
	              .has_le = true,
	              .le = 256};
	const uint8_t want[] = {0x00, 0x87, 0x11, 0x9A, 0x02, 0x7C, 0x02, 0x00};

	fake_reply(f, 10, 0x40, 0x9000);
	fake_run(f, &c, 64, (xfer_want){0, 0x9000, 10, 1});
	assert_int_equal(f->out[0], 0x40);
	assert_int_equal(f->out[9], 0x49);
	fake_sent_is(f, 0, want, sizeof(want));
}

/* 600 bytes go as 255 + 255 + 90; the chained pieces carry CLA|0x10 and no Le. */
static void transceive_chains_long_data_in_255_byte_pieces(void **state)
{
	fake_card *f = *state;
	uint8_t d[600];
	size_t i;
	apdu_cmd c = {.cla = 0x0C,
	              .ins = 0xDB,
	              .p1 = 0x3F,
	              .p2 = 0xFF,
	              .data = d,
	              .lc = 600,
	              .has_le = true,
	              .le = 16};

	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 3);
	fake_reply(f, 0, 0, 0x9000);
	fake_reply(f, 0, 0, 0x9000);
	fake_reply(f, 3, 0x10, 0x9000);
	fake_run(f, &c, 16, (xfer_want){0, 0x9000, 3, 3});

	assert_int_equal(f->sent_len[0], 5 + 255);
	assert_int_equal(f->sent[0][0], 0x1C);
	assert_int_equal(f->sent[0][4], 0xFF);
	assert_memory_equal(f->sent[0] + 5, d, 255);
	assert_int_equal(f->sent_len[1], 5 + 255);
	assert_int_equal(f->sent[1][0], 0x1C);
	assert_memory_equal(f->sent[1] + 5, d + 255, 255);
	assert_int_equal(f->sent_len[2], 5 + 90 + 1);
	assert_int_equal(f->sent[2][0], 0x0C);
	assert_int_equal(f->sent[2][1], 0xDB);
	assert_int_equal(f->sent[2][4], 90);
	assert_memory_equal(f->sent[2] + 5, d + 510, 90);
	assert_int_equal(f->sent[2][5 + 90], 16);
}

static void transceive_chains_256_bytes_as_255_plus_1(void **state)
{
	fake_card *f = *state;
	uint8_t d[256] = {0};
	apdu_cmd c = {.ins = 0xDB, .data = d, .lc = 256};

	fake_reply(f, 0, 0, 0x9000);
	fake_reply(f, 0, 0, 0x9000);
	fake_run(f, &c, 0, (xfer_want){0, 0x9000, 0, 2});
	assert_int_equal(f->sent_len[0], 260);
	assert_int_equal(f->sent[0][0], 0x10);
	assert_int_equal(f->sent_len[1], 6);
	assert_int_equal(f->sent[1][0], 0x00);
	assert_int_equal(f->sent[1][4], 1);
}

static void transceive_stops_chain_on_intermediate_error(void **state)
{
	fake_card *f = *state;
	uint8_t d[700] = {0};
	apdu_cmd c = {.ins = 0xDB, .data = d, .lc = sizeof(d)};

	fake_reply(f, 0, 0, 0x9000);
	fake_reply(f, 0, 0, 0x6A84);
	/* two APDUs: the third piece was never sent */
	fake_run(f, &c, 8, (xfer_want){0, 0x6A84, 0, 2});
}

static void transceive_uses_one_extended_apdu_when_allowed(void **state)
{
	fake_card *f = *state;
	uint8_t d[600] = {0};
	apdu_cmd c = {.ins = 0xDB, .data = d, .lc = sizeof(d), .has_le = true, .le = 65536};

	f->ch.use_extended = true;
	fake_reply(f, 0, 0, 0x9000);
	fake_run(f, &c, 8, (xfer_want){0, 0x9000, 0, 1});
	assert_int_equal(f->sent_len[0], 4 + 3 + 600 + 2);
	assert_int_equal(f->sent[0][4], 0x00);
	assert_int_equal(f->sent[0][5], 0x02);
	assert_int_equal(f->sent[0][6], 0x58);
	assert_int_equal(f->sent[0][7 + 600], 0x00);
	assert_int_equal(f->sent[0][7 + 601], 0x00);
}

static void transceive_clamps_le_to_256_without_extended(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .has_le = true, .le = 4000};
	const uint8_t want[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00};

	fake_reply(f, 0, 0, 0x9000);
	fake_run(f, &c, 8, (xfer_want){0, 0x9000, 0, 1});
	fake_sent_is(f, 0, want, sizeof(want));
}

/* 100 bytes + 6100, then 256 bytes + 6110, then 16 bytes + 9000: 372 bytes in order. */
static void transceive_collects_61xx_over_several_rounds(void **state)
{
	fake_card *f = *state;
	size_t k;
	apdu_cmd c = {.ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .has_le = true, .le = 256};
	const uint8_t get256[] = {0x00, 0xC0, 0x00, 0x00, 0x00};
	const uint8_t get16[] = {0x00, 0xC0, 0x00, 0x00, 0x10};

	fake_reply(f, 100, 0, 0x6100);
	fake_reply(f, 256, 100, 0x6110);
	fake_reply(f, 16, (uint8_t)356, 0x9000);
	fake_run(f, &c, 400, (xfer_want){0, 0x9000, 372, 3});
	for (k = 0; k < f->n; k++)
		assert_int_equal(f->out[k], (uint8_t)k);
	fake_sent_is(f, 1, get256, sizeof(get256));
	fake_sent_is(f, 2, get16, sizeof(get16));
}

static void transceive_refuses_61xx_loop_without_data(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xCB, .has_le = true, .le = 256};

	fake_reply(f, 0, 0, 0x6110); /* a first empty 61xx is normal (T=0 style) */
	fake_reply(f, 0, 0, 0x6110); /* an empty one answering GET RESPONSE is not */
	fake_run(f, &c, 8, (xfer_want){APDU_ERR_LENGTH, 0, 0, 2});
}

static void transceive_resends_once_with_le_from_6cxx(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xFD, .has_le = true, .le = 256};
	const uint8_t again[] = {0x00, 0xFD, 0x00, 0x00, 0x03};

	fake_reply(f, 0, 0, 0x6C03);
	fake_reply(f, 3, 5, 0x9000);
	fake_run(f, &c, 64, (xfer_want){0, 0x9000, 3, 2});
	assert_int_equal(f->out[0], 5);
	fake_sent_is(f, 1, again, sizeof(again));
}

static void transceive_reports_second_6cxx_instead_of_looping(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xFD, .has_le = true, .le = 1};

	fake_reply(f, 0, 0, 0x6C00);
	fake_reply(f, 0, 0, 0x6C02);
	fake_run(f, &c, 64, (xfer_want){0, 0x6C02, 0, 2});
	assert_int_equal(f->sent[1][4], 0x00); /* 6C00 means Le 256 */
}

static void transceive_returns_error_sw_with_its_data(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0x20, .p2 = 0x80};

	fake_reply(f, 2, 0xA0, 0x6A80);
	fake_run(f, &c, 8, (xfer_want){0, 0x6A80, 2, 1});
	assert_int_equal(f->out[1], 0xA1);
}

/* 6 bytes + 61xx, then more bytes + 9000, against a cap of 10: the host fills the cap
 * exactly or refuses the answer, and never writes past the cap. */
typedef struct {
	uint8_t more;
	int rc;
	size_t n;
} cap_row;
static cap_row cap_overflowed = {6, APDU_ERR_BUFFER, 0};
static cap_row cap_filled = {4, 0, 10};

static void transceive_bounds_output_by_cap(void **state)
{
	fake_card *f = *state;
	const cap_row *r = f->row;
	apdu_cmd c = {.ins = 0xCB, .has_le = true, .le = 256};

	memset(f->out, 0xEE, sizeof(f->out));
	fake_reply(f, 6, 0, (uint16_t)(0x6100 | r->more));
	fake_reply(f, r->more, 6, 0x9000);
	fake_run(f, &c, 10, (xfer_want){r->rc, 0x9000, r->n, 2});
	assert_int_equal(f->out[5], 5);
	if (r->rc == 0)
		assert_int_equal(f->out[9], 9);
	assert_int_equal(f->out[10], 0xEE);
}

static void transceive_refuses_response_without_sw(void **state)
{
	fake_card *f = *state;
	const uint8_t one[] = {0x90};
	apdu_cmd c = {.ins = 0xCB};

	fake_reply_raw(f, one, sizeof(one), 0);
	fake_run(f, &c, 8, (xfer_want){APDU_ERR_LENGTH, 0, 0, 1});
}

static void transceive_passes_transport_error_through(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xCB, .has_le = true, .le = 1};

	fake_reply(f, 1, 0, 0x6101);
	fake_reply_raw(f, NULL, 0, -42);
	fake_run(f, &c, 8, (xfer_want){-42, 0, 0, 2});
}

static void transceive_refuses_bad_command_without_sending(void **state)
{
	fake_card *f = *state;
	apdu_cmd c = {.ins = 0xDB, .lc = 3}; /* Lc without data */

	fake_run(f, &c, 8, (xfer_want){APDU_ERR_PARAM, 0, 0, 0});
	c.data = f->out;
	c.lc = 65536;
	fake_run(f, &c, 8, (xfer_want){APDU_ERR_PARAM, 0, 0, 0});
}

static void transceive_counts_apdus_across_calls(void **state)
{
	fake_card *f = *state;
	uint8_t d[300] = {0};
	apdu_cmd small = {.ins = 0xFD, .has_le = true, .le = 3};
	apdu_cmd big = {.ins = 0xDB, .data = d, .lc = sizeof(d)};

	fake_reply(f, 3, 0, 0x9000);
	fake_reply(f, 0, 0, 0x9000);
	fake_reply(f, 0, 0, 0x9000);
	fake_run(f, &small, 8, (xfer_want){0, 0x9000, 3, 1});
	fake_run(f, &big, 8, (xfer_want){0, 0x9000, 0, 3});
}

#define XFER_TEST(t) cmocka_unit_test_setup_teardown(t, fake_setup, fake_teardown)
/* One row of a table-driven test, named by the behaviour the row pins. */
#define XFER_ROW(name, t, row)                            \
	{                                                 \
#name, t, fake_setup, fake_teardown, &row \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		XFER_TEST(transceive_returns_data_and_final_sw),
		XFER_TEST(transceive_chains_long_data_in_255_byte_pieces),
		XFER_TEST(transceive_chains_256_bytes_as_255_plus_1),
		XFER_TEST(transceive_stops_chain_on_intermediate_error),
		XFER_TEST(transceive_uses_one_extended_apdu_when_allowed),
		XFER_TEST(transceive_clamps_le_to_256_without_extended),
		XFER_TEST(transceive_collects_61xx_over_several_rounds),
		XFER_TEST(transceive_refuses_61xx_loop_without_data),
		XFER_TEST(transceive_resends_once_with_le_from_6cxx),
		XFER_TEST(transceive_reports_second_6cxx_instead_of_looping),
		XFER_TEST(transceive_returns_error_sw_with_its_data),
		XFER_ROW(transceive_never_writes_past_cap, transceive_bounds_output_by_cap,
	                 cap_overflowed),
		XFER_ROW(transceive_fills_cap_exactly, transceive_bounds_output_by_cap, cap_filled),
		XFER_TEST(transceive_refuses_response_without_sw),
		XFER_TEST(transceive_passes_transport_error_through),
		XFER_TEST(transceive_refuses_bad_command_without_sending),
		XFER_TEST(transceive_counts_apdus_across_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
