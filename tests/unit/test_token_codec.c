/* Unit tests of the token state file encoding: round trip, and strict refusal of every
 * corruption (flipped bytes, truncation, and semantic defects behind a valid hash). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "piv.h"
#include "tlv.h"
#include "token_attest.h"
#include "token_state.h"
#include "token_test_util.h"

#define MAGIC_LEN 8u

static const uint8_t STATE_MAGIC[MAGIC_LEN] = {'K', 'I', 'N', 'K', 'O', 'S', 'T', 0x04};

typedef struct {
	uint8_t *buf;
	size_t len;
} blob;

static blob encode(const tok_state *st)
{
	blob b = {NULL, 0};

	assert_int_equal(tok_state_encode(st, &b.buf, &b.len), 0);
	assert_non_null(b.buf);
	return b;
}

static void blob_free(blob *b)
{
	tok_state_buffer_free(b->buf, b->len);
	b->buf = NULL;
	b->len = 0;
}

/* Recompute the trailing SHA-256, as a forger (or a buggy writer) would. */
static void reseal(blob *b)
{
	assert_true(
		EVP_Digest(b->buf, b->len - 32, b->buf + b->len - 32, NULL, EVP_sha256(), NULL));
}

/* The body's top-level TLVs re-assembled: all but the first with tag `skip` (0 = none),
 * then `extra`, then a valid hash. */
static blob rebuild(const blob *in, uint32_t skip, const uint8_t *extra, size_t extra_len)
{
	blob out;
	tlv_iter it;
	tlv_item item;
	bool skipped = false;

	out.buf = malloc(in->len + extra_len);
	assert_non_null(out.buf);
	memcpy(out.buf, in->buf, MAGIC_LEN);
	out.len = MAGIC_LEN;
	tlv_iter_init(&it, in->buf + MAGIC_LEN, in->len - MAGIC_LEN - 32);
	while (tlv_iter_next(&it, &item) == TLV_OK) {
		size_t whole = item.header_len + item.len;

		if (!skipped && item.tag == skip) {
			skipped = true;
			continue;
		}
		memcpy(out.buf + out.len, item.value - item.header_len, whole);
		out.len += whole;
	}
	if (extra_len > 0)
		memcpy(out.buf + out.len, extra, extra_len);
	out.len += extra_len + 32;
	reseal(&out);
	return out;
}

/* Writable pointer to the value of field `inner` in the first top-level `outer`. */
static uint8_t *field(blob *b, uint32_t outer, uint32_t inner, size_t *len)
{
	tlv_item o, i;
	const uint8_t *body = b->buf + MAGIC_LEN;

	assert_int_equal(tlv_find(body, b->len - MAGIC_LEN - 32, outer, &o), TLV_OK);
	if (inner == 0) {
		*len = o.len;
		return b->buf + (o.value - b->buf);
	}
	assert_int_equal(tlv_find(o.value, o.len, inner, &i), TLV_OK);
	*len = i.len;
	return b->buf + (i.value - b->buf);
}

static void assert_decode_refused(const blob *b)
{
	tok_state st;

	memset(&st, 0xA5, sizeof(st));
	assert_int_equal(tok_state_decode(&st, b->buf, b->len), -EBADMSG);
	assert_state_empty(&st);
}

/* ---- encoding ---- */

static void encode_decode_round_trip_keeps_everything(void **state)
{
	tok_state a, b;
	blob e;
	size_t i;

	(void)state;
	populated_state(&a);
	a.change_counter = 0xFEDCBA98u;
	a.profile = TOK_PROFILE_YUBIKEY;
	e = encode(&a);
	assert_memory_equal(e.buf, STATE_MAGIC, MAGIC_LEN);
	assert_int_equal(tok_state_decode(&b, e.buf, e.len), 0);

	assert_int_equal(b.serial, a.serial);
	assert_int_equal(b.change_counter, 0xFEDCBA98u);
	assert_int_equal(b.profile, TOK_PROFILE_YUBIKEY);
	assert_memory_equal(b.version, a.version, 3);
	assert_memory_equal(b.guid, a.guid, 16);
	assert_memory_equal(&b.pin, &a.pin, sizeof(a.pin));
	assert_memory_equal(&b.puk, &a.puk, sizeof(a.puk));
	assert_true(b.pin_must_change);
	assert_int_equal(b.mgmt_alg, a.mgmt_alg);
	assert_int_equal(b.mgmt_key_len, a.mgmt_key_len);
	assert_memory_equal(b.mgmt_key, a.mgmt_key, a.mgmt_key_len);
	assert_int_equal(b.mgmt_is_default, a.mgmt_is_default);
	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		assert_int_equal(b.keys[i].alg, a.keys[i].alg);
		assert_int_equal(b.keys[i].origin, a.keys[i].origin);
		assert_int_equal(b.keys[i].pin_policy, a.keys[i].pin_policy);
		assert_int_equal(b.keys[i].touch_policy, a.keys[i].touch_policy);
		assert_int_equal(b.keys[i].priv_len, a.keys[i].priv_len);
		if (a.keys[i].priv_len > 0)
			assert_memory_equal(b.keys[i].priv_der, a.keys[i].priv_der,
			                    a.keys[i].priv_len);
	}
	assert_int_equal(b.n_objects, a.n_objects);
	for (i = 0; i < a.n_objects; i++) {
		assert_int_equal(b.objects[i].tag, a.objects[i].tag);
		assert_int_equal(b.objects[i].len, a.objects[i].len);
		assert_memory_equal(b.objects[i].value, a.objects[i].value, a.objects[i].len);
	}
	assert_true(secret_is(&b.pin, "123456"));
	blob_free(&e);
	tok_state_free(&a);
	tok_state_free(&b);
}

static void decode_refuses_every_flipped_byte(void **state)
{
	static const uint8_t flips[] = {0x01, 0x80, 0xFF};
	tok_state st;
	blob e;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	for (size_t i = 0; i < e.len; i++) {
		for (size_t f = 0; f < sizeof(flips); f++) {
			e.buf[i] ^= flips[f];
			assert_decode_refused(&e);
			e.buf[i] ^= flips[f];
		}
	}
	blob_free(&e);
	tok_state_free(&st);
}

static void decode_refuses_every_truncation(void **state)
{
	tok_state st;
	blob e, t;

	(void)state;
	populated_state(&st);
	e = encode(&st);
	for (size_t n = 0; n < e.len; n++) {
		/* a fresh allocation of exactly n bytes, so ASan sees any over-read */
		t.buf = malloc(n > 0 ? n : 1);
		assert_non_null(t.buf);
		memcpy(t.buf, e.buf, n);
		t.len = n;
		assert_decode_refused(&t);
		free(t.buf);
	}
	blob_free(&e);
	tok_state_free(&st);
}

/* The semantic checks, behind a valid hash. */
static void decode_refuses_wrong_version_magic(void **state)
{
	tok_state st;
	blob e;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	/* format 1 had no change counter; 5 is not written yet */
	e.buf[7] = 0x01;
	reseal(&e);
	assert_decode_refused(&e);
	e.buf[7] = 0x05;
	reseal(&e);
	assert_decode_refused(&e);
	blob_free(&e);
	tok_state_free(&st);
}

/* file, marked as format `format`, decodes to st's token of `profile`, without an
 * attestation key. */
static void assert_old_format_loads(const tok_state *st, blob *file, uint8_t format,
                                    uint8_t profile)
{
	tok_state old;

	file->buf[7] = format;
	reseal(file);
	memset(&old, 0xA5, sizeof(old));
	assert_int_equal(tok_state_decode(&old, file->buf, file->len), 0);
	assert_int_equal(old.profile, profile);
	assert_int_equal(old.attest.alg, 0);
	assert_int_equal(old.serial, st->serial);
	assert_int_equal(old.n_objects, st->n_objects);
	assert_memory_equal(&old.pin, &st->pin, sizeof(st->pin));
	tok_state_free(&old);
}

/* A state file written before profiles (format 2, no 85) is a kinko token, kept whole. */
static void state_written_before_profiles_loads_as_kinko(void **state)
{
	tok_state st;
	blob e, v2;

	(void)state;
	populated_state(&st);
	st.profile = TOK_PROFILE_PIV;
	e = encode(&st);
	v2 = rebuild(&e, 0x85, NULL, 0);
	assert_old_format_loads(&st, &v2, 0x02, TOK_PROFILE_KINKO);
	blob_free(&v2);
	blob_free(&e);
	tok_state_free(&st);
}

/* Format 2 never had a profile: one in such a file is a forgery or corruption. */
static void format_2_with_a_profile_is_refused(void **state)
{
	tok_state st;
	blob e;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	e.buf[7] = 0x02;
	reseal(&e);
	assert_decode_refused(&e);
	blob_free(&e);
	tok_state_free(&st);
}

/* A token with an attestation key from a fresh manufacturer CA. */
static void attested_state(tok_state *st)
{
	X509 *ca;
	EVP_PKEY *key;

	populated_state(st);
	assert_int_equal(tok_attest_ca_make(&ca, &key), 0);
	assert_int_equal(tok_attest_provision(st, ca, key), 0);
	X509_free(ca);
	EVP_PKEY_free(key);
}

static void attestation_key_round_trips(void **state)
{
	tok_state st, back;
	blob e;

	(void)state;
	attested_state(&st);
	e = encode(&st);
	assert_int_equal(tok_state_decode(&back, e.buf, e.len), 0);
	assert_int_equal(back.attest.alg, TOK_ATTEST_ALG);
	assert_int_equal(back.attest.origin, PIV_ORIGIN_GENERATED);
	assert_int_equal(back.attest.priv_len, st.attest.priv_len);
	assert_memory_equal(back.attest.priv_der, st.attest.priv_der, st.attest.priv_len);
	assert_non_null(tok_object_get(&back, PIV_TAG_ATTESTATION));
	tok_state_free(&back);
	blob_free(&e);
	tok_state_free(&st);
}

/* A state file written before attestation (format 3, no A9) loads whole, without F9. */
static void state_written_before_attestation_loads_without_it(void **state)
{
	tok_state st;
	blob e;

	(void)state;
	populated_state(&st);
	st.profile = TOK_PROFILE_YUBIKEY;
	e = encode(&st);
	assert_old_format_loads(&st, &e, 0x03, TOK_PROFILE_YUBIKEY);
	blob_free(&e);
	tok_state_free(&st);
}

/* Format 3 never had an attestation key; and format 4 has at most one, generated. */
static void misplaced_attestation_keys_are_refused(void **state)
{
	tok_state st;
	blob e, twice;
	tlv_item a9;

	(void)state;
	attested_state(&st);
	e = encode(&st);
	assert_int_equal(tlv_find(e.buf + MAGIC_LEN, e.len - MAGIC_LEN - 32, 0xA9, &a9), TLV_OK);
	twice = rebuild(&e, 0, a9.value - a9.header_len, a9.header_len + a9.len);
	assert_decode_refused(&twice);
	e.buf[7] = 0x03;
	reseal(&e);
	assert_decode_refused(&e);
	blob_free(&twice);
	blob_free(&e);
	tok_state_free(&st);
}

static void decode_refuses_out_of_range_values(void **state)
{
	static const struct {
		uint32_t outer, inner;
		uint8_t value;
	} cases[] = {
		{0xA4, 0x82, 4},    /* PIN tries_left > tries_max (3) */
		{0xA4, 0x83, 0},    /* PIN tries_max 0 */
		{0xA5, 0x83, 16},   /* PUK tries_max 16 */
		{0xA4, 0x84, 2},    /* is_default not a boolean */
		{0x83, 0, 2},       /* pin_must_change not a boolean */
		{0x85, 0, 3},       /* no such profile */
		{0xA6, 0x80, 0x08}, /* mgmt alg AES-128 with a 24-byte key */
		{0xA6, 0x80, 0x07}, /* mgmt alg not a block cipher */
		{0xA7, 0x80, 0x9B}, /* key in a non-slot reference */
		{0xA7, 0x81, 0x99}, /* unknown key algorithm */
		{0xA7, 0x81, 0x00}, /* empty algorithm */
		{0xA7, 0x82, 0x03}, /* unknown origin */
		{0xA7, 0x83, 0x00}, /* pin policy DEFAULT stored */
		{0xA7, 0x83, 0x04}, /* pin policy out of range */
		{0xA7, 0x84, 0x04}, /* touch policy out of range */
	};
	tok_state st;

	(void)state;
	populated_state(&st);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		blob e = encode(&st);
		size_t len;
		uint8_t *v = field(&e, cases[c].outer, cases[c].inner, &len);

		assert_int_equal(len, 1);
		*v = cases[c].value;
		reseal(&e);
		assert_decode_refused(&e);
		blob_free(&e);
	}
	tok_state_free(&st);
}

static void decode_refuses_object_tag_not_allowed(void **state)
{
	tok_state st;
	blob e;
	size_t len;
	uint8_t *v;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	v = field(&e, 0xA8, 0x80, &len);
	assert_int_equal(len, 4);
	memcpy(v, "\x00\x5F\xC1\x24", 4);
	reseal(&e);
	assert_decode_refused(&e);
	blob_free(&e);
	tok_state_free(&st);
}

static void decode_refuses_missing_mandatory_fields(void **state)
{
	static const uint32_t tags[] = {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xA4, 0xA5, 0xA6};
	tok_state st, ok;
	blob e, r;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	/* the rebuild itself is faithful: nothing removed decodes */
	r = rebuild(&e, 0, NULL, 0);
	assert_int_equal(tok_state_decode(&ok, r.buf, r.len), 0);
	tok_state_free(&ok);
	blob_free(&r);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		r = rebuild(&e, tags[i], NULL, 0);
		assert_int_not_equal(r.len, e.len);
		assert_decode_refused(&r);
		blob_free(&r);
	}
	blob_free(&e);
	tok_state_free(&st);
}

static void decode_refuses_duplicates_unknown_and_missing_inner_fields(void **state)
{
	static const uint8_t dup_serial[] = {0x80, 0x04, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t unknown[] = {0x89, 0x01, 0x00};
	static const uint8_t dup_object[] = {0xA8, 0x0B, 0x80, 0x04, 0x00, 0x00, 0x00,
	                                     0x7E, 0x81, 0x03, 0x4F, 0x01, 0x00};
	static const uint8_t key_missing_der[] = {0xA7, 0x0F, 0x80, 0x01, 0x9C, 0x81,
	                                          0x01, 0x11, 0x82, 0x01, 0x01, 0x83,
	                                          0x01, 0x01, 0x84, 0x01, 0x01};
	static const uint8_t key_empty_der[] = {0xA7, 0x11, 0x80, 0x01, 0x9C, 0x81, 0x01,
	                                        0x11, 0x82, 0x01, 0x01, 0x83, 0x01, 0x01,
	                                        0x84, 0x01, 0x01, 0x85, 0x00};
	static const uint8_t key_dup_slot[] = {0xA7, 0x12, 0x80, 0x01, 0x9A, 0x81, 0x01,
	                                       0x11, 0x82, 0x01, 0x01, 0x83, 0x01, 0x01,
	                                       0x84, 0x01, 0x01, 0x85, 0x01, 0x30};
	static const uint8_t key_extra_field[] = {0xA7, 0x15, 0x80, 0x01, 0x9C, 0x81, 0x01, 0x11,
	                                          0x82, 0x01, 0x01, 0x83, 0x01, 0x01, 0x84, 0x01,
	                                          0x01, 0x85, 0x01, 0x30, 0x86, 0x01, 0x00};
	static const uint8_t object_empty[] = {0xA8, 0x08, 0x80, 0x04, 0x00,
	                                       0x5F, 0xC1, 0x05, 0x81, 0x00};
	static const uint8_t good_key[] = {0xA7, 0x12, 0x80, 0x01, 0x9C, 0x81, 0x01,
	                                   0x11, 0x82, 0x01, 0x01, 0x83, 0x01, 0x03,
	                                   0x84, 0x01, 0x01, 0x85, 0x01, 0x30};
	static const struct {
		const uint8_t *b;
		size_t n;
	} bad[] = {
		{dup_serial, sizeof(dup_serial)},
		{unknown, sizeof(unknown)},
		{dup_object, sizeof(dup_object)},
		{key_missing_der, sizeof(key_missing_der)},
		{key_empty_der, sizeof(key_empty_der)},
		{key_dup_slot, sizeof(key_dup_slot)},
		{key_extra_field, sizeof(key_extra_field)},
		{object_empty, sizeof(object_empty)},
		{(const uint8_t *)"\xA7", 1}, /* malformed trailing TLV */
	};
	tok_state st, ok;
	blob e, r;

	(void)state;
	populated_state(&st);
	e = encode(&st);
	/* the hand-written key template is right: only the defects above are refused */
	r = rebuild(&e, 0, good_key, sizeof(good_key));
	assert_int_equal(tok_state_decode(&ok, r.buf, r.len), 0);
	assert_int_equal(ok.keys[piv_key_slot_index(PIV_KEY_SIGN)].alg, PIV_ALG_ECCP256);
	assert_int_equal(ok.keys[piv_key_slot_index(PIV_KEY_SIGN)].pin_policy,
	                 PIV_PIN_POLICY_ALWAYS);
	tok_state_free(&ok);
	blob_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = rebuild(&e, 0, bad[i].b, bad[i].n);
		assert_decode_refused(&r);
		blob_free(&r);
	}
	blob_free(&e);
	tok_state_free(&st);
}

static void change_counter_is_four_bytes_once(void **state)
{
	static const uint8_t short_counter[] = {0x84, 0x03, 0x00, 0x00, 0x07};
	static const uint8_t long_counter[] = {0x84, 0x05, 0x00, 0x00, 0x00, 0x00, 0x07};
	static const uint8_t good_counter[] = {0x84, 0x04, 0x00, 0x00, 0x01, 0x07};
	tok_state st, ok;
	blob e, r;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	r = rebuild(&e, 0x84, good_counter, sizeof(good_counter));
	assert_int_equal(tok_state_decode(&ok, r.buf, r.len), 0);
	assert_int_equal(ok.change_counter, 0x107);
	tok_state_free(&ok);
	blob_free(&r);
	r = rebuild(&e, 0x84, short_counter, sizeof(short_counter));
	assert_decode_refused(&r);
	blob_free(&r);
	r = rebuild(&e, 0x84, long_counter, sizeof(long_counter));
	assert_decode_refused(&r);
	blob_free(&r);
	/* a second counter beside the first */
	r = rebuild(&e, 0, good_counter, sizeof(good_counter));
	assert_decode_refused(&r);
	blob_free(&r);
	blob_free(&e);
	tok_state_free(&st);
}

static void decode_refuses_too_many_and_too_big_objects(void **state)
{
	uint8_t extra[TOK_MAX_OBJECT + 32];
	tok_state st, ok;
	tlv_writer w;
	size_t mark, i;
	uint8_t tag[4], v = 1;
	blob e, r;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	for (i = 0; st.n_objects < TOK_MAX_OBJECTS; i++)
		assert_int_equal(tok_object_put(&st, nth_tag(i), &v, 1), 0);
	e = encode(&st);
	assert_int_equal(tok_state_decode(&ok, e.buf, e.len), 0);
	assert_int_equal(ok.n_objects, TOK_MAX_OBJECTS);
	tok_state_free(&ok);

	/* one object more than a token holds */
	tag[0] = 0;
	tag[1] = (uint8_t)(nth_tag(i) >> 16);
	tag[2] = (uint8_t)(nth_tag(i) >> 8);
	tag[3] = (uint8_t)nth_tag(i);
	tlv_writer_init(&w, extra, sizeof(extra));
	mark = tlv_begin(&w, 0xA8);
	tlv_put(&w, 0x80, tag, 4);
	tlv_put(&w, 0x81, &v, 1);
	tlv_end(&w, mark);
	r = rebuild(&e, 0, extra, w.len);
	assert_decode_refused(&r);
	blob_free(&r);
	blob_free(&e);
	tok_state_free(&st);

	/* one byte over the largest object */
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	e = encode(&st);
	memset(extra, 0, sizeof(extra));
	tlv_writer_init(&w, extra, sizeof(extra));
	mark = tlv_begin(&w, 0xA8);
	tlv_put(&w, 0x80, (const uint8_t *)"\x00\x5F\xC1\x05", 4);
	tlv_put(&w, 0x81, extra + 16, TOK_MAX_OBJECT + 1);
	tlv_end(&w, mark);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	r = rebuild(&e, 0, extra, w.len);
	assert_decode_refused(&r);
	blob_free(&r);
	blob_free(&e);
	tok_state_free(&st);
}

static void encode_refuses_state_that_would_not_load(void **state)
{
	tok_state st;
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 7;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	st.pin.tries_left = 4;
	assert_int_equal(tok_state_encode(&st, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(len, 0);
	st.pin.tries_left = 3;
	tok_key_set(&st.keys[0], PIV_ALG_ECCP256, PIV_ORIGIN_GENERATED, PIV_PIN_POLICY_DEFAULT,
	            dup_bytes(1, 10), 10);
	assert_int_equal(tok_state_encode(&st, &buf, &len), -EINVAL);
	tok_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_decode_round_trip_keeps_everything),
		cmocka_unit_test(decode_refuses_every_flipped_byte),
		cmocka_unit_test(decode_refuses_every_truncation),
		cmocka_unit_test(decode_refuses_wrong_version_magic),
		cmocka_unit_test(state_written_before_profiles_loads_as_kinko),
		cmocka_unit_test(format_2_with_a_profile_is_refused),
		cmocka_unit_test(attestation_key_round_trips),
		cmocka_unit_test(state_written_before_attestation_loads_without_it),
		cmocka_unit_test(misplaced_attestation_keys_are_refused),
		cmocka_unit_test(decode_refuses_out_of_range_values),
		cmocka_unit_test(decode_refuses_object_tag_not_allowed),
		cmocka_unit_test(decode_refuses_missing_mandatory_fields),
		cmocka_unit_test(decode_refuses_duplicates_unknown_and_missing_inner_fields),
		cmocka_unit_test(change_counter_is_four_bytes_once),
		cmocka_unit_test(decode_refuses_too_many_and_too_big_objects),
		cmocka_unit_test(encode_refuses_state_that_would_not_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
