/* Unit tests of the APDU codec: strict parsing of every ISO 7816-3 case and encoding.
 * The host-side exchange is tested in test_apdu_transceive.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "apdu.h"

/* ---- parsing ---- */

/* What apdu_cmd_parse must make of a command's body: Lc, where the data starts in the
 * buffer (0: no data), Le (0: none) and whether the body was in extended form. */
typedef struct {
	size_t lc;
	size_t data_at;
	size_t le;
	bool extended;
} parsed_body;

static apdu_cmd parse_gives(const uint8_t *b, size_t n, parsed_body want)
{
	apdu_cmd c;

	assert_int_equal(apdu_cmd_parse(b, n, &c), APDU_OK);
	assert_int_equal(c.lc, want.lc);
	if (want.data_at)
		assert_ptr_equal(c.data, b + want.data_at);
	else
		assert_null(c.data);
	assert_int_equal(c.has_le, want.le != 0);
	if (want.le)
		assert_int_equal(c.le, want.le);
	assert_int_equal(c.extended, want.extended);
	return c;
}

static void parse_case1_is_header_only(void **state)
{
	const uint8_t b[] = {0x00, 0xA4, 0x04, 0x00};
	apdu_cmd c;

	(void)state;
	c = parse_gives(b, sizeof(b), (parsed_body){0, 0, 0, false});
	assert_int_equal(c.cla, 0x00);
	assert_int_equal(c.ins, 0xA4);
	assert_int_equal(c.p1, 0x04);
	assert_int_equal(c.p2, 0x00);
}

static void parse_case2s_reads_le_and_00_means_256(void **state)
{
	uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x10};

	(void)state;
	parse_gives(b, sizeof(b), (parsed_body){0, 0, 0x10, false});
	b[4] = 0x00;
	parse_gives(b, sizeof(b), (parsed_body){0, 0, 256, false});
}

static void parse_case3s_points_data_into_buffer(void **state)
{
	const uint8_t b[] = {0x00, 0x20, 0x00, 0x80, 0x03, 0x31, 0x32, 0x33};

	(void)state;
	parse_gives(b, sizeof(b), (parsed_body){3, 5, 0, false});
}

static void parse_case4s_reads_data_and_le(void **state)
{
	uint8_t b[] = {0x00, 0x87, 0x11, 0x9A, 0x02, 0xAA, 0xBB, 0x40};

	(void)state;
	parse_gives(b, sizeof(b), (parsed_body){2, 5, 0x40, false});
	b[7] = 0x00;
	parse_gives(b, sizeof(b), (parsed_body){2, 5, 256, false});
}

static void parse_case2e_reads_two_byte_le_and_0000_means_65536(void **state)
{
	uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x01, 0x2C};

	(void)state;
	parse_gives(b, sizeof(b), (parsed_body){0, 0, 300, true});
	b[5] = b[6] = 0;
	parse_gives(b, sizeof(b), (parsed_body){0, 0, 65536, true});
}

static void parse_case3e_and_4e_read_two_byte_lc(void **state)
{
	uint8_t b[7 + 300 + 2];

	(void)state;
	memset(b, 0x5A, sizeof(b));
	b[0] = 0x00;
	b[1] = 0xDB;
	b[2] = 0x3F;
	b[3] = 0xFF;
	b[4] = 0x00;
	b[5] = 0x01;
	b[6] = 0x2C;
	parse_gives(b, 7 + 300, (parsed_body){300, 7, 0, true});

	b[7 + 300] = 0x00;
	b[7 + 301] = 0x00;
	parse_gives(b, sizeof(b), (parsed_body){300, 7, 65536, true});
	b[7 + 300] = 0x12;
	b[7 + 301] = 0x34;
	parse_gives(b, sizeof(b), (parsed_body){300, 7, 0x1234, true});
}

static void parse_refused(const uint8_t *b, size_t n)
{
	apdu_cmd c;

	assert_int_equal(apdu_cmd_parse(b, n, &c), APDU_ERR_LENGTH);
}

/* Of the first n bytes of b, for every n from `from` to `to`, only the lengths listed in
 * ok parse. */
static void parse_accepts_only(const uint8_t *b, size_t from, size_t to, const size_t *ok,
                               size_t nok)
{
	size_t n, k;
	apdu_cmd c;

	for (n = from; n <= to; n++) {
		apdu_status want = APDU_ERR_LENGTH;

		for (k = 0; k < nok; k++)
			if (ok[k] == n)
				want = APDU_OK;
		assert_int_equal(apdu_cmd_parse(b, n, &c), want);
	}
}

static void parse_refuses_fewer_than_four_bytes(void **state)
{
	const uint8_t b[4] = {0};

	(void)state;
	parse_accepts_only(b, 0, 3, NULL, 0);
	parse_refused(NULL, 10);
}

/* With a short Lc of 3 only lengths 4 (case 1), 5 (case 2S), 8 (3S) and 9 (4S) are valid. */
static void parse_short_lc_accepts_only_exact_lengths(void **state)
{
	uint8_t b[32];

	(void)state;
	memset(b, 0x11, sizeof(b));
	b[4] = 3;
	parse_accepts_only(b, 4, sizeof(b), (const size_t[]){4, 5, 8, 9}, 4);
}

static void parse_short_lc_255_boundaries(void **state)
{
	uint8_t b[5 + 255 + 2];

	(void)state;
	memset(b, 0x22, sizeof(b));
	b[4] = 0xFF;
	parse_gives(b, 5 + 255, (parsed_body){255, 5, 0, false});
	parse_gives(b, 5 + 255 + 1, (parsed_body){255, 5, 0x22, false});
	parse_refused(b, 5 + 254);
	parse_refused(b, 5 + 255 + 2);
}

/* A zero byte 4 followed by one byte is neither short (Lc 0 is not allowed) nor extended. */
static void parse_refuses_zero_lc_with_one_more_byte(void **state)
{
	const uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x05};

	(void)state;
	parse_refused(b, sizeof(b));
}

static void parse_refuses_extended_lc_0000_with_data(void **state)
{
	const uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x02};

	(void)state;
	parse_accepts_only(b, 8, sizeof(b), NULL, 0);
}

/* Extended Lc of 3: only 7+3 (3E) and 7+3+2 (4E) are valid beyond the 7-byte case 2E. */
static void parse_extended_lc_accepts_only_exact_lengths(void **state)
{
	uint8_t b[24];

	(void)state;
	memset(b, 0x33, sizeof(b));
	b[4] = 0;
	b[5] = 0;
	b[6] = 3;
	parse_accepts_only(b, 6, sizeof(b), (const size_t[]){7, 10, 12}, 3);
}

static void parse_failure_leaves_no_data_pointer(void **state)
{
	const uint8_t b[] = {0x00, 0x20, 0x00, 0x80, 0x05, 0x31, 0x32};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_ERR_LENGTH);
	assert_null(c.data);
	assert_int_equal(c.lc, 0);
}

/* ---- encoding ---- */

/* apdu_cmd_encode of c gives exactly the n bytes of want. */
static void encode_gives(const apdu_cmd *c, const uint8_t *want, size_t n)
{
	uint8_t out[16];
	size_t len = 0;

	assert_int_equal(apdu_cmd_encode(c, out, sizeof(out), &len), APDU_OK);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
}

/* One case of a command: its body (the header fields are ignored) and the bytes the
 * encoding has after the header. */
typedef struct {
	apdu_cmd body;
	uint8_t want[8];
	size_t n;
} encoding;

/* Each row's body under the header of head encodes as head's four bytes, then the row's. */
static void encode_gives_each(const apdu_cmd *head, const encoding *rows, size_t count)
{
	uint8_t want[4 + sizeof(rows[0].want)] = {head->cla, head->ins, head->p1, head->p2};
	apdu_cmd c;
	size_t i;

	for (i = 0; i < count; i++) {
		c = rows[i].body;
		c.cla = head->cla;
		c.ins = head->ins;
		c.p1 = head->p1;
		c.p2 = head->p2;
		memcpy(want + 4, rows[i].want, rows[i].n);
		encode_gives(&c, want, 4 + rows[i].n);
	}
}

/* Cases 1, 2S, 4S and 3S. */
static void encode_short_cases_byte_exact(void **state)
{
	static const uint8_t d[] = {0xDE, 0xAD};
	const apdu_cmd head = {.ins = 0x87, .p1 = 0x11, .p2 = 0x9A};
	const encoding rows[] = {
		{{.lc = 0}, {0}, 0},
		{{.has_le = true, .le = 256}, {0x00}, 1},
		{{.data = d, .lc = 2, .has_le = true, .le = 0x20}, {0x02, 0xDE, 0xAD, 0x20}, 4},
		{{.data = d, .lc = 2}, {0x02, 0xDE, 0xAD}, 3},
	};

	(void)state;
	encode_gives_each(&head, rows, sizeof(rows) / sizeof(rows[0]));
}

/* Cases 2E, 4E and 3E. */
static void encode_extended_cases_byte_exact(void **state)
{
	static const uint8_t d[] = {0x01, 0x02, 0x03};
	const apdu_cmd head = {.ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF};
	const encoding rows[] = {
		{{.has_le = true, .le = 65536, .extended = true}, {0x00, 0x00, 0x00}, 3},
		{{.data = d, .lc = 3, .has_le = true, .le = 0x0102, .extended = true},
	         {0x00, 0x00, 0x03, 0x01, 0x02, 0x03, 0x01, 0x02},
	         8},
		{{.data = d, .lc = 3, .extended = true}, {0x00, 0x00, 0x03, 0x01, 0x02, 0x03}, 6},
	};

	(void)state;
	encode_gives_each(&head, rows, sizeof(rows) / sizeof(rows[0]));
}

static void encode_switches_to_extended_past_short_limits(void **state)
{
	static uint8_t data[256];
	static uint8_t out[512];
	size_t n = 0;
	apdu_cmd c = {.ins = 0xDB, .data = data, .lc = 255, .has_le = true, .le = 256};

	(void)state;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 4 + 1 + 255 + 1);
	c.lc = 256;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 4 + 3 + 256 + 2);
	assert_int_equal(out[4], 0x00);
	assert_int_equal(out[5], 0x01);
	assert_int_equal(out[6], 0x00);
	assert_int_equal(out[n - 2], 0x01);
	assert_int_equal(out[n - 1], 0x00);
	c.lc = 0;
	c.data = NULL;
	c.le = 257;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 7);
	assert_int_equal(out[5], 0x01);
	assert_int_equal(out[6], 0x01);
}

static void encode_refuses_unencodable_lengths(void **state)
{
	uint8_t data[1] = {0};
	uint8_t out[16];
	size_t n = 0;
	apdu_cmd c = {.ins = 0xCB, .data = data, .lc = 65536};

	(void)state;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_ERR_PARAM);
	c.lc = 1;
	c.has_le = true;
	c.le = 65537;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_ERR_PARAM);
	c.le = 0;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_ERR_PARAM);
	c.has_le = false;
	c.data = NULL;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_ERR_PARAM);
}

static void encode_refuses_short_buffer_and_fits_exact(void **state)
{
	const uint8_t data[] = {1, 2, 3};
	uint8_t out[9];
	size_t n = 0;
	apdu_cmd c = {.ins = 0x20, .data = data, .lc = 3, .has_le = true, .le = 1};

	(void)state;
	memset(out, 0xEE, sizeof(out));
	assert_int_equal(apdu_cmd_encode(&c, out, 8, &n), APDU_ERR_BUFFER);
	assert_int_equal(out[8], 0xEE);
	assert_int_equal(apdu_cmd_encode(&c, out, 9, &n), APDU_OK);
	assert_int_equal(n, 9);
}

/* Every combination of Lc/Le boundaries survives encode then parse unchanged. */
static void encode_parse_round_trip_at_boundaries(void **state)
{
	static const size_t lcs[] = {0, 1, 255, 256, 65535};
	static const size_t les[] = {0, 1, 255, 256, 257, 65535, 65536};
	uint8_t *data = malloc(65535);
	uint8_t *out = malloc(APDU_MAX_COMMAND);
	size_t i, j, k, n;

	(void)state;
	assert_non_null(data);
	assert_non_null(out);
	for (i = 0; i < 65535; i++)
		data[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(lcs) / sizeof(lcs[0]); i++)
		for (j = 0; j < sizeof(les) / sizeof(les[0]); j++)
			for (k = 0; k < 2; k++) {
				apdu_cmd c = {.cla = 0x10, .ins = 0xDB, .p1 = 0x3F, .p2 = 0xFF}, p;
				bool ext;

				c.lc = lcs[i];
				c.data = c.lc ? data : NULL;
				c.has_le = les[j] != 0;
				c.le = les[j];
				c.extended = k;
				ext = c.extended || c.lc > 255 || c.le > 256;
				assert_int_equal(apdu_cmd_encode(&c, out, APDU_MAX_COMMAND, &n),
				                 APDU_OK);
				assert_int_equal(apdu_cmd_parse(out, n, &p), APDU_OK);
				assert_int_equal(p.cla, 0x10);
				assert_int_equal(p.ins, 0xDB);
				assert_int_equal(p.lc, c.lc);
				assert_int_equal(p.has_le, c.has_le);
				if (c.has_le)
					assert_int_equal(p.le, c.le);
				if (c.lc)
					assert_memory_equal(p.data, data, c.lc);
				else
					assert_null(p.data);
				/* Case 1 has no extended form, so only a body makes it extended. */
				assert_int_equal(p.extended, ext && (c.lc || c.has_le));
			}
	free(data);
	free(out);
}

static void resp_split_needs_status_word(void **state)
{
	const uint8_t b[] = {0xAA, 0xBB, 0x90, 0x00};
	const uint8_t *d = NULL;
	size_t dl = 99;
	uint16_t sw = 0;

	(void)state;
	assert_int_equal(apdu_resp_split(b, 0, &d, &dl, &sw), APDU_ERR_LENGTH);
	assert_int_equal(apdu_resp_split(b, 1, &d, &dl, &sw), APDU_ERR_LENGTH);
	assert_int_equal(apdu_resp_split(b + 2, 2, &d, &dl, &sw), APDU_OK);
	assert_int_equal(dl, 0);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(apdu_resp_split(b, sizeof(b), &d, &dl, &sw), APDU_OK);
	assert_ptr_equal(d, b);
	assert_int_equal(dl, 2);
	assert_int_equal(sw, 0x9000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_case1_is_header_only),
		cmocka_unit_test(parse_case2s_reads_le_and_00_means_256),
		cmocka_unit_test(parse_case3s_points_data_into_buffer),
		cmocka_unit_test(parse_case4s_reads_data_and_le),
		cmocka_unit_test(parse_case2e_reads_two_byte_le_and_0000_means_65536),
		cmocka_unit_test(parse_case3e_and_4e_read_two_byte_lc),
		cmocka_unit_test(parse_refuses_fewer_than_four_bytes),
		cmocka_unit_test(parse_short_lc_accepts_only_exact_lengths),
		cmocka_unit_test(parse_short_lc_255_boundaries),
		cmocka_unit_test(parse_refuses_zero_lc_with_one_more_byte),
		cmocka_unit_test(parse_refuses_extended_lc_0000_with_data),
		cmocka_unit_test(parse_extended_lc_accepts_only_exact_lengths),
		cmocka_unit_test(parse_failure_leaves_no_data_pointer),
		cmocka_unit_test(encode_short_cases_byte_exact),
		cmocka_unit_test(encode_extended_cases_byte_exact),
		cmocka_unit_test(encode_switches_to_extended_past_short_limits),
		cmocka_unit_test(encode_refuses_unencodable_lengths),
		cmocka_unit_test(encode_refuses_short_buffer_and_fits_exact),
		cmocka_unit_test(encode_parse_round_trip_at_boundaries),
		cmocka_unit_test(resp_split_needs_status_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
