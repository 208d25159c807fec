/* GENERAL AUTHENTICATE with the asymmetric slots: RSA and ECDSA signing checked by
 * OpenSSL, ECDH, the slots' PIN policies, and every error path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "piv.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"

/* Host keys made once for the whole group: RSA key generation is slow. */
static EVP_PKEY *k_rsa2048, *k_rsa3072, *k_p256, *k_p384;

static int group_setup(void **state)
{
	(void)state;
	k_rsa2048 = piv_test_keygen(PIV_ALG_RSA2048);
	k_rsa3072 = piv_test_keygen(PIV_ALG_RSA3072);
	k_p256 = piv_test_keygen(PIV_ALG_ECCP256);
	k_p384 = piv_test_keygen(PIV_ALG_ECCP384);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(k_rsa2048);
	EVP_PKEY_free(k_rsa3072);
	EVP_PKEY_free(k_p256);
	EVP_PKEY_free(k_p384);
	return 0;
}

/* ---- signing ------------------------------------------------------------------------ */

/* The key installed in ref (PIN once per session) with the PIN verified: ready to sign. */
static void key_in_use(piv_fixture *f, uint8_t ref, uint8_t alg, EVP_PKEY *key)
{
	piv_test_install_key(f, ref, alg, PIV_PIN_POLICY_ONCE, key);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
}

/* SHA-256 of msg, in a buffer the next call overwrites. */
static const uint8_t *digest_of(const char *msg)
{
	static uint8_t out[32];

	assert_int_equal(EVP_Digest(msg, strlen(msg), out, NULL, EVP_sha256(), NULL), 1);
	return out;
}

/* The digest the PIN policy tests sign: what it holds does not matter to them. */
static const uint8_t policy_digest[32] = {1};

/* GENERAL AUTHENTICATE signing policy_digest with the P-256 key in ref answers sw. */
static void p256_sign_answers(piv_fixture *f, uint8_t ref, uint16_t sw)
{
	piv_test_sign_answers(f, PIV_ALG_ECCP256, ref, policy_digest, sizeof(policy_digest), sw);
}

/* A P-256 key installed in ref under pin_policy refuses to sign before the PIN and signs
 * after it. */
static void p256_signs_after_the_pin(piv_fixture *f, uint8_t ref, uint8_t pin_policy)
{
	piv_test_install_key(f, ref, PIV_ALG_ECCP256, pin_policy, k_p256);
	p256_sign_answers(f, ref, SW_SECURITY_NOT_SATISFIED);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	p256_sign_answers(f, ref, SW_OK);
}

static void sign_rsa2048_pkcs1_and_pss_blocks_verify(void **state)
{
	piv_fixture *f = *state;
	uint8_t digest[32], block[256], sig[512];
	size_t sig_len = 0;

	key_in_use(f, 0x9A, PIV_ALG_RSA2048, k_rsa2048);
	memcpy(digest, digest_of("log on to the bank"), sizeof(digest));

	piv_test_pkcs1_encode(digest, block, sizeof(block));
	assert_int_equal(piv_test_sign(f, 0x07, 0x9A, block, sizeof(block), sig, sizeof(sig),
	                               &sig_len),
	                 SW_OK);
	assert_int_equal(sig_len, 256);
	assert_true(piv_test_rsa_raw_check(k_rsa2048, sig, sig_len, block, sizeof(block)));
	assert_true(piv_test_verify_pkcs1(k_rsa2048, digest, sig, sig_len));

	piv_test_pss_encode(digest, block, sizeof(block), 2048);
	assert_int_equal(piv_test_sign(f, 0x07, 0x9A, block, sizeof(block), sig, sizeof(sig),
	                               &sig_len),
	                 SW_OK);
	assert_true(piv_test_verify_pss(k_rsa2048, digest, sig, sig_len));
	digest[0] ^= 1;
	assert_false(piv_test_verify_pss(k_rsa2048, digest, sig, sig_len));
}

static void sign_rsa3072_in_retired_slot_verifies(void **state)
{
	piv_fixture *f = *state;

	key_in_use(f, 0x95, PIV_ALG_RSA3072, k_rsa3072);
	piv_test_rsa_signs(f, 0x95, PIV_ALG_RSA3072, k_rsa3072, digest_of("a longer key"), true);
}

static void sign_p256_digest_verifies(void **state)
{
	piv_fixture *f = *state;

	key_in_use(f, 0x9A, PIV_ALG_ECCP256, k_p256);
	piv_test_ecdsa_signs(f, 0x9A, PIV_ALG_ECCP256, k_p256, digest_of("transfer 1000 yen"));
}

static void sign_p384_in_9d_verifies(void **state)
{
	piv_fixture *f = *state;
	uint8_t digest[48];

	key_in_use(f, 0x9D, PIV_ALG_ECCP384, k_p384);
	assert_int_equal(EVP_Digest("p384", 4, digest, NULL, EVP_sha384(), NULL), 1);
	piv_test_ecdsa_signs(f, 0x9D, PIV_ALG_ECCP384, k_p384, digest);
}

static void sign_9c_needs_the_pin_before_each_use(void **state)
{
	piv_fixture *f = *state;

	p256_signs_after_the_pin(f, 0x9C, PIV_PIN_POLICY_ALWAYS);
	p256_sign_answers(f, 0x9C, SW_SECURITY_NOT_SATISFIED);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	p256_sign_answers(f, 0x9C, SW_OK);
}

static void sign_9c_pin_is_spent_by_a_failed_attempt(void **state)
{
	piv_fixture *f = *state;

	piv_test_install_key(f, 0x9C, PIV_ALG_ECCP256, PIV_PIN_POLICY_ALWAYS, k_p256);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	piv_test_sign_answers(f, PIV_ALG_ECCP256, 0x9C, policy_digest, 31, SW_WRONG_DATA);
	p256_sign_answers(f, 0x9C, SW_SECURITY_NOT_SATISFIED);
}

static void sign_9a_pin_holds_until_the_next_select(void **state)
{
	piv_fixture *f = *state;

	p256_signs_after_the_pin(f, 0x9A, PIV_PIN_POLICY_ONCE);
	p256_sign_answers(f, 0x9A, SW_OK);
	assert_int_equal(piv_tx(f, "00A40400 0B A0 00 00 03 08 00 00 10 00 01 00"), SW_OK);
	p256_sign_answers(f, 0x9A, SW_SECURITY_NOT_SATISFIED);
}

static void sign_9e_needs_no_pin(void **state)
{
	piv_fixture *f = *state;

	piv_test_install_key(f, 0x9E, PIV_ALG_ECCP256, PIV_PIN_POLICY_NEVER, k_p256);
	piv_test_ecdsa_signs(f, 0x9E, PIV_ALG_ECCP256, k_p256, policy_digest);
}

static void sign_empty_slot_reports_not_found(void **state)
{
	piv_fixture *f = *state;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	p256_sign_answers(f, 0x9D, SW_FILE_NOT_FOUND);
	p256_sign_answers(f, 0x82, SW_FILE_NOT_FOUND);
}

static void sign_algorithm_other_than_the_keys_refused_6a86(void **state)
{
	piv_fixture *f = *state;
	uint8_t in[256] = {0};

	key_in_use(f, 0x9A, PIV_ALG_ECCP256, k_p256);
	piv_test_sign_answers(f, 0x14, 0x9A, in, 32, SW_INCORRECT_P1P2);
	piv_test_sign_answers(f, 0x07, 0x9A, in, 256, SW_INCORRECT_P1P2);
	piv_test_sign_answers(f, 0x03, 0x9A, in, 32, SW_INCORRECT_P1P2);
}

static void sign_wrong_input_lengths_refused_6a80(void **state)
{
	piv_fixture *f = *state;
	uint8_t in[300];

	memset(in, 0x11, sizeof(in));
	piv_test_install_key(f, 0x9A, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE, k_p256);
	key_in_use(f, 0x9D, PIV_ALG_RSA2048, k_rsa2048);
	piv_test_sign_answers(f, 0x11, 0x9A, in, 31, SW_WRONG_DATA);
	piv_test_sign_answers(f, 0x11, 0x9A, in, 33, SW_WRONG_DATA);
	piv_test_sign_answers(f, 0x11, 0x9A, in, 48, SW_WRONG_DATA);
	piv_test_sign_answers(f, 0x07, 0x9D, in, 255, SW_WRONG_DATA);
	piv_test_sign_answers(f, 0x07, 0x9D, in, 257, SW_WRONG_DATA);
	/* A block not below the modulus is not an RSA input. */
	memset(in, 0xFF, sizeof(in));
	piv_test_sign_answers(f, 0x07, 0x9D, in, 256, SW_WRONG_DATA);
}

static void sign_modulus_itself_refused_6a80(void **state)
{
	piv_fixture *f = *state;
	uint8_t n[256];
	BIGNUM *bn = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(k_rsa2048, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, n, sizeof(n)), 256);
	BN_free(bn);
	key_in_use(f, 0x9A, PIV_ALG_RSA2048, k_rsa2048);
	piv_test_sign_answers(f, 0x07, 0x9A, n, 256, SW_WRONG_DATA);
}

static void sign_malformed_templates_refused_6a80(void **state)
{
	static const char *const bad[] = {
		"",
		"7C 04 82 00 81 00", /* empty input */
		"7C 22 81 20 "
		"0101010101010101010101010101010101010101010101010101010101010101",
		/* no response request */
		"7C 24 82 01 00 81 1F "
		"01010101010101010101010101010101010101010101010101010101010101",
		/* response request not empty */
		"7C 24 82 00 81 20 "
		"0101010101010101010101010101010101010101010101010101010101010101"
		" 00", /* trailing byte after the template */
		"7C 26 82 00 80 00 81 20 "
		"0101010101010101010101010101010101010101010101010101010101010101",
		"7C 26 82 00 82 00 81 20 "
		"0101010101010101010101010101010101010101010101010101010101010101",
		"7C 28 82 00 81 20 "
		"0101010101010101010101010101010101010101010101010101010101010101"
		" 85 02 0102", /* signing and ECDH at once */
		"7C 24 82 00 81 21 "
		"0101010101010101010101010101010101010101010101010101010101010101",
		NULL,
	};
	piv_fixture *f = *state;

	key_in_use(f, 0x9A, PIV_ALG_ECCP256, k_p256);
	piv_test_each_ga_answers(f, PIV_ALG_ECCP256, 0x9A, SW_WRONG_DATA, bad);
}

static void general_auth_other_key_references_refused_6a86(void **state)
{
	static const uint8_t refs[] = {0x00, PIV_REF_PIN,    PIV_REF_PUK, 0x96,
	                               0x9F, PIV_KEY_ATTEST, 0xFF};
	piv_fixture *f = *state;
	uint8_t in[32] = {0};
	size_t i;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	for (i = 0; i < sizeof(refs); i++)
		piv_test_sign_answers(f, 0x11, refs[i], in, 32, SW_INCORRECT_P1P2);
}

/* ---- ECDH --------------------------------------------------------------------------- */

static size_t point_of(EVP_PKEY *k, uint8_t *out, size_t cap)
{
	size_t len = 0;

	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
	                                                 cap, &len),
	                 1);
	return len;
}

/* GENERAL AUTHENTICATE asking the key in ref for ECDH with the host's point. */
static uint16_t ecdh_answers(piv_fixture *f, uint8_t alg, uint8_t ref, const uint8_t *point,
                             size_t plen)
{
	return piv_test_ga_items(f, alg, ref, PIV_TLV_RESPONSE, NULL, 0, PIV_TLV_EXPONENTIATION,
	                         point, plen);
}

static void ecdh_p256_agrees_with_the_host(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *host = piv_test_keygen(PIV_ALG_ECCP256);
	EVP_PKEY_CTX *ctx;
	uint8_t point[128], expect[64];
	size_t plen = point_of(host, point, sizeof(point)), elen = sizeof(expect), n;
	const uint8_t *v;

	key_in_use(f, 0x9D, PIV_ALG_ECCP256, k_p256);
	assert_int_equal(ecdh_answers(f, 0x11, 0x9D, point, plen), SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_RESPONSE, &v, &n);

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, host, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, k_p256), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, expect, &elen), 1);
	assert_int_equal(n, elen);
	assert_memory_equal(v, expect, elen);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(host);
}

static void ecdh_needs_the_pin(void **state)
{
	piv_fixture *f = *state;
	uint8_t point[128];
	size_t plen = point_of(k_p384, point, sizeof(point));

	piv_test_install_key(f, 0x9D, PIV_ALG_ECCP384, PIV_PIN_POLICY_ONCE, k_p384);
	assert_int_equal(ecdh_answers(f, 0x14, 0x9D, point, plen), SW_SECURITY_NOT_SATISFIED);
}

static void ecdh_bad_points_refused_6a80(void **state)
{
	piv_fixture *f = *state;
	uint8_t point[128];
	size_t plen = point_of(k_p384, point, sizeof(point));

	piv_test_install_key(f, 0x9D, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE, k_p256);
	key_in_use(f, 0x9A, PIV_ALG_RSA2048, k_rsa2048);
	/* A P-384 point to a P-256 key. */
	assert_int_equal(ecdh_answers(f, 0x11, 0x9D, point, plen), SW_WRONG_DATA);
	/* A P-256 point off the curve. */
	plen = point_of(k_p256, point, sizeof(point));
	point[plen - 1] ^= 0x01;
	assert_int_equal(ecdh_answers(f, 0x11, 0x9D, point, plen), SW_WRONG_DATA);
	/* ECDH with an RSA key. */
	point[plen - 1] ^= 0x01;
	assert_int_equal(ecdh_answers(f, 0x07, 0x9A, point, plen), SW_WRONG_DATA);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(sign_rsa2048_pkcs1_and_pss_blocks_verify),
		T(sign_rsa3072_in_retired_slot_verifies),
		T(sign_p256_digest_verifies),
		T(sign_p384_in_9d_verifies),
		T(sign_9c_needs_the_pin_before_each_use),
		T(sign_9c_pin_is_spent_by_a_failed_attempt),
		T(sign_9a_pin_holds_until_the_next_select),
		T(sign_9e_needs_no_pin),
		T(sign_empty_slot_reports_not_found),
		T(sign_algorithm_other_than_the_keys_refused_6a86),
		T(sign_wrong_input_lengths_refused_6a80),
		T(sign_modulus_itself_refused_6a80),
		T(sign_malformed_templates_refused_6a80),
		T(general_auth_other_key_references_refused_6a86),
		T(ecdh_p256_agrees_with_the_host),
		T(ecdh_needs_the_pin),
		T(ecdh_bad_points_refused_6a80),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
