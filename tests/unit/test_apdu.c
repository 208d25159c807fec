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

static void parse_case1_is_header_only(void **state)
{
	const uint8_t b[] = {0x00, 0xA4, 0x04, 0x00};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.cla, 0x00);
	assert_int_equal(c.ins, 0xA4);
	assert_int_equal(c.p1, 0x04);
	assert_int_equal(c.p2, 0x00);
	assert_int_equal(c.lc, 0);
	assert_null(c.data);
	assert_false(c.has_le);
	assert_false(c.extended);
}

static void parse_case2s_reads_le_and_00_means_256(void **state)
{
	uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x10};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_true(c.has_le);
	assert_int_equal(c.le, 0x10);
	assert_int_equal(c.lc, 0);
	assert_null(c.data);
	b[4] = 0x00;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.le, 256);
	assert_false(c.extended);
}

static void parse_case3s_points_data_into_buffer(void **state)
{
	const uint8_t b[] = {0x00, 0x20, 0x00, 0x80, 0x03, 0x31, 0x32, 0x33};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.lc, 3);
	assert_ptr_equal(c.data, b + 5);
	assert_false(c.has_le);
	assert_false(c.extended);
}

static void parse_case4s_reads_data_and_le(void **state)
{
	uint8_t b[] = {0x00, 0x87, 0x11, 0x9A, 0x02, 0xAA, 0xBB, 0x40};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.lc, 2);
	assert_ptr_equal(c.data, b + 5);
	assert_true(c.has_le);
	assert_int_equal(c.le, 0x40);
	b[7] = 0x00;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.le, 256);
}

static void parse_case2e_reads_two_byte_le_and_0000_means_65536(void **state)
{
	uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x01, 0x2C};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_true(c.extended);
	assert_true(c.has_le);
	assert_int_equal(c.le, 300);
	assert_int_equal(c.lc, 0);
	assert_null(c.data);
	b[5] = b[6] = 0;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.le, 65536);
}

static void parse_case3e_and_4e_read_two_byte_lc(void **state)
{
	uint8_t b[7 + 300 + 2];
	apdu_cmd c;

	(void)state;
	memset(b, 0x5A, sizeof(b));
	b[0] = 0x00; b[1] = 0xDB; b[2] = 0x3F; b[3] = 0xFF;
	b[4] = 0x00; b[5] = 0x01; b[6] = 0x2C;
	assert_int_equal(apdu_cmd_parse(b, 7 + 300, &c), APDU_OK);
	assert_true(c.extended);
	assert_int_equal(c.lc, 300);
	assert_ptr_equal(c.data, b + 7);
	assert_false(c.has_le);

	b[7 + 300] = 0x00;
	b[7 + 301] = 0x00;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.lc, 300);
	assert_true(c.has_le);
	assert_int_equal(c.le, 65536);
	b[7 + 300] = 0x12;
	b[7 + 301] = 0x34;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_OK);
	assert_int_equal(c.le, 0x1234);
}

static void parse_refuses_fewer_than_four_bytes(void **state)
{
	const uint8_t b[4] = {0};
	apdu_cmd c;
	size_t n;

	(void)state;
	for (n = 0; n < 4; n++)
		assert_int_equal(apdu_cmd_parse(b, n, &c), APDU_ERR_LENGTH);
	assert_int_equal(apdu_cmd_parse(NULL, 10, &c), APDU_ERR_LENGTH);
}

/* With a short Lc of 3 only lengths 4 (case 1), 5 (case 2S), 8 (3S) and 9 (4S) are valid. */
static void parse_short_lc_accepts_only_exact_lengths(void **state)
{
	uint8_t b[32];
	apdu_cmd c;
	size_t n;

	(void)state;
	memset(b, 0x11, sizeof(b));
	b[4] = 3;
	for (n = 4; n <= sizeof(b); n++) {
		apdu_status want = (n == 4 || n == 5 || n == 8 || n == 9) ? APDU_OK : APDU_ERR_LENGTH;
		assert_int_equal(apdu_cmd_parse(b, n, &c), want);
	}
}

static void parse_short_lc_255_boundaries(void **state)
{
	uint8_t b[5 + 255 + 2];
	apdu_cmd c;

	(void)state;
	memset(b, 0x22, sizeof(b));
	b[4] = 0xFF;
	assert_int_equal(apdu_cmd_parse(b, 5 + 255, &c), APDU_OK);
	assert_int_equal(c.lc, 255);
	assert_int_equal(apdu_cmd_parse(b, 5 + 255 + 1, &c), APDU_OK);
	assert_int_equal(c.le, 0x22);
	assert_int_equal(apdu_cmd_parse(b, 5 + 254, &c), APDU_ERR_LENGTH);
	assert_int_equal(apdu_cmd_parse(b, 5 + 255 + 2, &c), APDU_ERR_LENGTH);
}

/* A zero byte 4 followed by one byte is neither short (Lc 0 is not allowed) nor extended. */
static void parse_refuses_zero_lc_with_one_more_byte(void **state)
{
	const uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x05};
	apdu_cmd c;

	(void)state;
	assert_int_equal(apdu_cmd_parse(b, sizeof(b), &c), APDU_ERR_LENGTH);
}

static void parse_refuses_extended_lc_0000_with_data(void **state)
{
	const uint8_t b[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x02};
	apdu_cmd c;
	size_t n;

	(void)state;
	for (n = 8; n <= sizeof(b); n++)
		assert_int_equal(apdu_cmd_parse(b, n, &c), APDU_ERR_LENGTH);
}

/* Extended Lc of 3: only 7+3 (3E) and 7+3+2 (4E) are valid beyond the 7-byte case 2E. */
static void parse_extended_lc_accepts_only_exact_lengths(void **state)
{
	uint8_t b[24];
	apdu_cmd c;
	size_t n;

	(void)state;
	memset(b, 0x33, sizeof(b));
	b[4] = 0; b[5] = 0; b[6] = 3;
	for (n = 6; n <= sizeof(b); n++) {
		apdu_status want = (n == 7 || n == 10 || n == 12) ? APDU_OK : APDU_ERR_LENGTH;
		assert_int_equal(apdu_cmd_parse(b, n, &c), want);
	}
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

static void encode_short_cases_byte_exact(void **state)
{
	const uint8_t data[] = {0xDE, 0xAD};
	uint8_t out[16];
	size_t n = 0;
	apdu_cmd c = { .cla = 0x00, .ins = 0x87, .p1 = 0x11, .p2 = 0x9A };

	(void)state;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 4);

	c.has_le = true;
	c.le = 256;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 5);
	assert_int_equal(out[4], 0x00);

	c.data = data;
	c.lc = 2;
	c.le = 0x20;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	{
		const uint8_t want[] = {0x00, 0x87, 0x11, 0x9A, 0x02, 0xDE, 0xAD, 0x20};
		assert_int_equal(n, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
	}
	c.has_le = false;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 7);
}

static void encode_extended_cases_byte_exact(void **state)
{
	const uint8_t data[] = {0x01, 0x02, 0x03};
	uint8_t out[16];
	size_t n = 0;
	apdu_cmd c = { .cla = 0x00, .ins = 0xCB, .p1 = 0x3F, .p2 = 0xFF, .has_le = true,
	               .le = 65536, .extended = true };

	(void)state;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	{
		const uint8_t want[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x00};
		assert_int_equal(n, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
	}
	c.data = data;
	c.lc = 3;
	c.le = 0x0102;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	{
		const uint8_t want[] = {0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03,
		                        0x01, 0x02};
		assert_int_equal(n, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
	}
	c.has_le = false;
	assert_int_equal(apdu_cmd_encode(&c, out, sizeof(out), &n), APDU_OK);
	assert_int_equal(n, 10);
}

static void encode_switches_to_extended_past_short_limits(void **state)
{
	static uint8_t data[256];
	static uint8_t out[512];
	size_t n = 0;
	apdu_cmd c = { .ins = 0xDB, .data = data, .lc = 255, .has_le = true, .le = 256 };

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
	apdu_cmd c = { .ins = 0xCB, .data = data, .lc = 65536 };

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
	apdu_cmd c = { .ins = 0x20, .data = data, .lc = 3, .has_le = true, .le = 1 };

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
				apdu_cmd c = { .cla = 0x10, .ins = 0xDB, .p1 = 0x3F, .p2 = 0xFF }, p;
				bool ext;

				c.lc = lcs[i];
				c.data = c.lc ? data : NULL;
				c.has_le = les[j] != 0;
				c.le = les[j];
				c.extended = k;
				ext = c.extended || c.lc > 255 || c.le > 256;
				assert_int_equal(apdu_cmd_encode(&c, out, APDU_MAX_COMMAND, &n), APDU_OK);
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
