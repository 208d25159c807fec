/* GENERATE ASYMMETRIC KEY PAIR: every algorithm, the public-only answer, the PIN policy
 * the new key gets, the management key requirement, bad input, and a failed save; and
 * MOVE KEY's delete form (00 F6 FF <slot>). */
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

/* GENERATE with AC { 80 01 alg } followed by extra bytes inside AC (hex, may be ""). */
static uint16_t gen(piv_fixture *f, uint8_t ref, uint8_t alg, const char *extra_hex)
{
	uint8_t data[64];
	size_t n = piv_hex_decode(extra_hex, data + 5, sizeof(data) - 5);

	data[0] = PIV_TLV_GEN_TEMPLATE;
	data[1] = (uint8_t)(3 + n);
	data[2] = 0x80;
	data[3] = 0x01;
	data[4] = alg;
	return piv_send_all(f, PIV_INS_GENERATE_KEY, 0x00, ref, data, 5 + n, false);
}

/* The public key of the last GENERATE answer; the answer holds nothing else, in
 * particular not the stored private key. */
static EVP_PKEY *gen_public(piv_fixture *f, uint8_t ref, uint8_t alg)
{
	const tok_key *k = &f->st.keys[piv_key_slot_index(ref)];

	assert_int_equal(k->alg, alg);
	assert_int_equal(k->origin, PIV_ORIGIN_GENERATED);
	assert_non_null(k->priv_der);
	assert_null(memmem(f->resp, f->resp_len, k->priv_der, k->priv_len));
	return piv_test_pubkey_from_template(alg, f->resp, f->resp_len);
}

static EVP_PKEY *gen_ok(piv_fixture *f, uint8_t ref, uint8_t alg)
{
	EVP_PKEY *pub;

	assert_int_equal(gen(f, ref, alg, ""), SW_OK);
	pub = gen_public(f, ref, alg);
	assert_non_null(pub);
	return pub;
}

/* What the generated EC keys sign, of the longest curve's size. */
static const uint8_t ecdsa_digest[48] = {0x3C, 0x3C, 0x3C, 0x3C};

/* An RSA key generated in a slot signs a block built as a module builds it. */
typedef struct {
	uint8_t ref, alg;
	bool pss;
} rsa_gen_row;
static rsa_gen_row rsa2048_pkcs1_in_9a = {0x9A, PIV_ALG_RSA2048, false};
static rsa_gen_row rsa3072_pss_in_9c = {0x9C, PIV_ALG_RSA3072, true};

static void generate_rsa_answers_a_working_public_key(void **state)
{
	piv_fixture *f = *state;
	const rsa_gen_row *r = f->row;
	uint8_t digest[32];
	EVP_PKEY *pub;

	piv_test_auth_default_mgmt(f);
	pub = gen_ok(f, r->ref, r->alg);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	memset(digest, 0xA5, sizeof(digest));
	piv_test_rsa_signs(f, r->ref, r->alg, pub, digest, r->pss);
	EVP_PKEY_free(pub);
}

static void generate_p256_in_retired_slots_answers_a_working_public_key(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *first, *last;

	piv_test_auth_default_mgmt(f);
	first = gen_ok(f, PIV_KEY_RETIRED1, PIV_ALG_ECCP256);
	last = gen_ok(f, PIV_KEY_RETIRED20, PIV_ALG_ECCP256);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	piv_test_ecdsa_signs(f, PIV_KEY_RETIRED1, PIV_ALG_ECCP256, first, ecdsa_digest);
	piv_test_ecdsa_signs(f, PIV_KEY_RETIRED20, PIV_ALG_ECCP256, last, ecdsa_digest);
	EVP_PKEY_free(first);
	EVP_PKEY_free(last);
}

static void generate_p384_in_9e_signs_without_pin(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *pub;

	piv_test_auth_default_mgmt(f);
	pub = gen_ok(f, 0x9E, PIV_ALG_ECCP384);
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP384, pub, ecdsa_digest);
	EVP_PKEY_free(pub);
}

static void generate_needs_the_management_key(void **state)
{
	piv_fixture *f = *state;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(gen(f, 0x9A, PIV_ALG_ECCP256, ""), SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(f->resp_len, 0);
	assert_int_equal(f->st.keys[0].alg, 0);
}

static void generate_outside_the_key_slots_refused_6a86(void **state)
{
	static const uint8_t refs[] = {0x00, PIV_REF_PIN,    PIV_REF_PUK, PIV_KEY_CARDMGMT,
	                               0x96, PIV_KEY_ATTEST, 0xFF};
	piv_fixture *f = *state;
	size_t i;

	piv_test_auth_default_mgmt(f);
	for (i = 0; i < sizeof(refs); i++)
		assert_int_equal(gen(f, refs[i], PIV_ALG_ECCP256, ""), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 47 01 9A 05 AC 03 80 01 11"), SW_INCORRECT_P1P2);
}

static void generate_unsupported_algorithms_refused_6a80(void **state)
{
	static const uint8_t algs[] = {0x00,           PIV_ALG_3DES, PIV_ALG_AES128, PIV_ALG_AES192,
	                               PIV_ALG_AES256, 0x06,         0x13,           0xFF};
	piv_fixture *f = *state;
	size_t i;

	piv_test_auth_default_mgmt(f);
	for (i = 0; i < sizeof(algs); i++)
		assert_int_equal(gen(f, 0x9A, algs[i], ""), SW_WRONG_DATA);
	assert_int_equal(f->st.keys[0].alg, 0);
}

static void generate_malformed_templates_refused_6a80(void **state)
{
	static const char *const bad[] = {
		"00 47 00 9A",                               /* no data */
		"00 47 00 9A 02 AC 00",                      /* no algorithm */
		"00 47 00 9A 05 AD 03 80 01 11",             /* not a control reference template */
		"00 47 00 9A 06 AC 04 80 02 11 00",          /* algorithm of two bytes */
		"00 47 00 9A 04 AC 03 80 01",                /* template cut short */
		"00 47 00 9A 06 AC 03 80 01 11 00",          /* trailing byte */
		"00 47 00 9A 08 AC 06 80 01 11 80 01 11",    /* algorithm twice */
		"00 47 00 9A 05 AC 03 81 01 11",             /* unknown tag */
		"00 47 00 9A 08 AC 06 80 01 11 AA 01 04",    /* unknown PIN policy */
		"00 47 00 9A 09 AC 07 80 01 11 AA 02 01 01", /* policy of two bytes */
		"00 47 00 9A 0B AC 09 80 01 11 AA 01 01 AA 01 01", /* policy twice */
		"00 47 00 9A 08 AC 06 80 01 11 AB 01 02", /* touch always: no button here */
		"00 47 00 9A 08 AC 06 80 01 11 AB 01 03", /* touch cached */
		NULL,
	};
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	piv_test_each_answers(f, SW_WRONG_DATA, bad);
	assert_int_equal(f->st.keys[0].alg, 0);
}

static void generate_default_pin_policy_follows_the_slot(void **state)
{
	static const struct {
		uint8_t ref, policy;
	} cases[] = {
		{0x9A, PIV_PIN_POLICY_ONCE}, {0x9C, PIV_PIN_POLICY_ALWAYS},
		{0x9D, PIV_PIN_POLICY_ONCE}, {0x9E, PIV_PIN_POLICY_NEVER},
		{0x8A, PIV_PIN_POLICY_ONCE},
	};
	piv_fixture *f = *state;
	size_t i;

	piv_test_auth_default_mgmt(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const tok_key *k = &f->st.keys[piv_key_slot_index(cases[i].ref)];

		assert_int_equal(gen(f, cases[i].ref, PIV_ALG_ECCP256, i % 2 ? "AA 01 00" : ""),
		                 SW_OK);
		assert_int_equal(k->pin_policy, cases[i].policy);
		assert_int_equal(k->touch_policy, PIV_TOUCH_POLICY_NEVER);
	}
}

static void generate_pin_policy_from_the_template_is_enforced(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *never, *always;
	uint8_t digest[32] = {7}, sig[128];
	size_t sig_len;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(gen(f, 0x9A, PIV_ALG_ECCP256, "AA 01 01 AB 01 01"), SW_OK);
	never = gen_public(f, 0x9A, PIV_ALG_ECCP256);
	assert_int_equal(gen(f, 0x9D, PIV_ALG_ECCP256, "AB 01 00 AA 01 03"), SW_OK);
	always = gen_public(f, 0x9D, PIV_ALG_ECCP256);

	piv_test_ecdsa_signs(f, 0x9A, PIV_ALG_ECCP256, never, ecdsa_digest);
	assert_int_equal(piv_test_sign(f, 0x11, 0x9D, digest, 32, sig, sizeof(sig), &sig_len),
	                 SW_SECURITY_NOT_SATISFIED);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	piv_test_ecdsa_signs(f, 0x9D, PIV_ALG_ECCP256, always, ecdsa_digest);
	assert_int_equal(piv_test_sign(f, 0x11, 0x9D, digest, 32, sig, sizeof(sig), &sig_len),
	                 SW_SECURITY_NOT_SATISFIED);
	EVP_PKEY_free(never);
	EVP_PKEY_free(always);
}

static void generate_shows_in_metadata_as_generated(void **state)
{
	piv_fixture *f = *state;
	uint8_t tmpl[128];
	size_t tmpl_len;
	tlv_item outer, item;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(gen(f, 0x9D, PIV_ALG_ECCP256, ""), SW_OK);
	tmpl_len = f->resp_len;
	assert_true(tmpl_len <= sizeof(tmpl));
	memcpy(tmpl, f->resp, tmpl_len);
	assert_int_equal(tlv_parse(tmpl, tmpl_len, &outer), TLV_OK);

	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, 0x9D, NULL, 0, false), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_META_ORIGIN, &item), TLV_OK);
	assert_int_equal(item.len, 1);
	assert_int_equal(item.value[0], PIV_ORIGIN_GENERATED);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_META_PUBKEY, &item), TLV_OK);
	assert_int_equal(item.len, outer.len);
	assert_memory_equal(item.value, outer.value, outer.len);
}

static void generate_over_an_existing_key_replaces_it(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *old, *new;

	piv_test_auth_default_mgmt(f);
	old = gen_ok(f, 0x9E, PIV_ALG_ECCP256);
	new = gen_ok(f, 0x9E, PIV_ALG_ECCP384);
	assert_false(piv_test_same_public(old, new));
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP384, new, ecdsa_digest);
	EVP_PKEY_free(old);
	EVP_PKEY_free(new);
}

static void generate_failed_save_keeps_the_old_key(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *old;
	uint8_t *der_before;
	size_t len_before;

	piv_test_auth_default_mgmt(f);
	old = gen_ok(f, 0x9E, PIV_ALG_ECCP256);
	len_before = f->st.keys[3].priv_len;
	der_before = malloc(len_before);
	assert_non_null(der_before);
	memcpy(der_before, f->st.keys[3].priv_der, len_before);

	/* Same token, now saved to a place that cannot be written. */
	piv_fixture_save_to(f, PIV_TEST_UNSAVABLE, true);
	assert_int_equal(gen(f, 0x9E, PIV_ALG_ECCP384, ""), SW_MEMORY_FAILURE);
	assert_int_equal(f->resp_len, 0);

	assert_int_equal(f->st.keys[3].alg, PIV_ALG_ECCP256);
	assert_int_equal(f->st.keys[3].priv_len, len_before);
	assert_memory_equal(f->st.keys[3].priv_der, der_before, len_before);
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP256, old, ecdsa_digest);
	free(der_before);
	EVP_PKEY_free(old);
}

/* ---- MOVE KEY delete (00 F6 FF <slot>) ---- */

static void delete_key_empties_the_slot(void **state)
{
	piv_fixture *f = *state;
	uint8_t digest[32] = {1}, sig[128];
	size_t sig_len;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_ok(f, 0x9A, PIV_ALG_ECCP256));
	EVP_PKEY_free(gen_ok(f, 0x9D, PIV_ALG_ECCP256));
	assert_int_equal(piv_tx(f, "00 F6 FF 9A"), SW_OK);
	assert_int_equal(f->resp_len, 0);
	assert_int_equal(f->st.keys[0].alg, 0);
	assert_null(f->st.keys[0].priv_der);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_METADATA, 0x00, 0x9A, NULL, 0, false),
	                 SW_FILE_NOT_FOUND);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(piv_test_sign(f, PIV_ALG_ECCP256, 0x9A, digest, 32, sig, sizeof(sig),
	                               &sig_len),
	                 SW_FILE_NOT_FOUND);
	/* the other key is untouched, and the slot takes a new one */
	assert_int_equal(f->st.keys[2].alg, PIV_ALG_ECCP256);
	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_ok(f, 0x9A, PIV_ALG_ECCP384));
}

static void delete_key_leaves_the_certificate(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_ok(f, 0x9C, PIV_ALG_ECCP256));
	assert_int_equal(piv_tx(f, "00 DB 3F FF 0B 5C 03 5F C1 0A 53 04 70 00 71 00"), SW_OK);
	assert_int_equal(piv_tx(f, "00 F6 FF 9C"), SW_OK);
	/* as on a YubiKey: the host removes the certificate itself */
	assert_non_null(tok_object_get(&f->st, PIV_TAG_CERT_9C));
}

static void delete_key_needs_the_management_key(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_ok(f, 0x9E, PIV_ALG_ECCP256));
	assert_int_equal(piv_tx(f, select_hex), SW_OK);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(piv_tx(f, "00 F6 FF 9E"), SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(f->st.keys[3].alg, PIV_ALG_ECCP256);
}

static void delete_of_an_empty_slot_is_not_found_6a82(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	PIV_EACH_ANSWERS(f, SW_FILE_NOT_FOUND, "00 F6 FF 9A", "00 F6 FF 95");
}

static void delete_bad_references_refused_6a86(void **state)
{
	static const char *const bad[] = {
		"00 F6 FF 9B", /* the management key is not a key slot */
		"00 F6 FF 80", "00 F6 FF 00", "00 F6 FF 96", "00 F6 FF F9", NULL,
	};
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(gen_ok(f, 0x9A, PIV_ALG_ECCP256));
	piv_test_each_answers(f, SW_INCORRECT_P1P2, bad);
	assert_int_equal(piv_tx(f, "00 F6 FF 9A 01 00"), SW_WRONG_LENGTH);
	assert_int_equal(f->st.keys[0].alg, PIV_ALG_ECCP256);
	assert_int_equal(f->st.keys[2].alg, 0);
}

static void delete_failed_save_keeps_the_key(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *old;

	piv_test_auth_default_mgmt(f);
	old = gen_ok(f, 0x9E, PIV_ALG_ECCP256);
	PIV_EACH_UNSAVED(f, "00 F6 FF 9E");
	assert_int_equal(f->st.keys[3].alg, PIV_ALG_ECCP256);
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP256, old, ecdsa_digest);
	EVP_PKEY_free(old);
}

/* A deleted key is gone from the flash before the token says so, with the counter. */
static void delete_is_saved_before_the_answer(void **state)
{
	piv_fixture *f = *state;
	piv_tmp_state t;
	tok_state saved;

	piv_tmp_state_make(&t);
	piv_fixture_save_to(f, t.path, true);
	EVP_PKEY_free(gen_ok(f, 0x9A, PIV_ALG_ECCP256));
	EVP_PKEY_free(gen_ok(f, 0x82, PIV_ALG_ECCP256));
	assert_int_equal(tok_state_load(&saved, t.path), 0);
	assert_int_equal(saved.change_counter, 2);
	assert_int_equal(saved.keys[0].alg, PIV_ALG_ECCP256);
	tok_state_free(&saved);

	assert_int_equal(piv_tx(f, "00 F6 FF 9A"), SW_OK);
	assert_int_equal(tok_state_load(&saved, t.path), 0);
	assert_int_equal(saved.change_counter, 3);
	assert_int_equal(saved.keys[0].alg, 0);
	assert_int_equal(saved.keys[4].alg, PIV_ALG_ECCP256);
	tok_state_free(&saved);
	piv_tmp_state_remove(&t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PIV_ROW(generate_rsa2048_in_9a_answers_a_working_public_key,
	                generate_rsa_answers_a_working_public_key, rsa2048_pkcs1_in_9a),
		PIV_ROW(generate_rsa3072_in_9c_answers_a_working_public_key,
	                generate_rsa_answers_a_working_public_key, rsa3072_pss_in_9c),
		T(generate_p256_in_retired_slots_answers_a_working_public_key),
		T(generate_p384_in_9e_signs_without_pin),
		T(generate_needs_the_management_key),
		T(generate_outside_the_key_slots_refused_6a86),
		T(generate_unsupported_algorithms_refused_6a80),
		T(generate_malformed_templates_refused_6a80),
		T(generate_default_pin_policy_follows_the_slot),
		T(generate_pin_policy_from_the_template_is_enforced),
		T(generate_shows_in_metadata_as_generated),
		T(generate_over_an_existing_key_replaces_it),
		T(generate_failed_save_keeps_the_old_key),
		T(delete_key_empties_the_slot),
		T(delete_key_leaves_the_certificate),
		T(delete_key_needs_the_management_key),
		T(delete_of_an_empty_slot_is_not_found_6a82),
		T(delete_bad_references_refused_6a86),
		T(delete_failed_save_keeps_the_key),
		T(delete_is_saved_before_the_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
