/* Unit tests of the BER-TLV codec: multi-byte tags, long-form lengths, strict refusal of
 * malformed input, the iterator and find, and the writer's bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tlv.h"

/* ---- parsing ---- */

/* tlv_parse of the first n bytes of b is refused as malformed. */
static void parse_refused(const uint8_t *b, size_t n)
{
	tlv_item it;

	assert_int_equal(tlv_parse(b, n, &it), TLV_ERR_MALFORMED);
}

/* tlv_parse of the first n bytes of b gives this tag, value length and header length,
 * with the value right after the header. */
static tlv_item parse_gives(const uint8_t *b, size_t n, uint32_t tag, size_t len, size_t header_len)
{
	tlv_item it;

	assert_int_equal(tlv_parse(b, n, &it), TLV_OK);
	assert_int_equal(it.tag, tag);
	assert_int_equal(it.len, len);
	assert_int_equal(it.header_len, header_len);
	assert_ptr_equal(it.value, b + header_len);
	return it;
}

/* Input the parser must refuse at each of the lengths given. */
typedef struct {
	uint8_t b[8];
	size_t lens[3];
	size_t nlens;
} refusal;

static refusal tag_longer_than_four_bytes = {{0x1F, 0x81, 0x82, 0x83, 0x04, 0x00}, {6}, 1};
static refusal truncated_tag = {{0x5F, 0xC1}, {1, 2}, 2};
/* 1F 80 .. starts with a zero group of seven bits: never the minimal encoding. */
static refusal tag_with_leading_zero_group = {{0x1F, 0x80, 0x21, 0x00}, {4}, 1};
/* 1: no length at all; 3 and 4: fewer than the three length bytes 83 announces */
static refusal truncated_length_bytes = {{0x53, 0x83, 0x00, 0x00}, {1, 3, 4}, 3};

static void parse_refuses_the_row(void **state)
{
	const refusal *r = *state;
	size_t i;

	for (i = 0; i < r->nlens; i++)
		parse_refused(r->b, r->lens[i]);
}

static void parse_one_byte_tag_short_length(void **state)
{
	const uint8_t b[] = {0x53, 0x02, 0xAA, 0xBB, 0xCC};

	(void)state;
	parse_gives(b, sizeof(b), 0x53, 2, 2);
}

static void parse_multi_byte_tags_as_big_endian_integers(void **state)
{
	const uint8_t t2[] = {0x7F, 0x49, 0x00};
	const uint8_t t3[] = {0x5F, 0xC1, 0x05, 0x01, 0x99};
	const uint8_t t4[] = {0x1F, 0x81, 0x82, 0x03, 0x00};

	(void)state;
	parse_gives(t2, sizeof(t2), 0x7F49, 0, 3);
	assert_int_equal(parse_gives(t3, sizeof(t3), 0x5FC105, 1, 4).value[0], 0x99);
	parse_gives(t4, sizeof(t4), 0x1F818203u, 0, 5);
}

static void parse_long_form_lengths_81_82_83(void **state)
{
	size_t n = 5 + 0x010000;
	uint8_t *b = calloc(1, n);

	(void)state;
	assert_non_null(b);
	b[0] = 0x70;
	b[1] = 0x81;
	b[2] = 0x80;
	parse_gives(b, 3 + 0x80, 0x70, 0x80, 3);

	b[1] = 0x82;
	b[2] = 0x01;
	b[3] = 0x00;
	parse_gives(b, 4 + 0x100, 0x70, 0x100, 4);

	/* 83 01 00 00 needs 5 + 65536 bytes; one short is refused */
	b[1] = 0x83;
	b[2] = 0x01;
	b[3] = 0x00;
	b[4] = 0x00;
	parse_refused(b, n - 1);
	parse_gives(b, n, 0x70, 0x010000, 5);
	free(b);
}

/* BER allows 81 05; the parser accepts it (the writer never produces it). */
static void parse_accepts_non_minimal_long_length(void **state)
{
	const uint8_t b[] = {0x80, 0x81, 0x01, 0x42};

	(void)state;
	assert_int_equal(parse_gives(b, sizeof(b), 0x80, 1, 3).value[0], 0x42);
}

static void parse_refuses_indefinite_and_oversized_length_forms(void **state)
{
	uint8_t b[] = {0x53, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	unsigned f;

	(void)state;
	for (f = 0x80; f <= 0xFF; f++) {
		if (f >= 0x81 && f <= 0x83)
			continue;
		b[1] = (uint8_t)f;
		parse_refused(b, sizeof(b));
	}
}

static void parse_refuses_value_past_buffer_and_accepts_exact_fit(void **state)
{
	const uint8_t b[] = {0x53, 0x05, 1, 2, 3, 4, 5};
	const uint8_t l[] = {0x53, 0x82, 0xFF, 0xFF, 0x00};

	(void)state;
	parse_refused(b, sizeof(b) - 1);
	parse_gives(b, sizeof(b), 0x53, 5, 2);
	parse_refused(l, sizeof(l));
}

static void parse_refuses_empty_input(void **state)
{
	const uint8_t b[] = {0x53, 0x00};

	(void)state;
	parse_refused(b, 0);
	parse_refused(NULL, 0);
	parse_gives(b, 2, 0x53, 0, 2);
}

/* ---- iterator and find ---- */

static void iter_walks_level_then_ends(void **state)
{
	const uint8_t b[] = {0x70, 0x01, 0xAA, 0x71, 0x01, 0x00, 0xFE, 0x00};
	tlv_iter i;
	tlv_item it;

	(void)state;
	tlv_iter_init(&i, b, sizeof(b));
	assert_int_equal(tlv_iter_next(&i, &it), TLV_OK);
	assert_int_equal(it.tag, 0x70);
	assert_int_equal(tlv_iter_next(&i, &it), TLV_OK);
	assert_int_equal(it.tag, 0x71);
	assert_int_equal(tlv_iter_next(&i, &it), TLV_OK);
	assert_int_equal(it.tag, 0xFE);
	assert_int_equal(it.len, 0);
	assert_int_equal(tlv_iter_next(&i, &it), TLV_END);
	assert_int_equal(tlv_iter_next(&i, &it), TLV_END);
}

/* Walk the n bytes at b with the iterator: step k must answer rcs[k]. */
static void iter_answers(const uint8_t *b, size_t n, const int *rcs, size_t steps)
{
	tlv_iter i;
	tlv_item it;
	size_t k;

	tlv_iter_init(&i, b, n);
	for (k = 0; k < steps; k++)
		assert_int_equal(tlv_iter_next(&i, &it), rcs[k]);
}

static void iter_on_empty_buffer_ends_at_once(void **state)
{
	(void)state;
	iter_answers(NULL, 0, (const int[]){TLV_END, TLV_END}, 2);
}

static void iter_error_is_sticky(void **state)
{
	/* second TLV claims 5 bytes but only 1 follows */
	const uint8_t b[] = {0x70, 0x01, 0xAA, 0x71, 0x05, 0x00};

	(void)state;
	iter_answers(b, sizeof(b),
	             (const int[]){TLV_OK, TLV_ERR_MALFORMED, TLV_ERR_MALFORMED, TLV_ERR_MALFORMED},
	             4);
}

static void iter_does_not_skip_padding(void **state)
{
	const uint8_t b[] = {0x70, 0x00, 0xFF};

	(void)state;
	iter_answers(b, sizeof(b), (const int[]){TLV_OK, TLV_ERR_MALFORMED}, 2);
}

static void find_returns_first_match_at_this_level(void **state)
{
	const uint8_t b[] = {0x7C, 0x03, 0x82, 0x01, 0x11, 0x82, 0x01, 0x22, 0x81, 0x00};
	tlv_item it;

	(void)state;
	assert_int_equal(tlv_find(b, sizeof(b), 0x82, &it), TLV_OK);
	assert_int_equal(it.value[0], 0x22); /* the 82 inside 7C is one level down */
	assert_int_equal(tlv_find(b, sizeof(b), 0x81, &it), TLV_OK);
	assert_int_equal(it.len, 0);
	assert_int_equal(tlv_find(b, sizeof(b), 0x80, &it), TLV_NOT_FOUND);
	assert_int_equal(tlv_find(b, 0, 0x80, &it), TLV_NOT_FOUND);
}

static void find_prefers_first_of_repeated_tags(void **state)
{
	const uint8_t b[] = {0x81, 0x01, 0x11, 0x82, 0x00, 0x81, 0x01, 0x22};
	tlv_item it;

	(void)state;
	assert_int_equal(tlv_find(b, sizeof(b), 0x81, &it), TLV_OK);
	assert_int_equal(it.value[0], 0x11);
	assert_ptr_equal(it.value, b + 2);
}

static void find_fails_when_a_later_tlv_is_malformed(void **state)
{
	const uint8_t b[] = {0x53, 0x01, 0x00, 0x70, 0x81};
	tlv_item it;

	(void)state;
	it.tag = 0xDEAD;
	assert_int_equal(tlv_find(b, sizeof(b), 0x53, &it), TLV_ERR_MALFORMED);
	assert_int_equal(it.tag, 0xDEAD);
	assert_int_equal(tlv_find(b, sizeof(b), 0x99, &it), TLV_ERR_MALFORMED);
}

/* ---- sizes ---- */

static void tag_size_counts_significant_bytes(void **state)
{
	static const uint32_t tags[] = {0x00, 0x53, 0x7F49, 0x5FC105, 0x1F818203u};
	static const size_t sizes[] = {1, 1, 2, 3, 4};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		assert_int_equal(tlv_tag_size(tags[i]), sizes[i]);
}

/* 0 past the largest length the 83 form holds. */
static void len_size_follows_minimal_forms(void **state)
{
	static const size_t lens[] = {0, 127, 128, 255, 256, 65535, 65536, 0xFFFFFF, 0x1000000};
	static const size_t sizes[] = {1, 1, 2, 2, 3, 3, 4, 4, 0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		assert_int_equal(tlv_len_size(lens[i]), sizes[i]);
}

/* ---- writer ---- */

/* The one encoder of a data object's name in a 5C tag list (card GET/PUT DATA, the
 * emulator's INVENTORY): the tag's significant bytes, big-endian, and their count. */
static void tag_bytes_are_the_significant_bytes_big_endian(void **state)
{
	uint8_t b[4] = {0};

	(void)state;
	assert_int_equal(tlv_tag_bytes(0x7E, b), 1);
	assert_int_equal(b[0], 0x7E);
	assert_int_equal(tlv_tag_bytes(0x7F61, b), 2);
	assert_memory_equal(b, "\x7F\x61", 2);
	assert_int_equal(tlv_tag_bytes(0x5FC105, b), 3);
	assert_memory_equal(b, "\x5F\xC1\x05", 3);
	assert_int_equal(tlv_tag_bytes(0x5FFF8101, b), 4);
	assert_memory_equal(b, "\x5F\xFF\x81\x01", 4);
}

static void put_writes_tag_bytes_and_minimal_length(void **state)
{
	uint8_t buf[32];
	const uint8_t v[] = {0xAB};
	const uint8_t want[] = {0x53, 0x01, 0xAB, 0x7F, 0x49, 0x00, 0x5F, 0xC1,
	                        0x05, 0x01, 0xAB, 0x80, 0x01, 0x07, 0xDE, 0xAD};
	tlv_writer w;

	(void)state;
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0x53, v, 1);
	tlv_put(&w, 0x7F49, NULL, 0);
	tlv_put(&w, 0x5FC105, v, 1);
	tlv_put_u8(&w, 0x80, 0x07);
	tlv_put_raw(&w, (const uint8_t *)"\xDE\xAD", 2);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void put_uses_81_82_83_forms_at_boundaries(void **state)
{
	static const size_t lens[] = {127, 128, 255, 256, 65535, 65536};
	static const uint8_t hdr[][5] = {
		{0x70, 0x7F},
		{0x70, 0x81, 0x80},
		{0x70, 0x81, 0xFF},
		{0x70, 0x82, 0x01, 0x00},
		{0x70, 0x82, 0xFF, 0xFF},
		{0x70, 0x83, 0x01, 0x00, 0x00},
	};
	static const size_t hlen[] = {2, 3, 3, 4, 4, 5};
	uint8_t *v = malloc(65536), *buf = malloc(65536 + 8);
	tlv_writer w;
	tlv_item it;
	size_t i;

	(void)state;
	assert_non_null(v);
	assert_non_null(buf);
	memset(v, 0x3C, 65536);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		tlv_writer_init(&w, buf, 65536 + 8);
		tlv_put(&w, 0x70, v, lens[i]);
		assert_int_equal(tlv_writer_status(&w), TLV_OK);
		assert_int_equal(w.len, hlen[i] + lens[i]);
		assert_memory_equal(buf, hdr[i], hlen[i]);
		assert_int_equal(tlv_parse(buf, w.len, &it), TLV_OK);
		assert_int_equal(it.len, lens[i]);
		assert_memory_equal(it.value, v, lens[i]);
	}
	free(v);
	free(buf);
}

static void begin_end_keeps_one_length_byte_for_short_content(void **state)
{
	uint8_t buf[16];
	const uint8_t want[] = {0x7C, 0x04, 0x82, 0x00, 0x81, 0x00};
	tlv_writer w;
	size_t m;

	(void)state;
	tlv_writer_init(&w, buf, sizeof(buf));
	m = tlv_begin(&w, 0x7C);
	tlv_put(&w, 0x82, NULL, 0);
	tlv_put(&w, 0x81, NULL, 0);
	tlv_end(&w, m);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* 53 { 70 { n bytes } 71 01 00 FE 00 }, the PIV certificate container. */
static void write_container(tlv_writer *w, const uint8_t *cert, size_t n)
{
	size_t outer, inner;

	outer = tlv_begin(w, 0x53);
	inner = tlv_begin(w, 0x70);
	tlv_put_raw(w, cert, n);
	tlv_end(w, inner);
	tlv_put_u8(w, 0x71, 0x00);
	tlv_put(w, 0xFE, NULL, 0);
	tlv_end(w, outer);
}

static void check_container(const uint8_t *buf, size_t len, const uint8_t *cert, size_t n)
{
	tlv_item outer, it;

	assert_int_equal(tlv_parse(buf, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, 0x53);
	assert_int_equal(outer.header_len + outer.len, len);
	assert_int_equal(tlv_find(outer.value, outer.len, 0x70, &it), TLV_OK);
	assert_int_equal(it.len, n);
	assert_memory_equal(it.value, cert, n);
	assert_int_equal(tlv_find(outer.value, outer.len, 0x71, &it), TLV_OK);
	assert_int_equal(it.len, 1);
	assert_int_equal(tlv_find(outer.value, outer.len, 0xFE, &it), TLV_OK);
	assert_int_equal(it.len, 0);
}

static void nested_begin_end_moves_contents_for_long_lengths(void **state)
{
	/* outer content is n + len_size(n) + 6: 127/128, 255/256, 65535/65536 at these n */
	static const size_t sizes[] = {120, 121, 200, 247, 248, 300, 65526, 65527, 70000};
	uint8_t *cert = malloc(70000), *buf = malloc(70100);
	tlv_writer w;
	size_t i, k;

	(void)state;
	assert_non_null(cert);
	assert_non_null(buf);
	for (k = 0; k < 70000; k++)
		cert[k] = (uint8_t)(k * 13 + 1);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		size_t content = n + tlv_len_size(n) + 6;
		size_t want = 1 + tlv_len_size(content) + content;

		tlv_writer_init(&w, buf, 70100);
		write_container(&w, cert, n);
		assert_int_equal(tlv_writer_status(&w), TLV_OK);
		assert_int_equal(w.len, want);
		check_container(buf, w.len, cert, n);
	}
	free(cert);
	free(buf);
}

/* For every capacity short of the need, the writer reports overflow and leaves the byte
 * just past cap alone; at the exact need it succeeds. */
static void writer_never_writes_past_cap(void **state)
{
	uint8_t cert[300], buf[400];
	tlv_writer w;
	size_t need, cap;

	(void)state;
	memset(cert, 0x77, sizeof(cert));
	tlv_writer_init(&w, buf, sizeof(buf));
	write_container(&w, cert, sizeof(cert));
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	need = w.len;
	for (cap = 0; cap <= need; cap++) {
		memset(buf, 0xEE, sizeof(buf));
		tlv_writer_init(&w, buf, cap);
		write_container(&w, cert, sizeof(cert));
		assert_int_equal(buf[cap], 0xEE);
		assert_true(w.len <= cap);
		assert_int_equal(tlv_writer_status(&w), cap == need ? TLV_OK : TLV_ERR_BUFFER);
	}
	check_container(buf, need, cert, sizeof(cert));
}

static void writer_overflow_is_sticky(void **state)
{
	uint8_t buf[4], big[8] = {0};
	tlv_writer w;
	size_t len;

	(void)state;
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0x53, big, sizeof(big));
	assert_int_equal(tlv_writer_status(&w), TLV_ERR_BUFFER);
	len = w.len;
	tlv_put(&w, 0x53, NULL, 0);
	tlv_put_raw(&w, big, 1);
	assert_int_equal(w.len, len);
	assert_int_equal(tlv_writer_status(&w), TLV_ERR_BUFFER);
}

static void writer_refuses_mark_it_did_not_hand_out(void **state)
{
	uint8_t buf[8];
	tlv_writer w;

	(void)state;
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0x53, NULL, 0);
	tlv_end(&w, 5);
	assert_int_equal(tlv_writer_status(&w), TLV_ERR_BUFFER);
}

/* One row of a table-driven test, named by the behaviour the row pins. */
#define TLV_ROW(name, t, row)              \
	{                                  \
#name, t, NULL, NULL, &row \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_one_byte_tag_short_length),
		cmocka_unit_test(parse_multi_byte_tags_as_big_endian_integers),
		TLV_ROW(parse_refuses_tag_longer_than_four_bytes, parse_refuses_the_row,
	                tag_longer_than_four_bytes),
		TLV_ROW(parse_refuses_truncated_tag, parse_refuses_the_row, truncated_tag),
		TLV_ROW(parse_refuses_tag_with_leading_zero_group, parse_refuses_the_row,
	                tag_with_leading_zero_group),
		cmocka_unit_test(parse_long_form_lengths_81_82_83),
		cmocka_unit_test(parse_accepts_non_minimal_long_length),
		cmocka_unit_test(parse_refuses_indefinite_and_oversized_length_forms),
		TLV_ROW(parse_refuses_truncated_length_bytes, parse_refuses_the_row,
	                truncated_length_bytes),
		cmocka_unit_test(parse_refuses_value_past_buffer_and_accepts_exact_fit),
		cmocka_unit_test(parse_refuses_empty_input),
		cmocka_unit_test(iter_walks_level_then_ends),
		cmocka_unit_test(iter_on_empty_buffer_ends_at_once),
		cmocka_unit_test(iter_error_is_sticky),
		cmocka_unit_test(iter_does_not_skip_padding),
		cmocka_unit_test(find_returns_first_match_at_this_level),
		cmocka_unit_test(find_prefers_first_of_repeated_tags),
		cmocka_unit_test(find_fails_when_a_later_tlv_is_malformed),
		cmocka_unit_test(tag_size_counts_significant_bytes),
		cmocka_unit_test(len_size_follows_minimal_forms),
		cmocka_unit_test(tag_bytes_are_the_significant_bytes_big_endian),
		cmocka_unit_test(put_writes_tag_bytes_and_minimal_length),
		cmocka_unit_test(put_uses_81_82_83_forms_at_boundaries),
		cmocka_unit_test(begin_end_keeps_one_length_byte_for_short_content),
		cmocka_unit_test(nested_begin_end_moves_contents_for_long_lengths),
		cmocka_unit_test(writer_never_writes_past_cap),
		cmocka_unit_test(writer_overflow_is_sticky),
		cmocka_unit_test(writer_refuses_mark_it_did_not_hand_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
