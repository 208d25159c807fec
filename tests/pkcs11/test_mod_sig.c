/* The module's signature encodings and mechanism checks as pure functions, against
 * OpenSSL: EMSA-PKCS1-v1_5 and EMSA-PSS blocks turned into signatures with a software key
 * (raw RSA) must verify with OpenSSL's verifier; ECDSA signature format conversions; public
 * keys from PIV 7F49 contents; PSS parameter consistency. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "mod_parse.h"
#include "mod_sig.h"
#include "piv.h"
#include "tlv.h"

typedef struct {
	EVP_PKEY *rsa2048;
	EVP_PKEY *rsa1025; /* emBits = 1024: emLen (128) < k (129) */
	EVP_PKEY *p256;
} keys;

static int group_setup(void **state)
{
	keys *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k->rsa1025 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1025);
	k->p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	*state = k;
	return k->rsa2048 && k->rsa1025 && k->p256 ? 0 : -1;
}

static int group_teardown(void **state)
{
	keys *k = *state;

	EVP_PKEY_free(k->rsa2048);
	EVP_PKEY_free(k->rsa1025);
	EVP_PKEY_free(k->p256);
	free(k);
	return 0;
}

/* What the card does: raw RSA on the block. */
static void raw_rsa(EVP_PKEY *pkey, const uint8_t *block, size_t k, uint8_t *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	size_t n = k;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &n, block, k), 1);
	assert_int_equal(n, k);
	EVP_PKEY_CTX_free(ctx);
}

static void digest(const EVP_MD *md, const char *msg, uint8_t *dg, size_t *len)
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(msg, strlen(msg), dg, &n, md, NULL), 1);
	*len = n;
}

static void pkcs1_block_is_what_openssl_signs(void **state)
{
	keys *k = *state;
	const EVP_MD *mds[] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
	uint8_t dg[64], block[256], sig[256], ref[256];
	size_t i, dg_len, ref_len;

	for (i = 0; i < 3; i++) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->rsa2048, NULL);

		digest(mds[i], "kinko", dg, &dg_len);
		assert_int_equal(mod_pad_pkcs1(mds[i], dg, dg_len, block, sizeof(block)), CKR_OK);
		raw_rsa(k->rsa2048, block, sizeof(block), sig);
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
	keys *k = *state;
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
		digest(cases[i].md, "tls 1.3 client auth", dg, &dg_len);
		assert_int_equal(mod_pad_pss(cases[i].md, cases[i].mgf, cases[i].salt, dg, dg_len,
		                             2048, block, sizeof(block)),
		                 CKR_OK);
		assert_int_equal(block[255], 0xBC);
		assert_int_equal(block[0] & 0x80, 0);
		raw_rsa(k->rsa2048, block, sizeof(block), sig);
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
	keys *k = *state;
	uint8_t dg[32], block[129], sig[129];
	size_t dg_len;

	digest(EVP_sha256(), "odd modulus", dg, &dg_len);
	assert_int_equal(mod_pad_pss(EVP_sha256(), EVP_sha256(), 32, dg, dg_len, 1025, block,
	                             sizeof(block)),
	                 CKR_OK);
	assert_int_equal(block[0], 0x00);
	raw_rsa(k->rsa1025, block, sizeof(block), sig);
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
	keys *k = *state;
	uint8_t dg[32], der[80], raw[64], *der2 = NULL;
	size_t dg_len, der_len = sizeof(der), der2_len = 0;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->p256, NULL);

	digest(EVP_sha256(), "ecdsa", dg, &dg_len);
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

/* 7F49 contents of a software key, as the token would send them. */
static size_t piv_pub(EVP_PKEY *pkey, uint8_t *out, size_t cap)
{
	tlv_writer w;

	tlv_writer_init(&w, out, cap);
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		BIGNUM *n = NULL, *e = NULL;
		uint8_t nb[512], eb[8];
		int nl, el;

		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
		nl = BN_bn2bin(n, nb);
		el = BN_bn2bin(e, eb);
		tlv_put(&w, PIV_TLV_RSA_N, nb, (size_t)nl);
		tlv_put(&w, PIV_TLV_RSA_E, eb, (size_t)el);
		BN_free(n);
		BN_free(e);
	} else {
		uint8_t pt[133];
		size_t pl = 0;

		assert_int_equal(EVP_PKEY_get_octet_string_param(pkey,
		                                                 OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		                                                 pt, sizeof(pt), &pl),
		                 1);
		tlv_put(&w, PIV_TLV_EC_POINT, pt, pl);
	}
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	return w.len;
}

/* What C_Verify checks with: the one 7F49 reader, then OpenSSL's key. */
static EVP_PKEY *pkey_from_piv(uint8_t alg, const uint8_t *buf, size_t len)
{
	card_pubkey pk;

	return card_pubkey_parse(alg, buf, len, &pk) ? mod_parse_pubkey_evp(&pk) : NULL;
}

/* The key a template of key gives for its algorithm alg, and none for another of its type;
 * the template's length. */
static size_t piv_template_gives_the_key(EVP_PKEY *key, uint8_t alg, uint8_t other, uint8_t *buf,
                                         size_t cap)
{
	size_t len = piv_pub(key, buf, cap);
	EVP_PKEY *pk = pkey_from_piv(alg, buf, len);

	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_eq(pk, key), 1);
	EVP_PKEY_free(pk);
	assert_null(pkey_from_piv(other, buf, len));
	return len;
}

static void public_keys_are_built_from_piv_templates(void **state)
{
	keys *k = *state;
	uint8_t buf[600];
	size_t len;

	piv_template_gives_the_key(k->rsa2048, PIV_ALG_RSA2048, PIV_ALG_RSA3072, buf, sizeof(buf));
	len = piv_template_gives_the_key(k->p256, PIV_ALG_ECCP256, PIV_ALG_ECCP384, buf,
	                                 sizeof(buf));
	/* A point moved off the curve, a truncated template, and no template. */
	buf[len - 1] ^= 0x01;
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, buf, len));
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, buf, len - 1));
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, NULL, 0));
}

static void rsa_template_with_even_exponent_is_refused(void **state)
{
	keys *k = *state;
	uint8_t buf[600];
	size_t len = piv_pub(k->rsa2048, buf, sizeof(buf));

	buf[len - 1] &= 0xFE; /* e is the last TLV: make it even */
	assert_null(pkey_from_piv(PIV_ALG_RSA2048, buf, len));
}

/* A card may send the modulus as a DER-style integer, 00 first: the key the attributes
 * show and the key C_Verify checks with are then one and the same. */
static void rsa_template_with_zero_before_modulus_is_one_key_for_attributes_and_verify(void **state)
{
	keys *k = *state;
	uint8_t plain[600], buf[600];
	size_t plain_len = piv_pub(k->rsa2048, plain, sizeof(plain)), len;
	tlv_item n, e;
	tlv_writer w;
	uint8_t nz[257];
	card_pubkey pk;
	EVP_PKEY *attr_key, *verify_key;

	assert_int_equal(tlv_find(plain, plain_len, PIV_TLV_RSA_N, &n), TLV_OK);
	assert_int_equal(tlv_find(plain, plain_len, PIV_TLV_RSA_E, &e), TLV_OK);
	assert_int_equal(n.len, 256);
	nz[0] = 0x00;
	memcpy(nz + 1, n.value, n.len);
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, PIV_TLV_RSA_N, nz, sizeof(nz));
	tlv_put(&w, PIV_TLV_RSA_E, e.value, e.len);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	len = w.len;

	assert_true(card_pubkey_parse(PIV_ALG_RSA2048, buf, len, &pk));
	attr_key = mod_parse_pubkey_evp(&pk);
	verify_key = pkey_from_piv(PIV_ALG_RSA2048, buf, len);
	assert_non_null(attr_key);
	assert_non_null(verify_key);
	assert_int_equal(EVP_PKEY_eq(attr_key, verify_key), 1);
	assert_int_equal(EVP_PKEY_eq(verify_key, k->rsa2048), 1);
	EVP_PKEY_free(attr_key);
	EVP_PKEY_free(verify_key);
}

static CK_RV op_new(CK_MECHANISM_TYPE m, void *param, CK_ULONG param_len, uint8_t alg)
{
	CK_MECHANISM mech = {m, param, param_len};
	mod_sig_op *op = NULL;
	CK_RV rv = mod_sig_op_new(mod_mech_find(m), &mech, alg, PIV_KEY_AUTH, &op);

	mod_sig_op_free(op);
	return rv;
}

static void pss_parameters_must_be_consistent(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, 32};

	(void)state;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	assert_int_equal(op_new(CKM_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	/* The hash of CKM_SHA384_RSA_PKCS_PSS is SHA-384. */
	assert_int_equal(op_new(CKM_SHA384_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* Missing, short, unknown hash, unknown MGF. */
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, NULL, 0, PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p) - 1, PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_MD5;
	assert_int_equal(op_new(CKM_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_SHA256;
	p.mgf = 0x77;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* sLen up to emLen - hLen - 2 = 222 for RSA-2048 with SHA-256, 350 for RSA-3072. */
	p.mgf = CKG_MGF1_SHA1;
	p.sLen = 222;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	p.sLen = 223;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA3072), CKR_OK);
}

static void mechanisms_match_key_types_and_take_no_stray_parameters(void **state)
{
	CK_BYTE junk[4] = {0};

	(void)state;
	assert_int_equal(op_new(CKM_ECDSA, NULL, 0, PIV_ALG_ECCP256), CKR_OK);
	assert_int_equal(op_new(CKM_ECDSA_SHA384, NULL, 0, PIV_ALG_ECCP384), CKR_OK);
	assert_int_equal(op_new(CKM_ECDSA, NULL, 0, PIV_ALG_RSA2048), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS, NULL, 0, PIV_ALG_ECCP256),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS, junk, sizeof(junk), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
}

/* The smallest and largest key of a type among the token's PIV algorithms, in bits. */
static void alg_bits_range(bool rsa, CK_ULONG *min, CK_ULONG *max)
{
	unsigned a;

	*min = (CK_ULONG)-1;
	*max = 0;
	for (a = 0; a < 256; a++) {
		CK_ULONG bits = (CK_ULONG)piv_alg_bytes((uint8_t)a) * 8;

		if (bits == 0 || piv_alg_is_rsa((uint8_t)a) != rsa)
			continue;
		*min = bits < *min ? bits : *min;
		*max = bits > *max ? bits : *max;
	}
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

/* Every step of a scheme is there: signing and verification call them all. */
static void scheme_is_whole(const mod_sig_scheme *s)
{
	assert_non_null(s->params);
	assert_non_null(s->check);
	assert_non_null(s->input);
	assert_non_null(s->encode);
	assert_non_null(s->from_card);
	assert_non_null(s->to_openssl);
	assert_non_null(s->verify_setup);
}

static void every_mechanism_row_is_complete_and_fits_the_token(void **state)
{
	size_t n = 0, i;
	const mod_mech *t = mod_mech_table(&n);
	CK_ULONG min, max;

	(void)state;
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		bool rsa = t[i].key_type == CKK_RSA;
		bool sig = (t[i].info.flags & (CKF_SIGN | CKF_VERIFY)) != 0;

		assert_ptr_equal(mod_mech_find(t[i].type), &t[i]); /* one row per mechanism */
		assert_true(t[i].info.flags & CKF_HW);
		assert_true(rsa || t[i].key_type == CKK_EC);
		/* A signing row says how: a whole scheme for its key type, a known hash. */
		assert_int_equal(sig, t[i].sig != NULL);
		assert_int_equal(sig, mod_mech_signs_with(&t[i], rsa));
		assert_false(mod_mech_signs_with(&t[i], !rsa));
		if (sig) {
			scheme_is_whole(t[i].sig);
			assert_int_equal(t[i].sig == &mod_sig_scheme_ecdsa, !rsa);
			assert_int_equal(t[i].sig->sig_parts, rsa ? 1 : 2);
		}
		if (t[i].hash)
			assert_non_null(mod_pad_md(t[i].hash));
		assert_int_equal(!!(t[i].info.flags & CKF_GENERATE_KEY_PAIR), !sig);
		assert_int_equal(!rsa, !!(t[i].info.flags & CKF_EC_NAMEDCURVE));
		alg_bits_range(rsa, &min, &max);
		assert_int_equal(t[i].info.ulMinKeySize, min);
		assert_int_equal(t[i].info.ulMaxKeySize, max);
	}
	assert_null(mod_mech_find(CKM_SHA1_RSA_PKCS));
}

/* What the card does with a block: raw RSA, or ECDSA answering DER. */
static size_t card_sign_sw(EVP_PKEY *pkey, const uint8_t *block, size_t len, uint8_t *out,
                           size_t cap)
{
	EVP_PKEY_CTX *ctx;
	size_t n = cap;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		raw_rsa(pkey, block, len, out);
		return len;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, out, &n, block, len), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

/* Each signing row through its scheme as C_Sign and C_Verify run it, with a software key in
 * place of the card: the input, the block, the card's answer made PKCS#11's signature, and
 * that signature verified; one bit off and it is not. */
static void every_signing_row_signs_and_verifies_through_its_scheme(void **state)
{
	keys *k = *state;
	size_t n = 0, i, dg_len, in_len, block_len, out_len;
	const mod_mech *t = mod_mech_table(&n);
	uint8_t dg[64], in[MOD_SIG_MAX_KEY_BYTES], block[MOD_SIG_MAX_KEY_BYTES], out[300], sig[256];

	digest(EVP_sha256(), "kinko", dg, &dg_len);
	for (i = 0; i < n; i++) {
		bool rsa = t[i].key_type == CKK_RSA;
		CK_MECHANISM_TYPE hash = t[i].hash ? t[i].hash : CKM_SHA256;
		CK_RSA_PKCS_PSS_PARAMS pss = {hash, CKG_MGF1_SHA256, 20};
		CK_MECHANISM mech = {t[i].type, NULL, 0};
		EVP_PKEY *key = rsa ? k->rsa2048 : k->p256;
		uint8_t alg = rsa ? PIV_ALG_RSA2048 : PIV_ALG_ECCP256;
		const uint8_t *data = t[i].hash ? (const uint8_t *)"kinko" : dg;
		mod_sig_op *op = NULL;
		size_t sig_len;

		if (!t[i].sig)
			continue;
		if (t[i].sig == &mod_sig_scheme_pss) {
			mech.pParameter = &pss;
			mech.ulParameterLen = sizeof(pss);
		}
		assert_int_equal(mod_sig_op_new(&t[i], &mech, alg, PIV_KEY_AUTH, &op), CKR_OK);
		/* Hash mechanisms take the message; the others a SHA-256 digest, which every
		 * single-part mechanism takes (as DigestInfo-less data for CKM_RSA_PKCS). */
		assert_int_equal(mod_sig_op_input(op, false, data, t[i].hash ? 5 : dg_len, in,
		                                  sizeof(in), &in_len),
		                 CKR_OK);
		assert_int_equal(t[i].sig->encode(op, in, in_len, block, &block_len), CKR_OK);
		out_len = card_sign_sw(key, block, block_len, out, sizeof(out));
		sig_len = mod_sig_op_sig_len(op);
		assert_int_equal(sig_len, rsa ? 256 : 64);
		assert_int_equal(t[i].sig->from_card(op, out, out_len, sig), CKR_OK);
		assert_int_equal(EVP_PKEY_up_ref(key), 1);
		op->pkey = key;
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len), CKR_OK);
		sig[sig_len / 2] ^= 0x01;
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len),
		                 CKR_SIGNATURE_INVALID);
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len - 1),
		                 CKR_SIGNATURE_LEN_RANGE);
		mod_sig_op_free(op);
	}
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
		cmocka_unit_test(public_keys_are_built_from_piv_templates),
		cmocka_unit_test(rsa_template_with_even_exponent_is_refused),
		cmocka_unit_test(
			rsa_template_with_zero_before_modulus_is_one_key_for_attributes_and_verify),
		cmocka_unit_test(pss_parameters_must_be_consistent),
		cmocka_unit_test(mechanisms_match_key_types_and_take_no_stray_parameters),
		cmocka_unit_test(hash_and_mgf_constants_name_their_openssl_digests),
		cmocka_unit_test(every_mechanism_row_is_complete_and_fits_the_token),
		cmocka_unit_test(every_signing_row_signs_and_verifies_through_its_scheme),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
