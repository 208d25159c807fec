/* The PIV card driver against the real emulator over its socket: selection, what the
 * token is, keys and signatures verified with OpenSSL, ECDH, data objects, and what each costs
 * in APDUs. PINs and the management key are in test_card_pin.c, the token shared, removed
 * or killed underneath in test_card_presence.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "card_test_util.h"
#include "ecdh_test_util.h"
#include "piv.h"

static const uint8_t pin[] = TEST_PIN;
#define PIN_LEN (sizeof(pin) - 1)

static int setup_serial(void **state)
{
	static const char *const args[] = {"--serial", "12345678", NULL};

	return card_fixture_setup(state, args);
}

/* ---- selection and identity ---- */

static void connect_selects_once_and_is_free_afterwards(void **state)
{
	card_fixture *f = *state;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_true(f->c.powered);
	assert_true(f->c.selected);
	assert_true(f->c.atr_len >= 2);
	assert_int_equal(f->c.atr[0], 0x3B);
	assert_int_equal(f->c.ch.apdu_count, 1); /* SELECT */
	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count, 1);
}

static void serial_and_version_cost_one_apdu_each(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	uint8_t version[3] = {0};

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(serial, 12345678u);
	assert_int_equal(f->c.ch.apdu_count, 2); /* SELECT + GET SERIAL */
	assert_int_equal(card_get_version(&f->c, version), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count, 3);
	assert_true(version[0] || version[1] || version[2]);
}

static void pin_metadata_reports_default_and_tries(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_REF_PIN, &md), CARD_OK);
	assert_true(md.has_retries);
	assert_int_equal(md.tries_max, 3);
	assert_int_equal(md.tries_left, 3);
	assert_true(md.has_default);
	assert_true(md.is_default);
	assert_false(md.has_pubkey);
}

static void empty_slot_metadata_is_not_found(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_KEY_AUTH, &md), CARD_ERR_NOT_FOUND);
	assert_int_equal(f->c.last_sw, SW_FILE_NOT_FOUND);
	assert_false(md.has_pubkey);
}

static void mgmt_metadata_names_3des_by_default(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_KEY_CARDMGMT, &md), CARD_OK);
	assert_int_equal(md.algorithm, PIV_ALG_3DES);
	assert_true(md.has_default);
	assert_true(md.has_policy);
}

/* ---- keys ---- */

static void generate_then_sign_and_verify(card_fixture *f, uint8_t slot, uint8_t alg,
                                          size_t mod_len)
{
	/* Well-formed input for the key (a block of zeros is a valid RSA or EC input). */
	uint8_t pub[1024], block[512] = {0}, sig[512];
	size_t pub_len = 0, sig_len = 0, in_len = mod_len ? mod_len : 32;
	card_metadata md;
	EVP_PKEY *pkey;

	assert_int_equal(card_generate(&f->c, slot, alg, 0, pub, sizeof(pub), &pub_len),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(&f->c, slot, alg, 0, pub, sizeof(pub), &pub_len), CARD_OK);
	pkey = test_pubkey_from_7f49(alg, pub, pub_len);
	assert_non_null(pkey);

	/* The metadata tells the same key, generated on the card. */
	assert_int_equal(card_get_metadata(&f->c, slot, &md), CARD_OK);
	assert_int_equal(md.algorithm, alg);
	assert_true(md.has_origin);
	assert_int_equal(md.origin, PIV_ORIGIN_GENERATED);
	assert_true(md.has_pubkey);
	assert_int_equal(md.pubkey_len, pub_len);
	assert_memory_equal(md.pubkey, pub, pub_len);

	/* Not before the PIN. */
	assert_int_equal(card_sign(&f->c, slot, alg, block, in_len, sig, sizeof(sig), &sig_len),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	card_test_sign_verifies(&f->c, slot, alg, mod_len, pkey);
	EVP_PKEY_free(pkey);
}

static void generate_rsa2048_signature_verifies_with_openssl(void **state)
{
	generate_then_sign_and_verify(*state, PIV_KEY_AUTH, PIV_ALG_RSA2048, 256);
}

static void generate_p256_signature_verifies_with_openssl(void **state)
{
	generate_then_sign_and_verify(*state, PIV_KEY_KEYMGMT, PIV_ALG_ECCP256, 0);
}

static void second_signature_costs_one_apdu(void **state)
{
	card_fixture *f = *state;
	uint8_t pub[256], digest[32] = {1}, sig[128];
	size_t n = 0, sig_len = 0;
	unsigned long before;

	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, 0, pub, sizeof(pub),
	                               &n),
	                 CARD_OK);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &sig_len),
	                 CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &sig_len),
	                 CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	/* An output buffer too small is the caller's error, not the card's. */
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig, 8,
	                           &sig_len),
	                 CARD_ERR_BAD_INPUT);
}

static void sign_with_empty_slot_is_not_found(void **state)
{
	card_fixture *f = *state;
	uint8_t digest[32] = {0}, sig[128];
	size_t n = 0;

	assert_int_equal(card_sign(&f->c, PIV_KEY_CARDAUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &n),
	                 CARD_ERR_NOT_FOUND);
	assert_int_equal(card_sign(&f->c, 0x42, PIV_ALG_ECCP256, digest, 32, sig, sizeof(sig), &n),
	                 CARD_ERR_BAD_INPUT);
}

/* ---- ECDH ---- */

/* A key generated in slot, then one ECDH with a host key: one APDU, the host's secret. */
static void generate_then_agree(card_fixture *f, uint8_t slot, uint8_t alg, const char *curve)
{
	uint8_t pub[256], point[128], secret[64], expect[64];
	size_t pub_len = 0, plen = 0, n = 0, field = piv_alg_bytes(alg);
	EVP_PKEY *card_pub, *host = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	unsigned long before;

	assert_non_null(host);
	assert_int_equal(EVP_PKEY_get_octet_string_param(host, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                                 point, sizeof(point), &plen),
	                 1);
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(&f->c, slot, alg, 0, pub, sizeof(pub), &pub_len), CARD_OK);
	card_pub = test_pubkey_from_7f49(alg, pub, pub_len);
	assert_non_null(card_pub);

	/* Not before the PIN. */
	assert_int_equal(card_ecdh(&f->c, slot, alg, point, plen, secret, sizeof(secret), &n),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_ecdh(&f->c, slot, alg, point, plen, secret, sizeof(secret), &n),
	                 CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	assert_int_equal(n, field);
	assert_int_equal(tkit_ecdh(host, card_pub, expect, sizeof(expect)), field);
	assert_memory_equal(secret, expect, field);
	/* Well formed but off the curve: the card refuses it (6A80). */
	point[plen - 1] ^= 0x01;
	assert_int_equal(card_ecdh(&f->c, slot, alg, point, plen, secret, sizeof(secret), &n),
	                 CARD_ERR_BAD_INPUT);
	point[plen - 1] ^= 0x01;
	/* A buffer too small for the secret is the caller's error. */
	assert_int_equal(card_ecdh(&f->c, slot, alg, point, plen, secret, field - 1, &n),
	                 CARD_ERR_BAD_INPUT);
	EVP_PKEY_free(card_pub);
	EVP_PKEY_free(host);
}

static void ecdh_p256_in_9d_agrees_with_openssl(void **state)
{
	generate_then_agree(*state, PIV_KEY_KEYMGMT, PIV_ALG_ECCP256, "P-256");
}

static void ecdh_p384_in_a_retired_slot_agrees_with_openssl(void **state)
{
	generate_then_agree(*state, PIV_KEY_RETIRED1, PIV_ALG_ECCP384, "P-384");
}

/* Points that are no uncompressed point of the key's curve, and RSA, never reach the card. */
static void ecdh_refuses_what_is_no_point_of_the_curve_without_an_apdu(void **state)
{
	static const struct {
		uint8_t alg, first;
		size_t len;
	} bad[] = {
		{PIV_ALG_ECCP256, 0x04, 97}, /* a P-384 point's size */
		{PIV_ALG_ECCP256, 0x04, 33},
		{PIV_ALG_ECCP256, 0x02, 65}, /* compressed */
		{PIV_ALG_RSA2048, 0x04, 65}, /* no EC key */
	};
	card_fixture *f = *state;
	uint8_t point[97] = {0}, out[64];
	size_t n = 0, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		point[0] = bad[i].first;
		assert_int_equal(card_ecdh(&f->c, PIV_KEY_KEYMGMT, bad[i].alg, point, bad[i].len,
		                           out, sizeof(out), &n),
		                 CARD_ERR_BAD_INPUT);
	}
	assert_int_equal(card_ecdh(&f->c, PIV_KEY_KEYMGMT, PIV_ALG_ECCP256, NULL, 65, out,
	                           sizeof(out), &n),
	                 CARD_ERR_BAD_INPUT);
	assert_int_equal(f->c.ch.apdu_count, 0);
}

static void random_comes_in_blocks_and_differs(void **state)
{
	card_fixture *f = *state;
	uint8_t a[37], b[37], zero[37] = {0};
	unsigned long before;

	assert_int_equal(card_random(&f->c, a, sizeof(a)), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_random(&f->c, b, sizeof(b)), CARD_OK);
	/* 3DES: 8 bytes per challenge, the algorithm is cached. */
	assert_int_equal(f->c.ch.apdu_count - before, 5);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
}

/* ---- data objects ---- */

static void object_of_3000_bytes_reads_back_in_one_get_data(void **state)
{
	card_fixture *f = *state;
	uint8_t value[3000], *back = NULL;
	size_t n = 0;
	unsigned long before;

	memset(value, 0xA5, sizeof(value));
	value[0] = 0x70; /* not that the token cares what is in a container */
	value[2999] = 0x5A;
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, value, sizeof(value)), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9A, &back, &n), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	assert_int_equal(n, sizeof(value));
	assert_memory_equal(back, value, sizeof(value));
	free(back);

	/* Deleting it makes it not found. */
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, NULL, 0), CARD_OK);
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9A, &back, &n), CARD_ERR_NOT_FOUND);
	assert_null(back);
}

static void cold_read_of_serial_and_certificate_takes_three_apdus(void **state)
{
	card_fixture *f = *state;
	uint8_t cert[1200], *back = NULL;
	uint32_t serial = 0;
	size_t n = 0;
	card c2;

	memset(cert, 0x30, sizeof(cert));
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, cert, sizeof(cert)), CARD_OK);

	/* A new card struct on the same transport: SELECT, GET SERIAL, GET DATA. */
	card_init(&c2, f->tr);
	assert_int_equal(card_get_serial(&c2, &serial), CARD_OK);
	assert_int_equal(card_get_data(&c2, PIV_TAG_CERT_9A, &back, &n), CARD_OK);
	assert_int_equal(c2.ch.apdu_count, 3);
	assert_int_equal(n, sizeof(cert));
	free(back);
	card_cleanup(&c2);
}

static void get_data_of_missing_object_is_not_found(void **state)
{
	card_fixture *f = *state;
	uint8_t *v = (uint8_t *)"x";
	size_t n = 7;

	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9C, &v, &n), CARD_ERR_NOT_FOUND);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(card_get_data(&f->c, 0, &v, &n), CARD_ERR_BAD_INPUT);
	assert_int_equal(card_get_data(&f->c, 0x1234567, &v, &n), CARD_ERR_BAD_INPUT);
	/* CHUID exists on every token. */
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CHUID, &v, &n), CARD_OK);
	assert_true(n > 0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CARD_FIXTURE_TEST(connect_selects_once_and_is_free_afterwards),
		cmocka_unit_test_setup_teardown(serial_and_version_cost_one_apdu_each, setup_serial,
	                                        card_fixture_teardown),
		CARD_FIXTURE_TEST(pin_metadata_reports_default_and_tries),
		CARD_FIXTURE_TEST(empty_slot_metadata_is_not_found),
		CARD_FIXTURE_TEST(mgmt_metadata_names_3des_by_default),
		CARD_FIXTURE_TEST(generate_rsa2048_signature_verifies_with_openssl),
		CARD_FIXTURE_TEST(generate_p256_signature_verifies_with_openssl),
		CARD_FIXTURE_TEST(second_signature_costs_one_apdu),
		CARD_FIXTURE_TEST(sign_with_empty_slot_is_not_found),
		CARD_FIXTURE_TEST(ecdh_p256_in_9d_agrees_with_openssl),
		CARD_FIXTURE_TEST(ecdh_p384_in_a_retired_slot_agrees_with_openssl),
		CARD_FIXTURE_TEST(ecdh_refuses_what_is_no_point_of_the_curve_without_an_apdu),
		CARD_FIXTURE_TEST(random_comes_in_blocks_and_differs),
		CARD_FIXTURE_TEST(object_of_3000_bytes_reads_back_in_one_get_data),
		CARD_FIXTURE_TEST(cold_read_of_serial_and_certificate_takes_three_apdus),
		CARD_FIXTURE_TEST(get_data_of_missing_object_is_not_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
