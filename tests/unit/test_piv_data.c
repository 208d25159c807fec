/* GET DATA and PUT DATA: every standard object, the access rules, and the error paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "piv.h"
#include "tlv.h"
#include "piv_test_util.h"

/* Build `5C len tag` for a 1..3 byte tag. */
static size_t tag_list(uint32_t tag, uint8_t *out)
{
	size_t n = tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1, i;

	out[0] = PIV_TLV_TAG_LIST;
	out[1] = (uint8_t)n;
	for (i = 0; i < n; i++)
		out[2 + i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
	return 2 + n;
}

static uint16_t get_data(piv_fixture *f, uint32_t tag)
{
	uint8_t list[5];
	size_t n = tag_list(tag, list);

	return piv_send_all(f, PIV_INS_GET_DATA, 0x3F, 0xFF, list, n, false);
}

/* PUT DATA `5C tag` + `wrapper len value`, sent whole through transceive (chained). */
static uint16_t put_data(piv_fixture *f, uint32_t tag, uint32_t wrapper, const uint8_t *value,
                         size_t len)
{
	size_t cap = len + 16;
	uint8_t *buf = malloc(cap);
	tlv_writer w;
	uint16_t sw;

	assert_non_null(buf);
	tlv_writer_init(&w, buf, cap);
	w.len = tag_list(tag, buf);
	tlv_put(&w, wrapper, value, len);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	sw = piv_send_all(f, PIV_INS_PUT_DATA, 0x3F, 0xFF, buf, w.len, false);
	free(buf);
	return sw;
}

static uint8_t *pattern(size_t n, uint8_t seed)
{
	uint8_t *v = malloc(n > 0 ? n : 1);
	size_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = (uint8_t)(seed + i * 13);
	return v;
}

/* The last answer is exactly `wrapper len value`. */
static void assert_wrapped(const piv_fixture *f, uint32_t wrapper, const uint8_t *value, size_t len)
{
	tlv_item item;

	assert_int_equal(tlv_parse(f->resp, f->resp_len, &item), TLV_OK);
	assert_int_equal(item.tag, wrapper);
	assert_int_equal(item.header_len + item.len, f->resp_len);
	assert_int_equal(item.len, len);
	if (len > 0)
		assert_memory_equal(item.value, value, len);
}

/* ---- GET DATA ---- */

static void get_data_of_provisioned_objects(void **state)
{
	piv_fixture *f = *state;
	tlv_item item, guid;

	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_OK);
	assert_int_equal(tlv_parse(f->resp, f->resp_len, &item), TLV_OK);
	assert_int_equal(item.tag, PIV_TLV_DATA);
	assert_int_equal(tlv_find(item.value, item.len, 0x34, &guid), TLV_OK);
	assert_int_equal(guid.len, 16);
	assert_memory_equal(guid.value, f->st.guid, 16);

	assert_int_equal(get_data(f, PIV_TAG_CCC), SW_OK);
	assert_int_equal(f->resp[0], PIV_TLV_DATA);

	/* Discovery comes in its own 7E wrapper, holding the PIV AID. */
	assert_int_equal(get_data(f, PIV_TAG_DISCOVERY), SW_OK);
	assert_int_equal(tlv_parse(f->resp, f->resp_len, &item), TLV_OK);
	assert_int_equal(item.tag, PIV_TAG_DISCOVERY);
	assert_int_equal(tlv_find(item.value, item.len, 0x4F, &guid), TLV_OK);
	assert_int_equal(guid.len, sizeof(PIV_AID));
	assert_memory_equal(guid.value, PIV_AID, sizeof(PIV_AID));
}

static void get_data_of_every_standard_object_returns_what_is_stored(void **state)
{
	piv_fixture *f = *state;
	uint32_t tags[4 + 24];
	size_t n = 0, i;
	unsigned k;

	tags[n++] = PIV_TAG_KEY_HISTORY;
	tags[n++] = PIV_TAG_PRINTED;
	tags[n++] = PIV_TAG_SECURITY;
	tags[n++] = PIV_TAG_ADMIN_DATA;
	for (k = 0; k < PIV_KEY_SLOTS; k++)
		tags[n++] = piv_cert_tag(piv_key_slot_ref(k));
	assert_int_equal(tags[4], PIV_TAG_CERT_9A);
	assert_int_equal(tags[n - 1], PIV_TAG_CERT_95);

	piv_test_verify_pin(f, TOK_DEFAULT_PIN); /* Printed is PIN-protected */
	for (i = 0; i < n; i++) {
		uint8_t *v = pattern(40 + i, (uint8_t)i);

		assert_int_equal(get_data(f, tags[i]), SW_FILE_NOT_FOUND);
		assert_int_equal(tok_object_put(&f->st, tags[i], v, 40 + i), 0);
		assert_int_equal(get_data(f, tags[i]), SW_OK);
		assert_wrapped(f, PIV_TLV_DATA, v, 40 + i);
		free(v);
	}
}

static void get_data_of_absent_object_is_6a82(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(get_data(f, PIV_TAG_CERT_9A), SW_FILE_NOT_FOUND);
	assert_int_equal(f->resp_len, 0);
	assert_int_equal(get_data(f, PIV_TAG_SECURITY), SW_FILE_NOT_FOUND);
}

static void get_data_of_unknown_tag_is_6a80(void **state)
{
	piv_fixture *f = *state;
	static const uint32_t bad[] = {0x5FC100u, 0x5FC124u, 0x5FFF16u, 0x7Du, 0x5F01u, 0x7F60u};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(get_data(f, bad[i]), SW_WRONG_DATA);
}

static void get_data_with_malformed_tag_list_is_6a80(void **state)
{
	piv_fixture *f = *state;
	static const char *const bad[] = {
		"00CB3FFF 00",                 /* no data (case 2) */
		"00CB3FFF 03 5D017E 00",       /* not a tag list */
		"00CB3FFF 04 5C027E00 00",     /* 7E is a one-byte tag */
		"00CB3FFF 04 5C02007E 00",     /* leading zero byte */
		"00CB3FFF 06 5C045FC10500 00", /* four-byte tag */
		"00CB3FFF 02 5C00 00",         /* empty list */
		"00CB3FFF 05 5C017E 5300 00",  /* trailing TLV */
		"00CB3FFF 03 5C027E 00",       /* list longer than the data */
		"00CB3FFF 04 5C035FC1 00",     /* truncated tag */
		NULL,
	};

	piv_test_each_answers(f, SW_WRONG_DATA, bad);
}

static void get_data_with_bad_p1_p2_is_6a86(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2, "00CB3FFE 03 5C017E 00", "00CB0000 03 5C017E 00");
}

static void printed_object_needs_the_pin(void **state)
{
	piv_fixture *f = *state;
	tok_provision_opts opts = {.pin_protected_mgmt = true};
	tlv_item item, mgmt, key;

	/* Re-provision with a PIN-protected management key kept in Printed. */
	piv_fixture_teardown(state);
	assert_int_equal(piv_fixture_setup_with(state, &opts, true), 0);
	f = *state;

	assert_int_equal(get_data(f, PIV_TAG_PRINTED), SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(f->resp_len, 0);
	assert_int_equal(get_data(f, PIV_TAG_ADMIN_DATA), SW_OK); /* free to read */

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(get_data(f, PIV_TAG_PRINTED), SW_OK);
	assert_int_equal(tlv_parse(f->resp, f->resp_len, &item), TLV_OK);
	assert_int_equal(tlv_find(item.value, item.len, PIV_TLV_PRINTED_MGMT, &mgmt), TLV_OK);
	assert_int_equal(tlv_find(mgmt.value, mgmt.len, PIV_TLV_PRINTED_MGMTKEY, &key), TLV_OK);
	assert_int_equal(key.len, f->st.mgmt_key_len);
	assert_memory_equal(key.value, f->st.mgmt_key, key.len);

	/* Selecting again forgets the PIN. */
	assert_int_equal(piv_tx(f, "00A40400 09 A00000030800001000"), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_PRINTED), SW_SECURITY_NOT_SATISFIED);
}

/* ---- PUT DATA ---- */

static void put_data_needs_the_management_key(void **state)
{
	piv_fixture *f = *state;
	static const uint8_t v[] = {0x01, 0x02};

	assert_int_equal(put_data(f, PIV_TAG_CERT_9A, PIV_TLV_DATA, v, sizeof(v)),
	                 SW_SECURITY_NOT_SATISFIED);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN); /* the PIN is not enough */
	assert_int_equal(put_data(f, PIV_TAG_CERT_9A, PIV_TLV_DATA, v, sizeof(v)),
	                 SW_SECURITY_NOT_SATISFIED);
	assert_null(tok_object_get(&f->st, PIV_TAG_CERT_9A));
}

static void put_data_round_trips_a_certificate(void **state)
{
	piv_fixture *f = *state;
	uint8_t *cert = pattern(1500, 7);
	uint8_t *container = malloc(1520);
	tlv_writer w;

	assert_non_null(container);
	tlv_writer_init(&w, container, 1520);
	tlv_put(&w, PIV_TLV_CERT, cert, 1500);
	tlv_put_u8(&w, PIV_TLV_CERTINFO, 0x00);
	tlv_put(&w, PIV_TLV_LRC, NULL, 0);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);

	piv_test_auth_default_mgmt(f);
	assert_int_equal(put_data(f, PIV_TAG_CERT_9C, PIV_TLV_DATA, container, w.len), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_CERT_9C), SW_OK);
	assert_wrapped(f, PIV_TLV_DATA, container, w.len);
	/* Replacing keeps one object. */
	assert_int_equal(put_data(f, PIV_TAG_CERT_9C, PIV_TLV_DATA, cert, 10), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_CERT_9C), SW_OK);
	assert_wrapped(f, PIV_TLV_DATA, cert, 10);
	free(cert);
	free(container);
}

static void put_data_of_discovery_uses_its_7e_wrapper(void **state)
{
	piv_fixture *f = *state;
	static const uint8_t v[] = {0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
	                            0x10, 0x00, 0x01, 0x00, 0x5F, 0x2F, 0x02, 0x60, 0x10};

	piv_test_auth_default_mgmt(f);
	assert_int_equal(put_data(f, PIV_TAG_DISCOVERY, PIV_TLV_DATA, v, sizeof(v)), SW_WRONG_DATA);
	assert_int_equal(put_data(f, PIV_TAG_CHUID, PIV_TAG_DISCOVERY, v, sizeof(v)),
	                 SW_WRONG_DATA);
	assert_int_equal(put_data(f, PIV_TAG_DISCOVERY, PIV_TAG_DISCOVERY, v, sizeof(v)), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_DISCOVERY), SW_OK);
	assert_wrapped(f, PIV_TAG_DISCOVERY, v, sizeof(v));
}

static void put_data_with_empty_value_deletes(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_OK);
	assert_int_equal(piv_tx(f, "00DB3FFF 07 5C035FC102 5300"), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_FILE_NOT_FOUND);
	/* Deleting what is not there is not an error. */
	assert_int_equal(piv_tx(f, "00DB3FFF 07 5C035FC102 5300"), SW_OK);
}

static void put_data_larger_than_an_object_is_6a84(void **state)
{
	piv_fixture *f = *state;
	uint8_t *v = pattern(TOK_MAX_OBJECT + 1, 3);

	piv_test_auth_default_mgmt(f);
	assert_int_equal(put_data(f, PIV_TAG_CERT_9D, PIV_TLV_DATA, v, TOK_MAX_OBJECT + 1),
	                 SW_NOT_ENOUGH_MEMORY);
	assert_null(tok_object_get(&f->st, PIV_TAG_CERT_9D));
	assert_int_equal(put_data(f, PIV_TAG_CERT_9D, PIV_TLV_DATA, v, TOK_MAX_OBJECT), SW_OK);
	assert_int_equal(get_data(f, PIV_TAG_CERT_9D), SW_OK);
	assert_wrapped(f, PIV_TLV_DATA, v, TOK_MAX_OBJECT);
	free(v);
}

static void put_data_malformed_is_6a80(void **state)
{
	piv_fixture *f = *state;
	static const char *const bad[] = {
		"00DB3FFF 05 5C035FC105",           /* no value */
		"00DB3FFF 09 5C035FC105 530101 00", /* trailing byte */
		"00DB3FFF 08 5C035FC105 540100",    /* wrong wrapper */
		"00DB3FFF 08 5C035FC105 530200",    /* value past the data */
		"00DB3FFF 08 5C035FC1FF 530100",    /* unknown tag */
		"00DB3FFF 06 5C017D 530100",        /* unknown tag */
		"00DB3FFF 08 53010D 5C035FC105",    /* order swapped */
		"00DB3FFF 09 5C045FC10500 530100",  /* four-byte tag */
		NULL,
	};

	piv_test_auth_default_mgmt(f);
	piv_test_each_answers(f, SW_WRONG_DATA, bad);
	assert_null(tok_object_get(&f->st, PIV_TAG_CERT_9A));
}

static void put_data_with_bad_p1_p2_is_6a86(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_tx(f, "00DB3FFE 08 5C035FC105 530100"), SW_INCORRECT_P1P2);
}

/* ---- persistence ---- */

static void put_data_is_persisted_before_9000(void **state)
{
	piv_fixture *f = *state;
	static const uint8_t v[] = {0x70, 0x01, 0x55, 0x71, 0x01, 0x00, 0xFE, 0x00};
	tok_state loaded;
	const tok_object *o;
	piv_tmp_state t;

	piv_tmp_state_make(&t);
	piv_fixture_save_to(f, t.path, true);
	assert_int_equal(put_data(f, PIV_TAG_CERT_9E, PIV_TLV_DATA, v, sizeof(v)), SW_OK);

	tok_state_init(&loaded);
	assert_int_equal(tok_state_load(&loaded, t.path), 0);
	o = tok_object_get(&loaded, PIV_TAG_CERT_9E);
	assert_non_null(o);
	assert_int_equal(o->len, sizeof(v));
	assert_memory_equal(o->value, v, sizeof(v));
	tok_state_free(&loaded);
	piv_tmp_state_remove(&t);
}

static void put_data_commit_failure_keeps_the_old_object(void **state)
{
	piv_fixture *f = *state;
	static const uint8_t v[] = {0x01, 0x02, 0x03};
	uint8_t before[256];
	size_t before_len;

	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_OK);
	before_len = f->resp_len;
	assert_true(before_len <= sizeof(before));
	memcpy(before, f->resp, before_len);

	piv_fixture_save_to(f, PIV_TEST_UNSAVABLE, true);
	assert_int_equal(put_data(f, PIV_TAG_CHUID, PIV_TLV_DATA, v, sizeof(v)), SW_MEMORY_FAILURE);
	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_OK);
	assert_int_equal(f->resp_len, before_len);
	assert_memory_equal(f->resp, before, before_len);
	/* A new object is not left behind either, nor is a deletion kept. */
	assert_int_equal(put_data(f, PIV_TAG_CERT_9A, PIV_TLV_DATA, v, sizeof(v)),
	                 SW_MEMORY_FAILURE);
	assert_int_equal(get_data(f, PIV_TAG_CERT_9A), SW_FILE_NOT_FOUND);
	assert_int_equal(piv_tx(f, "00DB3FFF 07 5C035FC102 5300"), SW_MEMORY_FAILURE);
	assert_int_equal(get_data(f, PIV_TAG_CHUID), SW_OK);
}

#define T(t) cmocka_unit_test_setup_teardown(t, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(get_data_of_provisioned_objects),
		T(get_data_of_every_standard_object_returns_what_is_stored),
		T(get_data_of_absent_object_is_6a82),
		T(get_data_of_unknown_tag_is_6a80),
		T(get_data_with_malformed_tag_list_is_6a80),
		T(get_data_with_bad_p1_p2_is_6a86),
		T(printed_object_needs_the_pin),
		T(put_data_needs_the_management_key),
		T(put_data_round_trips_a_certificate),
		T(put_data_of_discovery_uses_its_7e_wrapper),
		T(put_data_with_empty_value_deletes),
		T(put_data_larger_than_an_object_is_6a84),
		T(put_data_malformed_is_6a80),
		T(put_data_with_bad_p1_p2_is_6a86),
		T(put_data_is_persisted_before_9000),
		T(put_data_commit_failure_keeps_the_old_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
