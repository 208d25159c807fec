/* GENERAL AUTHENTICATE with the card management key (9B): mutual and external
 * authentication with 3DES and AES-128, and every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "piv.h"
#include "piv_internal.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"

static const uint8_t aes_key[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                    0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};

static int setup_aes128(void **state)
{
	tok_provision_opts o;

	memset(&o, 0, sizeof(o));
	o.mgmt_alg = PIV_ALG_AES128;
	o.mgmt_key = aes_key;
	o.mgmt_key_len = sizeof(aes_key);
	return piv_fixture_setup_with(state, &o, true);
}

static size_t block_of(uint8_t alg)
{
	return alg == PIV_ALG_3DES ? 8 : 16;
}

/* Mutual step 1: the decrypted witness. */
static void mutual_witness(piv_fixture *f, uint8_t alg, const uint8_t *key, size_t klen,
                           uint8_t *witness)
{
	const uint8_t *v;
	size_t n;

	assert_int_equal(piv_test_ga(f, alg, PIV_KEY_CARDMGMT, "7C 02 80 00"), SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_WITNESS, &v, &n);
	assert_int_equal(n, block_of(alg));
	piv_test_mgmt_block(alg, key, klen, 0, v, witness);
}

/* External step 1: the plain challenge. */
static void external_challenge(piv_fixture *f, uint8_t alg, uint8_t *challenge)
{
	const uint8_t *v;
	size_t n;

	assert_int_equal(piv_test_ga(f, alg, PIV_KEY_CARDMGMT, "7C 02 81 00"), SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_CHALLENGE, &v, &n);
	assert_int_equal(n, block_of(alg));
	memcpy(challenge, v, n);
}

/* External step 2 with a 3DES token: 7C { 82 answer } must give sw. */
static void external_answer_is(piv_fixture *f, const uint8_t answer[8], uint16_t sw)
{
	assert_int_equal(piv_test_ga_items(f, PIV_ALG_3DES, PIV_KEY_CARDMGMT, PIV_TLV_RESPONSE,
	                                   answer, 8, 0, NULL, 0),
	                 sw);
}

static void mutual_ok(piv_fixture *f, uint8_t alg, const uint8_t *key, size_t klen)
{
	size_t bs = block_of(alg);
	uint8_t witness[16], challenge[16], expect[16];
	const uint8_t *v;
	size_t n;

	mutual_witness(f, alg, key, klen, witness);
	assert_int_equal(RAND_bytes(challenge, (int)bs), 1);
	assert_int_equal(piv_test_ga_items(f, alg, PIV_KEY_CARDMGMT, PIV_TLV_WITNESS, witness, bs,
	                                   PIV_TLV_CHALLENGE, challenge, bs),
	                 SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_RESPONSE, &v, &n);
	piv_test_mgmt_block(alg, key, klen, 1, challenge, expect);
	assert_int_equal(n, bs);
	assert_memory_equal(v, expect, bs);
	assert_true(f->applet->mgmt_authenticated);
}

static void external_ok(piv_fixture *f, uint8_t alg, const uint8_t *key, size_t klen)
{
	uint8_t challenge[16], answer[16];

	external_challenge(f, alg, challenge);
	piv_test_mgmt_block(alg, key, klen, 1, challenge, answer);
	assert_int_equal(piv_test_ga_items(f, alg, PIV_KEY_CARDMGMT, PIV_TLV_RESPONSE, answer,
	                                   block_of(alg), 0, NULL, 0),
	                 SW_OK);
	assert_int_equal(f->resp_len, 0);
	assert_true(f->applet->mgmt_authenticated);
}

/* ---- management key ---------------------------------------------------------------- */

static void mgmt_mutual_3des_default_key_authenticates(void **state)
{
	piv_fixture *f = *state;

	assert_false(f->applet->mgmt_authenticated);
	mutual_ok(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, sizeof(TOK_DEFAULT_MGMT_KEY));
}

static void mgmt_external_3des_default_key_authenticates(void **state)
{
	external_ok(*state, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, sizeof(TOK_DEFAULT_MGMT_KEY));
}

static void mgmt_mutual_aes128_authenticates(void **state)
{
	mutual_ok(*state, PIV_ALG_AES128, aes_key, sizeof(aes_key));
}

static void mgmt_external_aes128_authenticates(void **state)
{
	external_ok(*state, PIV_ALG_AES128, aes_key, sizeof(aes_key));
}

static void mgmt_authentication_unlocks_generate(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 47 00 9A 05 AC 03 80 01 11"), SW_SECURITY_NOT_SATISFIED);
	external_ok(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, sizeof(TOK_DEFAULT_MGMT_KEY));
	assert_int_equal(piv_tx(f, "00 47 00 9A 05 AC 03 80 01 11 00"), SW_OK);
}

static void mgmt_mutual_accepts_response_request_tag(void **state)
{
	piv_fixture *f = *state;
	uint8_t witness[8], data[32] = {0x7C, 0x16, 0x80, 0x08};
	uint8_t expect[8];
	const uint8_t *v;
	size_t n;

	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	memcpy(data + 4, witness, 8);
	data[12] = 0x81;
	data[13] = 0x08;
	memset(data + 14, 0x5A, 8);
	data[22] = 0x82;
	data[23] = 0x00;
	assert_int_equal(piv_send(f, 0x00, 0x87, 0x03, 0x9B, data, 24, 256, false), SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_RESPONSE, &v, &n);
	piv_test_mgmt_block(PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, 1, data + 14, expect);
	assert_memory_equal(v, expect, 8);
	assert_true(f->applet->mgmt_authenticated);
}

static void mgmt_wrong_witness_refused_and_unauthenticates(void **state)
{
	piv_fixture *f = *state;
	uint8_t witness[8], challenge[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	mutual_ok(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24);
	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	witness[0] ^= 0x01;
	assert_int_equal(piv_test_ga_items(f, PIV_ALG_3DES, 0x9B, PIV_TLV_WITNESS, witness, 8,
	                                   PIV_TLV_CHALLENGE, challenge, 8),
	                 SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(f->resp_len, 0);
	assert_false(f->applet->mgmt_authenticated);
	assert_int_equal(piv_tx(f, "00 47 00 9A 05 AC 03 80 01 11"), SW_SECURITY_NOT_SATISFIED);
}

static void mgmt_wrong_external_response_refused(void **state)
{
	piv_fixture *f = *state;
	uint8_t challenge[8], answer[8];
	static const uint8_t wrong_key[24] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                                      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                                      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A};
	/* (0x08 -> 0x09 would be the same key: the low bit of a DES key byte is parity.) */

	external_challenge(f, PIV_ALG_3DES, challenge);
	piv_test_mgmt_block(PIV_ALG_3DES, wrong_key, 24, 1, challenge, answer);
	external_answer_is(f, answer, SW_SECURITY_NOT_SATISFIED);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_witness_is_single_use_after_a_wrong_answer(void **state)
{
	piv_fixture *f = *state;
	uint8_t witness[8], bad[8], challenge[8] = {0};

	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	memcpy(bad, witness, 8);
	bad[7] ^= 0x80;
	assert_int_equal(piv_test_ga_items(f, PIV_ALG_3DES, 0x9B, PIV_TLV_WITNESS, bad, 8,
	                                   PIV_TLV_CHALLENGE, challenge, 8),
	                 SW_SECURITY_NOT_SATISFIED);
	/* The right witness is no longer accepted: it was spent by the wrong answer. */
	assert_int_equal(piv_test_ga_items(f, PIV_ALG_3DES, 0x9B, PIV_TLV_WITNESS, witness, 8,
	                                   PIV_TLV_CHALLENGE, challenge, 8),
	                 SW_CONDITIONS_NOT_SATISFIED);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_replayed_external_response_refused(void **state)
{
	piv_fixture *f = *state;
	uint8_t challenge[8], answer[8];

	external_challenge(f, PIV_ALG_3DES, challenge);
	piv_test_mgmt_block(PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, 1, challenge, answer);
	external_answer_is(f, answer, SW_OK);
	external_answer_is(f, answer, SW_CONDITIONS_NOT_SATISFIED);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_response_without_challenge_refused(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_test_ga(f, 0x03, 0x9B, "7C 0A 82 08 0102030405060708"),
	                 SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(piv_test_ga(f, 0x03, 0x9B,
	                             "7C 14 80 08 0102030405060708 81 08 0102030405060708"),
	                 SW_CONDITIONS_NOT_SATISFIED);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_answer_of_the_other_flavour_refused(void **state)
{
	piv_fixture *f = *state;
	uint8_t witness[8], answer[8];

	/* A mutual witness cannot be answered as an external challenge. */
	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	piv_test_mgmt_block(PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, 1, witness, answer);
	external_answer_is(f, answer, SW_CONDITIONS_NOT_SATISFIED);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_wrong_algorithm_refused_6a86(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_test_ga(f, PIV_ALG_AES128, 0x9B, "7C 02 80 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_test_ga(f, PIV_ALG_AES256, 0x9B, "7C 02 81 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_test_ga(f, PIV_ALG_RSA2048, 0x9B, "7C 02 81 00"), SW_INCORRECT_P1P2);
	assert_int_equal(f->resp_len, 0);
}

static void mgmt_aes_token_refuses_3des_6a86(void **state)
{
	assert_int_equal(piv_test_ga(*state, PIV_ALG_3DES, 0x9B, "7C 02 80 00"), SW_INCORRECT_P1P2);
}

static void mgmt_wrong_block_lengths_refused_6a80(void **state)
{
	piv_fixture *f = *state;
	uint8_t witness[8], challenge[16] = {0};

	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	assert_int_equal(piv_test_ga_items(f, 0x03, 0x9B, PIV_TLV_WITNESS, witness, 7,
	                                   PIV_TLV_CHALLENGE, challenge, 8),
	                 SW_WRONG_DATA);
	mutual_witness(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, 24, witness);
	assert_int_equal(piv_test_ga_items(f, 0x03, 0x9B, PIV_TLV_WITNESS, witness, 8,
	                                   PIV_TLV_CHALLENGE, challenge, 16),
	                 SW_WRONG_DATA);
	external_challenge(f, PIV_ALG_3DES, challenge);
	assert_int_equal(piv_test_ga_items(f, 0x03, 0x9B, PIV_TLV_RESPONSE, challenge, 16, 0, NULL,
	                                   0),
	                 SW_WRONG_DATA);
	assert_false(f->applet->mgmt_authenticated);
}

static void mgmt_malformed_templates_refused_6a80(void **state)
{
	static const char *const bad[] = {
		"",                             /* no data */
		"7D 02 80 00",                  /* not a dynamic authentication template */
		"7C 02 80 00 00",               /* trailing byte */
		"7C 02 80 00 7C 02 80 00",      /* two templates */
		"7C 03 80 00",                  /* length past the data */
		"7C 02 80",                     /* inner TLV cut */
		"7C 00",                        /* empty template */
		"7C 02 83 00",                  /* unknown tag */
		"7C 04 80 00 80 00",            /* duplicate tag */
		"7C 04 80 00 81 00",            /* both requests at once */
		"7C 04 81 00 82 00",            /* challenge request with a response request */
		"7C 02 85 00",                  /* exponentiation is not for 9B */
		"7C 02 82 00",                  /* empty response */
		"7C 0A 80 08 0102030405060708", /* witness without challenge */
		NULL,
	};
	piv_fixture *f = *state;

	piv_test_each_ga_answers(f, PIV_ALG_3DES, PIV_KEY_CARDMGMT, SW_WRONG_DATA, bad);
	assert_false(f->applet->mgmt_authenticated);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)
#define T_AES(fn) cmocka_unit_test_setup_teardown(fn, setup_aes128, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(mgmt_mutual_3des_default_key_authenticates),
		T(mgmt_external_3des_default_key_authenticates),
		T_AES(mgmt_mutual_aes128_authenticates),
		T_AES(mgmt_external_aes128_authenticates),
		T(mgmt_authentication_unlocks_generate),
		T(mgmt_mutual_accepts_response_request_tag),
		T(mgmt_wrong_witness_refused_and_unauthenticates),
		T(mgmt_wrong_external_response_refused),
		T(mgmt_witness_is_single_use_after_a_wrong_answer),
		T(mgmt_replayed_external_response_refused),
		T(mgmt_response_without_challenge_refused),
		T(mgmt_answer_of_the_other_flavour_refused),
		T(mgmt_wrong_algorithm_refused_6a86),
		T_AES(mgmt_aes_token_refuses_3des_6a86),
		T(mgmt_wrong_block_lengths_refused_6a80),
		T(mgmt_malformed_templates_refused_6a80),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
