/* Unit tests of the CCID bulk message header codec and message builder. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ccid.h"

static void header_round_trips_every_field(void **state)
{
	ccid_header h = {.type = CCID_RDR_TO_PC_DATA_BLOCK,
	                 .length = 0x01020304u,
	                 .slot = 0x05,
	                 .seq = 0xA7,
	                 .param = {0x40, 0xFE, 0x03}},
		    d;
	uint8_t b[CCID_HEADER_LEN];

	(void)state;
	ccid_header_encode(&h, b);
	memset(&d, 0, sizeof(d));
	ccid_header_decode(b, &d);
	assert_int_equal(d.type, h.type);
	assert_int_equal(d.length, h.length);
	assert_int_equal(d.slot, h.slot);
	assert_int_equal(d.seq, h.seq);
	assert_memory_equal(d.param, h.param, 3);
}

static void header_length_is_little_endian_at_bytes_1_to_4(void **state)
{
	const uint8_t want[CCID_HEADER_LEN] = {0x6F, 0x04, 0x03, 0x02, 0x01,
	                                       0x00, 0x09, 0x00, 0x00, 0x00};
	ccid_header h = {.type = CCID_PC_TO_RDR_XFR_BLOCK, .length = 0x01020304u, .seq = 9};
	uint8_t b[CCID_HEADER_LEN];

	(void)state;
	ccid_header_encode(&h, b);
	assert_memory_equal(b, want, sizeof(want));
}

static void header_decode_reads_full_32_bit_length(void **state)
{
	const uint8_t b[CCID_HEADER_LEN] = {0x62, 0xFF, 0xFF, 0xFF, 0xFF,
	                                    0x01, 0x02, 0x03, 0x04, 0x05};
	ccid_header h;

	(void)state;
	ccid_header_decode(b, &h);
	assert_int_equal(h.type, 0x62);
	assert_int_equal(h.length, 0xFFFFFFFFu);
	assert_int_equal(h.slot, 1);
	assert_int_equal(h.seq, 2);
	assert_int_equal(h.param[0], 3);
	assert_int_equal(h.param[2], 5);
}

static void build_writes_header_then_data(void **state)
{
	const uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00};
	const uint8_t param[3] = {0x00, 0x00, 0x00};
	const uint8_t want[] = {0x6F, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11,
	                        0x00, 0x00, 0x00, 0x00, 0xA4, 0x04, 0x00};
	uint8_t out[32];

	(void)state;
	assert_int_equal(ccid_message_build(out, sizeof(out), CCID_PC_TO_RDR_XFR_BLOCK, 0, 0x11,
	                                    param, apdu, sizeof(apdu)),
	                 sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

static void build_without_param_writes_zeros(void **state)
{
	uint8_t out[CCID_HEADER_LEN];
	ccid_header h;

	(void)state;
	memset(out, 0xEE, sizeof(out));
	assert_int_equal(ccid_message_build(out, sizeof(out), CCID_RDR_TO_PC_SLOT_STATUS, 0, 3,
	                                    NULL, NULL, 0),
	                 CCID_HEADER_LEN);
	ccid_header_decode(out, &h);
	assert_int_equal(h.type, CCID_RDR_TO_PC_SLOT_STATUS);
	assert_int_equal(h.length, 0);
	assert_int_equal(h.seq, 3);
	assert_int_equal(h.param[0], 0);
	assert_int_equal(h.param[1], 0);
	assert_int_equal(h.param[2], 0);
}

static void build_refuses_small_buffer_without_writing(void **state)
{
	const uint8_t data[5] = {1, 2, 3, 4, 5};
	uint8_t out[16];
	size_t cap;

	(void)state;
	for (cap = 0; cap < CCID_HEADER_LEN + sizeof(data); cap++) {
		memset(out, 0xEE, sizeof(out));
		assert_int_equal(ccid_message_build(out, cap, CCID_RDR_TO_PC_DATA_BLOCK, 0, 0, NULL,
		                                    data, sizeof(data)),
		                 0);
		assert_int_equal(out[0], 0xEE);
	}
	assert_int_equal(ccid_message_build(out, cap, CCID_RDR_TO_PC_DATA_BLOCK, 0, 0, NULL, data,
	                                    sizeof(data)),
	                 CCID_HEADER_LEN + sizeof(data));
}

static void build_refuses_data_over_max(void **state)
{
	size_t n = CCID_MAX_DATA + 1;
	uint8_t *data = calloc(1, n), *out = malloc(CCID_HEADER_LEN + n);

	(void)state;
	assert_non_null(data);
	assert_non_null(out);
	assert_int_equal(ccid_message_build(out, CCID_HEADER_LEN + n, CCID_RDR_TO_PC_DATA_BLOCK, 0,
	                                    0, NULL, data, n),
	                 0);
	assert_int_equal(ccid_message_build(out, CCID_HEADER_LEN + n, CCID_RDR_TO_PC_DATA_BLOCK, 0,
	                                    0, NULL, data, n - 1),
	                 CCID_HEADER_LEN + n - 1);
	assert_int_equal(out[1], (uint8_t)CCID_MAX_DATA);
	assert_int_equal(out[2], (uint8_t)(CCID_MAX_DATA >> 8));
	assert_int_equal(out[3], (uint8_t)(CCID_MAX_DATA >> 16));
	free(data);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_round_trips_every_field),
		cmocka_unit_test(header_length_is_little_endian_at_bytes_1_to_4),
		cmocka_unit_test(header_decode_reads_full_32_bit_length),
		cmocka_unit_test(build_writes_header_then_data),
		cmocka_unit_test(build_without_param_writes_zeros),
		cmocka_unit_test(build_refuses_small_buffer_without_writing),
		cmocka_unit_test(build_refuses_data_over_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
