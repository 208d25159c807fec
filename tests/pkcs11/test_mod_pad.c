/* The module's signature encodings as pure functions, against OpenSSL: EMSA-PKCS1-v1_5
 * and EMSA-PSS blocks turned into signatures with a software key (raw RSA) must verify with
 * OpenSSL's verifier; ECDSA input fitting and signature format conversions; PKCS#11's hash
 * and MGF1 constants read as OpenSSL digests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/rsa.h>

#include "mod_sig.h"
#include "sig_test_util.h"

static void pkcs1_block_is_what_openssl_signs(void **state)
{
	sigt_sw_keys *k = *state;
	const EVP_MD *mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
	uint8_t dg[64], block[256], sig[256], ref[256];
	size_t i, dg_len, ref_len;

	for (i = 0; i < 3; i++) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->rsa2048, NULL);

		sigt_digest(mds[i], "kinko", dg, &dg_len);
		assert_int_equal(mod_pad_pkcs1(mds[i], dg, dg_len, block, sizeof(block)), CKR_OK);
		sigt_raw_rsa_sign(k->rsa2048, block, sizeof(block), sig);
		/* PKCS#1 v1.5 is deterministic: OpenSSL's own signature must be identical. */
		ref_len = sizeof(ref);
		assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
		assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_signature_md(ctx, mds[i]) > 0);
		assert_int_equal(EVP_PKEY_sign(ctx, ref, &ref_len, dg, dg_len), 1);
		assert_memory_equal(sig, ref, sizeof(sig));
		EVP_PKEY_CTX_free(ctx);
	}
}

static void pkcs1_raw_input_is_limited_to_k_minus_11(void **state)
{
	uint8_t in[256] = {0}, block[256];

	(void)state;
	assert_int_equal(mod_pad_pkcs1(NULL, in, 245, block, sizeof(block)), CKR_OK);
	assert_int_equal(block[0], 0x00);
	assert_int_equal(block[1], 0x01);
	assert_int_equal(block[9], 0xFF);
	assert_int_equal(block[10], 0x00);
	assert_int_equal(mod_pad_pkcs1(NULL, in, 246, block, sizeof(block)), CKR_DATA_LEN_RANGE);
}

/* A PSS block, raw-RSA signed, verified by OpenSSL with the same parameters. */
static int pss_verifies(EVP_PKEY *pkey, const EVP_MD *md, const EVP_MD *mgf, size_t salt,
                        const uint8_t *dg, size_t dg_len, const uint8_t *sig, size_t k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, md) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)salt) > 0);
	ok = EVP_PKEY_verify(ctx, sig, k, dg, dg_len);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void pss_block_verifies_with_openssl(void **state)
{
	sigt_sw_keys *k = *state;
	struct {
		const EVP_MD *md, *mgf;
		size_t salt;
	} cases[] = {
		{EVP_sha256(), EVP_sha256(), 32}, {EVP_sha384(), EVP_sha384(), 48},
		{EVP_sha512(), EVP_sha512(), 64}, {EVP_sha256(), EVP_sha256(), 0},
		{EVP_sha256(), EVP_sha1(), 20},   {EVP_sha256(), EVP_sha256(), 256 - 32 - 2},
	};
	uint8_t dg[64], block[256], sig[256];
	size_t i, dg_len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sigt_digest(cases[i].md, "tls 1.3 client auth", dg, &dg_len);
		assert_int_equal(mod_pad_pss(cases[i].md, cases[i].mgf, cases[i].salt, dg, dg_len,
		                             2048, block, sizeof(block)),
		                 CKR_OK);
		assert_int_equal(block[255], 0xBC);
		assert_int_equal(block[0] & 0x80, 0);
		sigt_raw_rsa_sign(k->rsa2048, block, sizeof(block), sig);
		assert_int_equal(pss_verifies(k->rsa2048, cases[i].md, cases[i].mgf, cases[i].salt,
		                              dg, dg_len, sig, sizeof(sig)),
		                 1);
		/* The same signature over another digest must not verify. */
		dg[0] ^= 1;
		assert_int_not_equal(pss_verifies(k->rsa2048, cases[i].md, cases[i].mgf,
		                                  cases[i].salt, dg, dg_len, sig, sizeof(sig)),
		                     1);
	}
}

static void pss_block_shorter_than_modulus_gets_a_zero_byte(void **state)
{
	sigt_sw_keys *k = *state;
	uint8_t dg[32], block[129], sig[129];
	size_t dg_len;

	sigt_digest(EVP_sha256(), "odd modulus", dg, &dg_len);
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 32, dg, dg_len, 1025, block,
	                             sizeof(block)),
	                 CKR_OK);
	assert_int_equal(block[0], 0x00);
	sigt_raw_rsa_sign(k->rsa1025, block, sizeof(block), sig);
	assert_int_equal(pss_verifies(k->rsa1025, EVP_sha256(), EVP_sha256(), 32, dg, dg_len, sig,
	                              sizeof(sig)),
	                 1);
}

static void pss_salt_makes_every_block_different(void **state)
{
	uint8_t dg[32] = {1}, a[256], b[256];

	(void)state;
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 32, dg, 32, 2048, a, 256), CKR_OK);
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 32, dg, 32, 2048, b, 256), CKR_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	/* Without a salt the encoding is deterministic. */
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 0, dg, 32, 2048, a, 256), CKR_OK);
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 0, dg, 32, 2048, b, 256), CKR_OK);
	assert_memory_equal(a, b, sizeof(a));
}

static void pss_refuses_wrong_digest_length_and_oversized_salt(void **state)
{
	uint8_t dg[64] = {0}, block[256];

	(void)state;
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 32, dg, 31, 2048, block, 256),
	                 CKR_DATA_LEN_RANGE);
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 256 - 32 - 1, dg, 32, 2048, block,
	                             256),
	                 CKR_MECHANISM_PARAM_INVALID);
}

static void ecdsa_input_is_truncated_or_left_padded_to_the_field(void **state)
{
	uint8_t dg[64], out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dg); i++)
		dg[i] = (uint8_t)(i + 1);
	mod_pad_ecdsa_fit(dg, 64, out, 32);
	assert_memory_equal(out, dg, 32);
	mod_pad_ecdsa_fit(dg, 20, out, 32);
	for (i = 0; i < 12; i++)
		assert_int_equal(out[i], 0);
	assert_memory_equal(out + 12, dg, 20);
}

static void ecdsa_der_and_raw_round_trip_and_openssl_verifies(void **state)
{
	sigt_sw_keys *k = *state;
	uint8_t dg[32], der[80], raw[64], *der2 = NULL;
	size_t dg_len, der_len = sizeof(der), der2_len = 0;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->p256, NULL);

	sigt_digest(EVP_sha256(), "ecdsa", dg, &dg_len);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &der_len, dg, dg_len), 1);
	assert_int_equal(mod_pad_ecdsa_raw(der, der_len, raw, 32), CKR_OK);
	assert_int_equal(mod_pad_ecdsa_der(raw, sizeof(raw), &der2, &der2_len), CKR_OK);
	assert_int_equal(der2_len, der_len);
	assert_memory_equal(der2, der, der_len);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	assert_int_equal(EVP_PKEY_verify(ctx, der2, der2_len, dg, dg_len), 1);
	OPENSSL_free(der2);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(mod_pad_ecdsa_der(raw, 63, &der2, &der2_len), CKR_SIGNATURE_LEN_RANGE);
	assert_int_equal(mod_pad_ecdsa_der(raw, 0, &der2, &der2_len), CKR_SIGNATURE_LEN_RANGE);
}

static void ecdsa_malformed_card_answers_are_device_errors(void **state)
{
	/* SEQUENCE { INTEGER 1, INTEGER 2 } is fine; variants are not. */
	static const uint8_t good[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
	static const uint8_t trailing[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00};
	static const uint8_t negative[] = {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02};
	static const uint8_t zero[] = {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x02};
	static const uint8_t cut[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02};
	uint8_t wide[2 + 2 + 34 + 3], raw[64];

	(void)state;
	assert_int_equal(mod_pad_ecdsa_raw(good, sizeof(good), raw, 32), CKR_OK);
	assert_int_equal(raw[31], 1);
	assert_int_equal(raw[63], 2);
	assert_int_equal(mod_pad_ecdsa_raw(trailing, sizeof(trailing), raw, 32), CKR_DEVICE_ERROR);
	assert_int_equal(mod_pad_ecdsa_raw(negative, sizeof(negative), raw, 32), CKR_DEVICE_ERROR);
	assert_int_equal(mod_pad_ecdsa_raw(zero, sizeof(zero), raw, 32), CKR_DEVICE_ERROR);
	assert_int_equal(mod_pad_ecdsa_raw(cut, sizeof(cut), raw, 32), CKR_DEVICE_ERROR);
	assert_int_equal(mod_pad_ecdsa_raw(good, 0, raw, 32), CKR_DEVICE_ERROR);
	/* r of 33 significant bytes does not fit a P-256 field. */
	wide[0] = 0x30;
	wide[1] = sizeof(wide) - 2;
	wide[2] = 0x02;
	wide[3] = 34;
	wide[4] = 0x00;
	memset(wide + 5, 0xAB, 33);
	wide[38] = 0x02;
	wide[39] = 0x01;
	wide[40] = 0x01;
	assert_int_equal(mod_pad_ecdsa_raw(wide, sizeof(wide), raw, 32), CKR_DEVICE_ERROR);
}

/* The one reading of PKCS#11's hash and MGF1 constants (the module's and the signature
 * tests' checks use it): each names OpenSSL's digest of that name. */
static void hash_and_mgf_constants_name_their_openssl_digests(void **state)
{
	static const struct {
		CK_MECHANISM_TYPE hash;
		CK_RSA_PKCS_MGF_TYPE mgf;
		const char *name;
	} d[] = {
		{CKM_SHA_1, CKG_MGF1_SHA1, "SHA1"},
		{CKM_SHA224, CKG_MGF1_SHA224, "SHA2-224"},
		{CKM_SHA256, CKG_MGF1_SHA256, "SHA2-256"},
		{CKM_SHA384, CKG_MGF1_SHA384, "SHA2-384"},
		{CKM_SHA512, CKG_MGF1_SHA512, "SHA2-512"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		assert_true(EVP_MD_is_a(mod_pad_md(d[i].hash), d[i].name));
		assert_true(EVP_MD_is_a(mod_pad_mgf_md(d[i].mgf), d[i].name));
	}
	assert_null(mod_pad_md(CKM_MD5));
	assert_null(mod_pad_md(CKM_SHA256_RSA_PKCS));
	assert_null(mod_pad_mgf_md(0x77));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pkcs1_block_is_what_openssl_signs),
		cmocka_unit_test(pkcs1_raw_input_is_limited_to_k_minus_11),
		cmocka_unit_test(pss_block_verifies_with_openssl),
		cmocka_unit_test(pss_block_shorter_than_modulus_gets_a_zero_byte),
		cmocka_unit_test(pss_salt_makes_every_block_different),
		cmocka_unit_test(pss_refuses_wrong_digest_length_and_oversized_salt),
		cmocka_unit_test(ecdsa_input_is_truncated_or_left_padded_to_the_field),
		cmocka_unit_test(ecdsa_der_and_raw_round_trip_and_openssl_verifies),
		cmocka_unit_test(ecdsa_malformed_card_answers_are_device_errors),
		cmocka_unit_test(hash_and_mgf_constants_name_their_openssl_digests),
	};

	return cmocka_run_group_tests(tests, sigt_sw_keys_setup, sigt_sw_keys_teardown);
}
