/* MOVE KEY (YubiKey 5.7): 00 F6 <to> <from> moves a key with its algorithm, policies and
 * origin; the destination must be empty; the certificate containers stay; the change is
 * saved (with the change counter) before the answer, or not made at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "piv.h"
#include "piv_internal.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"
#include "tlv.h"

static const char select_hex[] = "00A40400 0B A0 00 00 03 08 00 00 10 00 01 00";

/* GENERATE a P-256 key with AC { 80 01 11 [extra] }; returns its public key. */
static EVP_PKEY *gen_p256(piv_fixture *f, uint8_t ref, const char *extra_hex)
{
	uint8_t data[64];
	size_t n = piv_hex_decode(extra_hex, data + 5, sizeof(data) - 5);
	EVP_PKEY *pub;

	data[0] = PIV_TLV_GEN_TEMPLATE;
	data[1] = (uint8_t)(3 + n);
	data[2] = 0x80;
	data[3] = 0x01;
	data[4] = PIV_ALG_ECCP256;
	assert_int_equal(piv_send_all(f, PIV_INS_GENERATE_KEY, 0x00, ref, data, 5 + n, false),
	                 SW_OK);
	pub = piv_test_pubkey_from_template(PIV_ALG_ECCP256, f->resp, f->resp_len);
	assert_non_null(pub);
	return pub;
}

static const tok_key *slot_key(piv_fixture *f, uint8_t ref)
{
	return &f->st.keys[piv_key_slot_index(ref)];
}

/* With the management key authenticated, a P-256 key generated in ref; the tests that
 * only move it do not need its public key. */
static void key_made_in(piv_fixture *f, uint8_t ref)
{
	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_p256(f, ref, ""));
}

/* A refused move left the P-256 key in from and the slot to empty. */
static void key_stayed_in(piv_fixture *f, uint8_t from, uint8_t to)
{
	assert_int_equal(slot_key(f, from)->alg, PIV_ALG_ECCP256);
	assert_int_equal(slot_key(f, to)->alg, 0);
}

/* What the moved P-256 keys sign. */
static const uint8_t moved_digest[32] = {0x5A, 0x5A, 0x5A, 0x5A};

static void move_key_carries_key_policies_and_origin(void **state)
{
	piv_fixture *f = *state;
	uint8_t meta_before[512];
	size_t meta_len;
	EVP_PKEY *pub;

	piv_test_auth_default_mgmt(f);
	pub = gen_p256(f, 0x85, "AA 01 01"); /* PIN policy never: no VERIFY to sign */
	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, 0x85, NULL, 0, false), SW_OK);
	meta_len = f->resp_len;
	assert_true(meta_len <= sizeof(meta_before));
	memcpy(meta_before, f->resp, meta_len);

	assert_int_equal(piv_tx(f, "00 F6 9A 85"), SW_OK);
	assert_int_equal(f->resp_len, 0);
	assert_int_equal(slot_key(f, 0x85)->alg, 0);
	assert_null(slot_key(f, 0x85)->priv_der);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, 0x85, NULL, 0, false),
	                 SW_FILE_NOT_FOUND);
	/* algorithm, PIN and touch policy, origin and public key: all as they were */
	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, 0x9A, NULL, 0, false), SW_OK);
	assert_int_equal(f->resp_len, meta_len);
	assert_memory_equal(f->resp, meta_before, meta_len);
	assert_int_equal(slot_key(f, 0x9A)->pin_policy, PIV_PIN_POLICY_NEVER);
	assert_int_equal(slot_key(f, 0x9A)->origin, PIV_ORIGIN_GENERATED);
	piv_test_ecdsa_signs(f, 0x9A, PIV_ALG_ECCP256, pub, moved_digest);
	EVP_PKEY_free(pub);
}

static void move_key_needs_the_management_key(void **state)
{
	piv_fixture *f = *state;

	key_made_in(f, 0x82);
	assert_int_equal(piv_tx(f, select_hex), SW_OK);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(piv_tx(f, "00 F6 9A 82"), SW_SECURITY_NOT_SATISFIED);
	key_stayed_in(f, 0x82, 0x9A);
}

static void move_from_an_empty_slot_is_not_found_6a82(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	PIV_EACH_ANSWERS(f, SW_FILE_NOT_FOUND, "00 F6 9A 82", "00 F6 95 9E");
	assert_int_equal(f->st.change_counter, 0);
}

/* YubiKey's SDK documents that the destination must be empty: a move never destroys a key. */
static void move_onto_a_key_is_refused_6985_and_keeps_both(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *src, *dst;
	uint32_t counter;

	piv_test_auth_default_mgmt(f);
	src = gen_p256(f, 0x82, "AA 01 01");
	dst = gen_p256(f, 0x9E, "");
	counter = f->st.change_counter;
	assert_int_equal(piv_tx(f, "00 F6 9E 82"), SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(f->st.change_counter, counter);
	piv_test_ecdsa_signs(f, 0x82, PIV_ALG_ECCP256, src, moved_digest);
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP256, dst, moved_digest);
	EVP_PKEY_free(src);
	EVP_PKEY_free(dst);
}

static void move_bad_references_refused_6a86(void **state)
{
	static const char *const bad[] = {
		"00 F6 9A 9A",                /* onto itself */
		"00 F6 F9 9A",                /* attestation slot */
		"00 F6 9A F9", "00 F6 9B 9A", /* the management key is not a key slot */
		"00 F6 9A 9B", "00 F6 80 9A", "00 F6 00 9A", "00 F6 96 9A",
		"00 F6 9A 96", "00 F6 9A 00", "00 F6 FF FF", NULL,
	};
	piv_fixture *f = *state;

	key_made_in(f, 0x9A);
	piv_test_each_answers(f, SW_INCORRECT_P1P2, bad);
	assert_int_equal(piv_tx(f, "00 F6 9D 9A 01 00"), SW_WRONG_LENGTH);
	key_stayed_in(f, 0x9A, 0x9D);
}

static void move_leaves_both_certificate_containers(void **state)
{
	piv_fixture *f = *state;

	key_made_in(f, 0x82);
	/* 82's container 5FC10D holds a (dummy) certificate; 9A's container is empty */
	assert_int_equal(piv_tx(f, "00 DB 3F FF 0B 5C 03 5F C1 0D 53 04 70 00 71 00"), SW_OK);
	assert_int_equal(piv_tx(f, "00 F6 9A 82"), SW_OK);
	assert_non_null(tok_object_get(&f->st, PIV_TAG_CERT_82));
	assert_null(tok_object_get(&f->st, PIV_TAG_CERT_9A));
}

static void move_counts_one_change_and_shows_in_inventory(void **state)
{
	piv_fixture *f = *state;
	uint32_t counter;
	tlv_item item;

	key_made_in(f, 0x82);
	counter = f->st.change_counter;
	assert_int_equal(piv_tx(f, "00 F6 9A 82"), SW_OK);
	assert_int_equal(f->st.change_counter, counter + 1);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, PIV_REF_INVENTORY, NULL, 0,
	                              false),
	                 SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_COUNTER, &item), TLV_OK);
	assert_int_equal(item.len, 4);
	assert_int_equal(item.value[3], (uint8_t)(counter + 1));
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_KEY, &item), TLV_OK);
	assert_int_equal(item.value[0], PIV_INV_KEY_REF);
	assert_int_equal(item.value[2], 0x9A); /* the only key, now in 9A */
}

static void move_failed_save_keeps_the_key_where_it_was(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *pub;

	piv_test_auth_default_mgmt(f);
	pub = gen_p256(f, 0x82, "AA 01 01");
	PIV_EACH_UNSAVED(f, "00 F6 9A 82");
	assert_int_equal(slot_key(f, 0x9A)->alg, 0);
	assert_null(slot_key(f, 0x9A)->priv_der);
	piv_test_ecdsa_signs(f, 0x82, PIV_ALG_ECCP256, pub, moved_digest);
	EVP_PKEY_free(pub);
}

/* The moved key is in its new slot on the flash, with the counter, before the token says so. */
static void move_is_saved_before_the_answer(void **state)
{
	piv_fixture *f = *state;
	piv_tmp_state t;
	tok_state saved;

	piv_tmp_state_make(&t);
	piv_fixture_save_to(f, t.path, true);
	EVP_PKEY_free(gen_p256(f, 0x82, ""));

	assert_int_equal(piv_tx(f, "00 F6 9A 82"), SW_OK);
	assert_int_equal(tok_state_load(&saved, t.path), 0);
	assert_int_equal(saved.change_counter, 2);
	assert_int_equal(saved.keys[piv_key_slot_index(0x9A)].alg, PIV_ALG_ECCP256);
	assert_int_equal(saved.keys[piv_key_slot_index(0x82)].alg, 0);
	assert_int_equal(saved.keys[piv_key_slot_index(0x9A)].priv_len,
	                 slot_key(f, 0x9A)->priv_len);
	tok_state_free(&saved);
	piv_tmp_state_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(move_key_carries_key_policies_and_origin),
		T(move_key_needs_the_management_key),
		T(move_from_an_empty_slot_is_not_found_6a82),
		T(move_onto_a_key_is_refused_6985_and_keeps_both),
		T(move_bad_references_refused_6a86),
		T(move_leaves_both_certificate_containers),
		T(move_counts_one_change_and_shows_in_inventory),
		T(move_failed_save_keeps_the_key_where_it_was),
		T(move_is_saved_before_the_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
