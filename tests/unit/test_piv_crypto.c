/* Unit tests of the firmware's crypto primitives, checked against OpenSSL used directly:
 * key generation and the 7F49 template, raw RSA, ECDSA, ECDH, the management key block
 * cipher (FIPS-197 / SP 800-67 vectors). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "piv.h"
#include "piv_crypto.h"
#include "tlv.h"

static const uint8_t ALGS[4] = {PIV_ALG_RSA2048, PIV_ALG_RSA3072, PIV_ALG_ECCP256, PIV_ALG_ECCP384};

/* One generated key per algorithm, shared by the tests (RSA generation is slow). */
typedef struct {
	uint8_t alg;
	uint8_t *der;
	size_t der_len;
	uint8_t tmpl[1024];
	size_t tmpl_len;
} gen_key;

static gen_key KEYS[4];

static gen_key *key_for(uint8_t alg)
{
	for (size_t i = 0; i < 4; i++) {
		if (KEYS[i].alg == alg)
			return &KEYS[i];
	}
	fail_msg("no key for alg %02x", alg);
	return NULL;
}

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		tlv_writer w;

		KEYS[i].alg = ALGS[i];
		tlv_writer_init(&w, KEYS[i].tmpl, sizeof(KEYS[i].tmpl));
		if (piv_crypto_generate(ALGS[i], &KEYS[i].der, &KEYS[i].der_len, &w) != 0)
			return -1;
		KEYS[i].tmpl_len = w.len;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		OPENSSL_cleanse(KEYS[i].der, KEYS[i].der_len);
		free(KEYS[i].der);
	}
	return 0;
}

/* The contents of the 7F49 template, which must fill the buffer exactly. */
static void template_contents(const gen_key *k, tlv_item *inner)
{
	assert_int_equal(tlv_parse(k->tmpl, k->tmpl_len, inner), TLV_OK);
	assert_int_equal(inner->tag, PIV_TLV_PUBKEY);
	assert_int_equal(inner->header_len + inner->len, k->tmpl_len);
}

/* A public EVP_PKEY rebuilt from the template alone. */
static EVP_PKEY *pubkey_from_template(const gen_key *k)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	tlv_item inner, a, b;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *bparams = NULL;

	template_contents(k, &inner);
	if (k->alg == PIV_ALG_RSA2048 || k->alg == PIV_ALG_RSA3072) {
		assert_int_equal(tlv_find(inner.value, inner.len, PIV_TLV_RSA_N, &a), TLV_OK);
		assert_int_equal(tlv_find(inner.value, inner.len, PIV_TLV_RSA_E, &b), TLV_OK);
		assert_int_equal(a.len, piv_alg_bytes(k->alg));
		assert_true(a.value[0] != 0);
		assert_int_equal(b.len, 3);
		assert_memory_equal(b.value, "\x01\x00\x01", 3);
		n = BN_bin2bn(a.value, (int)a.len, NULL);
		e = BN_bin2bn(b.value, (int)b.len, NULL);
		bld = OSSL_PARAM_BLD_new();
		assert_non_null(bld);
		assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
		assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
		bparams = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
		assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
		assert_true(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, bparams) > 0);
		OSSL_PARAM_free(bparams);
		OSSL_PARAM_BLD_free(bld);
		BN_free(n);
		BN_free(e);
	} else {
		assert_int_equal(tlv_find(inner.value, inner.len, PIV_TLV_EC_POINT, &a), TLV_OK);
		assert_int_equal(a.len, 1 + 2 * piv_alg_bytes(k->alg));
		assert_int_equal(a.value[0], 0x04);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		                                             k->alg == PIV_ALG_ECCP256 ? "P-256" :
		                                                                         "P-384",
		                                             0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
		                                              (void *)a.value, a.len);
		params[2] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
		assert_true(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0);
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *privkey_from_der(const gen_key *k)
{
	const unsigned char *p = k->der;
	EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)k->der_len);

	assert_non_null(pkey);
	return pkey;
}

/* ---- generation and the public template ---- */

/* The algorithms a table-driven test runs for, one row each (the test's prestate). */
static uint8_t alg_rsa2048 = PIV_ALG_RSA2048, alg_rsa3072 = PIV_ALG_RSA3072,
	       alg_p256 = PIV_ALG_ECCP256, alg_p384 = PIV_ALG_ECCP384;

static void generated_template_matches_private_key(void **state)
{
	uint8_t alg = *(const uint8_t *)*state;
	gen_key *k = key_for(alg);
	EVP_PKEY *pub = pubkey_from_template(k), *priv = privkey_from_der(k);
	uint8_t again[1024];
	tlv_writer w;

	/* The template describes the private key's public half ... */
	assert_int_equal(EVP_PKEY_eq(pub, priv), 1);
	/* ... and piv_crypto_public rebuilds it byte for byte from the stored DER. */
	tlv_writer_init(&w, again, sizeof(again));
	assert_int_equal(piv_crypto_public(alg, k->der, k->der_len, &w), 0);
	assert_int_equal(w.len, k->tmpl_len);
	assert_memory_equal(again, k->tmpl, k->tmpl_len);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void generated_der_is_pkcs8(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		const unsigned char *p = KEYS[i].der;
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)KEYS[i].der_len);

		assert_non_null(p8);
		assert_ptr_equal(p, KEYS[i].der + KEYS[i].der_len);
		PKCS8_PRIV_KEY_INFO_free(p8);
	}
}

static void generate_refuses_unknown_alg_and_small_writer(void **state)
{
	uint8_t *der = NULL, small[16];
	size_t der_len = 0;
	tlv_writer w;

	(void)state;
	tlv_writer_init(&w, small, sizeof(small));
	assert_int_equal(piv_crypto_generate(PIV_ALG_3DES, &der, &der_len, &w), -EINVAL);
	assert_null(der);
	assert_int_equal(piv_crypto_generate(0x99, &der, &der_len, &w), -EINVAL);
	assert_int_equal(piv_crypto_generate(PIV_ALG_ECCP256, &der, &der_len, &w), -ENOSPC);
	assert_null(der);
}

static void public_refuses_key_of_other_alg_or_garbage(void **state)
{
	gen_key *p256 = key_for(PIV_ALG_ECCP256), *rsa = key_for(PIV_ALG_RSA2048);
	uint8_t buf[1024], junk[40];
	tlv_writer w;

	(void)state;
	memset(junk, 0x30, sizeof(junk));
	tlv_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(piv_crypto_public(PIV_ALG_ECCP384, p256->der, p256->der_len, &w), -EINVAL);
	assert_int_equal(piv_crypto_public(PIV_ALG_RSA3072, rsa->der, rsa->der_len, &w), -EINVAL);
	assert_int_equal(piv_crypto_public(PIV_ALG_ECCP256, rsa->der, rsa->der_len, &w), -EINVAL);
	assert_int_equal(piv_crypto_public(PIV_ALG_ECCP256, junk, sizeof(junk), &w), -EINVAL);
	/* trailing bytes after the DER are refused too */
	assert_int_equal(piv_crypto_public(PIV_ALG_RSA2048, rsa->der, rsa->der_len - 1, &w),
	                 -EINVAL);
	assert_int_equal(w.len, 0);
}

/* ---- signing ---- */

/* Signing len bytes of in with key k as algorithm alg is refused as invalid; returns the
 * output length the refusal left. */
static size_t sign_refused(uint8_t alg, const gen_key *k, const uint8_t *in, size_t len)
{
	uint8_t out[512];
	size_t out_len = 99;

	assert_int_equal(piv_crypto_sign(alg, k->der, k->der_len, in, len, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	return out_len;
}

static void raw_rsa_sign_inverts_public_operation(void **state)
{
	uint8_t alg = *(const uint8_t *)*state;
	gen_key *k = key_for(alg);
	size_t mod = piv_alg_bytes(alg), out_len = 0, rec_len;
	uint8_t in[384], out[512], rec[512];
	EVP_PKEY *pub = pubkey_from_template(k);
	EVP_PKEY_CTX *ctx;

	/* A PKCS#1 v1.5 type 1 block as a host would build it: 00 01 FF.. 00 payload */
	memset(in, 0xFF, mod);
	in[0] = 0x00;
	in[1] = 0x01;
	in[mod - 33] = 0x00;
	memset(in + mod - 32, 0xA5, 32);
	assert_int_equal(piv_crypto_sign(alg, k->der, k->der_len, in, mod, out, sizeof(out),
	                                 &out_len),
	                 0);
	assert_int_equal(out_len, mod);

	/* the public operation gives the block back */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	assert_true(EVP_PKEY_verify_recover_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	rec_len = sizeof(rec);
	assert_true(EVP_PKEY_verify_recover(ctx, rec, &rec_len, out, out_len) > 0);
	assert_int_equal(rec_len, mod);
	assert_memory_equal(rec, in, mod);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
}

static void rsa_input_of_wrong_length_is_refused(void **state)
{
	gen_key *k = key_for(PIV_ALG_RSA2048);
	uint8_t in[257];

	(void)state;
	memset(in, 0x01, sizeof(in));
	assert_int_equal(sign_refused(k->alg, k, in, 255), 0); /* no output */
	sign_refused(k->alg, k, in, 257);
	sign_refused(k->alg, k, in, 0);
}

static void rsa_input_not_below_modulus_is_refused(void **state)
{
	gen_key *k = key_for(PIV_ALG_RSA2048);
	uint8_t in[256], out[512];
	size_t out_len;
	tlv_item inner, n;

	(void)state;
	template_contents(k, &inner);
	assert_int_equal(tlv_find(inner.value, inner.len, PIV_TLV_RSA_N, &n), TLV_OK);
	memcpy(in, n.value, 256); /* == n */
	sign_refused(k->alg, k, in, 256);
	memset(in, 0xFF, sizeof(in)); /* > n */
	sign_refused(k->alg, k, in, 256);
	memcpy(in, n.value, 256); /* n - 1 is fine (n is odd) */
	in[255]--;
	assert_int_equal(piv_crypto_sign(k->alg, k->der, k->der_len, in, 256, out, sizeof(out),
	                                 &out_len),
	                 0);
}

/* A cache entry must follow the key bytes: after a slot's key is replaced (even at the same
 * address), signatures come from the new key. */
static void key_cache_serves_the_current_key_only(void **state)
{
	gen_key *a = key_for(PIV_ALG_ECCP256), *b;
	uint8_t digest[32], out[512], *same;
	size_t out_len = 0;
	piv_key_cache cache = {0};
	EVP_PKEY *pub_b;
	EVP_PKEY_CTX *ctx;
	uint8_t *der_b = NULL;
	size_t der_b_len = 0;
	uint8_t tmpl[600];
	tlv_writer w;

	(void)state;
	assert_int_equal(piv_crypto_random(digest, sizeof(digest)), 0);
	assert_int_equal(piv_crypto_sign_cached(&cache, a->alg, a->der, a->der_len, digest, 32, out,
	                                        sizeof(out), &out_len),
	                 0);
	assert_non_null(cache.pkey);
	/* a second key replaces the first in the same entry */
	tlv_writer_init(&w, tmpl, sizeof(tmpl));
	assert_int_equal(piv_crypto_generate(PIV_ALG_ECCP256, &der_b, &der_b_len, &w), 0);
	same = malloc(der_b_len > a->der_len ? der_b_len : a->der_len);
	assert_non_null(same);
	memcpy(same, der_b, der_b_len);
	assert_int_equal(piv_crypto_sign_cached(&cache, PIV_ALG_ECCP256, same, der_b_len, digest,
	                                        32, out, sizeof(out), &out_len),
	                 0);
	b = &(gen_key){.alg = PIV_ALG_ECCP256};
	memcpy(b->tmpl, tmpl, w.len);
	b->tmpl_len = w.len;
	pub_b = pubkey_from_template(b);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub_b, NULL);
	assert_true(EVP_PKEY_verify_init(ctx) > 0);
	assert_int_equal(EVP_PKEY_verify(ctx, out, out_len, digest, 32), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub_b);
	piv_key_cache_clear(&cache);
	assert_null(cache.pkey);
	assert_null(cache.der);
	OPENSSL_clear_free(same, der_b_len);
	OPENSSL_clear_free(der_b, der_b_len);
}

static void ecdsa_signature_verifies(void **state)
{
	uint8_t alg = *(const uint8_t *)*state;
	gen_key *k = key_for(alg);
	size_t dlen = piv_alg_bytes(alg), out_len = 0;
	uint8_t digest[48], out[512];
	EVP_PKEY *pub = pubkey_from_template(k);
	EVP_PKEY_CTX *ctx;

	assert_int_equal(piv_crypto_random(digest, dlen), 0);
	assert_int_equal(piv_crypto_sign(alg, k->der, k->der_len, digest, dlen, out, sizeof(out),
	                                 &out_len),
	                 0);
	assert_true(out_len > 8 && out_len <= 2 * dlen + 9);
	assert_int_equal(out[0], 0x30); /* DER SEQUENCE { r, s } */

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	assert_true(EVP_PKEY_verify_init(ctx) > 0);
	assert_int_equal(EVP_PKEY_verify(ctx, out, out_len, digest, dlen), 1);
	digest[0] ^= 1;
	assert_int_not_equal(EVP_PKEY_verify(ctx, out, out_len, digest, dlen), 1);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
}

static void ecdsa_digest_of_wrong_length_is_refused(void **state)
{
	gen_key *p256 = key_for(PIV_ALG_ECCP256), *p384 = key_for(PIV_ALG_ECCP384);
	uint8_t d[64] = {0};

	(void)state;
	sign_refused(p256->alg, p256, d, 31);
	sign_refused(p256->alg, p256, d, 33);
	sign_refused(p256->alg, p256, d, 48);
	sign_refused(p384->alg, p384, d, 32);
	sign_refused(p384->alg, p384, d, 64);
}

static void sign_with_key_of_other_alg_is_refused(void **state)
{
	gen_key *p256 = key_for(PIV_ALG_ECCP256), *rsa = key_for(PIV_ALG_RSA2048);
	uint8_t d[256] = {0};

	(void)state;
	sign_refused(PIV_ALG_RSA2048, p256, d, 256);
	sign_refused(PIV_ALG_ECCP256, rsa, d, 32);
	sign_refused(PIV_ALG_AES128, p256, d, 16);
}

static void sign_into_small_buffer_is_refused(void **state)
{
	gen_key *p256 = key_for(PIV_ALG_ECCP256), *rsa = key_for(PIV_ALG_RSA2048);
	uint8_t d[256] = {0}, out[512];
	size_t out_len;

	(void)state;
	assert_int_equal(piv_crypto_sign(rsa->alg, rsa->der, rsa->der_len, d, 256, out, 255,
	                                 &out_len),
	                 -ENOSPC);
	assert_int_equal(piv_crypto_sign(p256->alg, p256->der, p256->der_len, d, 32, out, 40,
	                                 &out_len),
	                 -ENOSPC);
}

/* ---- ECDH ---- */

static const uint8_t *template_point(const gen_key *k, size_t *len)
{
	tlv_item inner, pt;

	template_contents(k, &inner);
	assert_int_equal(tlv_find(inner.value, inner.len, PIV_TLV_EC_POINT, &pt), TLV_OK);
	*len = pt.len;
	return pt.value;
}

static void ecdh_of_two_keys_agrees(void **state)
{
	gen_key *a = key_for(PIV_ALG_ECCP256), b = {.alg = PIV_ALG_ECCP256};
	uint8_t s1[64], s2[64];
	size_t l1 = 0, l2 = 0, pa_len, pb_len;
	const uint8_t *pa, *pb;
	tlv_writer w;

	(void)state;
	tlv_writer_init(&w, b.tmpl, sizeof(b.tmpl));
	assert_int_equal(piv_crypto_generate(b.alg, &b.der, &b.der_len, &w), 0);
	b.tmpl_len = w.len;
	pa = template_point(a, &pa_len);
	pb = template_point(&b, &pb_len);

	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, pb, pb_len, s1, sizeof(s1),
	                                 &l1),
	                 0);
	assert_int_equal(piv_crypto_ecdh(b.alg, b.der, b.der_len, pa, pa_len, s2, sizeof(s2), &l2),
	                 0);
	assert_int_equal(l1, 32);
	assert_int_equal(l2, 32);
	assert_memory_equal(s1, s2, 32);
	OPENSSL_cleanse(b.der, b.der_len);
	free(b.der);
}

static void ecdh_refuses_bad_peer_point(void **state)
{
	gen_key *a = key_for(PIV_ALG_ECCP256), *p384 = key_for(PIV_ALG_ECCP384);
	gen_key *rsa = key_for(PIV_ALG_RSA2048);
	uint8_t pt[97], out[64];
	size_t len, out_len;
	const uint8_t *own = template_point(a, &len);

	(void)state;
	memcpy(pt, own, len);
	pt[len - 1] ^= 0x01; /* off the curve */
	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, pt, len, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	memcpy(pt, own, len);
	pt[0] = 0x02; /* not the uncompressed form */
	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, pt, len, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	pt[0] = 0x04;
	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, pt, len - 1, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04; /* (0,0) */
	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, pt, len, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	/* a P-384 point against a P-256 key, and ECDH with an RSA key */
	own = template_point(p384, &len);
	assert_int_equal(piv_crypto_ecdh(a->alg, a->der, a->der_len, own, len, out, sizeof(out),
	                                 &out_len),
	                 -EINVAL);
	assert_int_equal(piv_crypto_ecdh(rsa->alg, rsa->der, rsa->der_len, own, len, out,
	                                 sizeof(out), &out_len),
	                 -EINVAL);
}

/* ---- management key block cipher ---- */

static void check_block(uint8_t alg, const char *key_hex, const char *pt_hex, const char *ct_hex)
{
	uint8_t key[32], pt[16], ct[16], out[16];
	long klen, plen, clen;
	unsigned char *k = OPENSSL_hexstr2buf(key_hex, &klen);
	unsigned char *p = OPENSSL_hexstr2buf(pt_hex, &plen);
	unsigned char *c = OPENSSL_hexstr2buf(ct_hex, &clen);

	assert_non_null(k);
	assert_non_null(p);
	assert_non_null(c);
	assert_int_equal((size_t)klen, piv_alg_mgmt_key_len(alg));
	assert_int_equal((size_t)plen, piv_alg_mgmt_block(alg));
	memcpy(key, k, (size_t)klen);
	memcpy(pt, p, (size_t)plen);
	memcpy(ct, c, (size_t)clen);
	assert_int_equal(piv_crypto_block(alg, key, 1, pt, out), 0);
	assert_memory_equal(out, ct, (size_t)plen);
	assert_int_equal(piv_crypto_block(alg, key, 0, ct, out), 0);
	assert_memory_equal(out, pt, (size_t)plen);
	OPENSSL_free(k);
	OPENSSL_free(p);
	OPENSSL_free(c);
}

static void aes_block_matches_fips197_vectors(void **state)
{
	(void)state;
	/* FIPS-197 appendix C.1-C.3 */
	check_block(PIV_ALG_AES128, "000102030405060708090a0b0c0d0e0f",
	            "00112233445566778899aabbccddeeff", "69c4e0d86a7b0430d8cdb78070b4c55a");
	check_block(PIV_ALG_AES192, "000102030405060708090a0b0c0d0e0f1011121314151617",
	            "00112233445566778899aabbccddeeff", "dda97ca4864cdfe06eaf70a0ec0d7191");
	check_block(PIV_ALG_AES256,
	            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	            "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089");
}

static void tdes_block_matches_sp800_67_vector(void **state)
{
	(void)state;
	/* SP 800-67 rev. 1 example: first block "The qufc" */
	check_block(PIV_ALG_3DES, "0123456789abcdef23456789abcdef01456789abcdef0123",
	            "5468652071756663", "a826fd8ce53b855f");
}

static void block_refuses_unknown_alg(void **state)
{
	uint8_t key[32] = {0}, in[16] = {0}, out[16];

	(void)state;
	assert_int_equal(piv_crypto_block(PIV_ALG_RSA2048, key, 1, in, out), -EINVAL);
	assert_int_equal(piv_alg_mgmt_block(PIV_ALG_ECCP256), 0);
	assert_int_equal(piv_alg_mgmt_key_len(0x99), 0);
	assert_int_equal(piv_alg_mgmt_block(PIV_ALG_3DES), 8);
	assert_int_equal(piv_alg_mgmt_block(PIV_ALG_AES256), 16);
	assert_int_equal(piv_alg_mgmt_key_len(PIV_ALG_3DES), 24);
	assert_int_equal(piv_alg_mgmt_key_len(PIV_ALG_AES128), 16);
	assert_int_equal(piv_alg_mgmt_key_len(PIV_ALG_AES192), 24);
	assert_int_equal(piv_alg_mgmt_key_len(PIV_ALG_AES256), 32);
	assert_int_equal(piv_alg_bytes(PIV_ALG_AES256), 0);
}

static void random_fills_and_differs(void **state)
{
	uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};

	(void)state;
	assert_int_equal(piv_crypto_random(a, sizeof(a)), 0);
	assert_int_equal(piv_crypto_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(piv_crypto_random(NULL, 0), 0);
}

/* One row of a table-driven test, named by the behaviour the row pins. */
#define ALG_ROW(name, t, alg)              \
	{                                  \
#name, t, NULL, NULL, &alg \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ALG_ROW(generate_rsa2048_template_matches_private_key,
	                generated_template_matches_private_key, alg_rsa2048),
		ALG_ROW(generate_rsa3072_template_matches_private_key,
	                generated_template_matches_private_key, alg_rsa3072),
		ALG_ROW(generate_p256_template_matches_private_key,
	                generated_template_matches_private_key, alg_p256),
		ALG_ROW(generate_p384_template_matches_private_key,
	                generated_template_matches_private_key, alg_p384),
		cmocka_unit_test(generated_der_is_pkcs8),
		cmocka_unit_test(generate_refuses_unknown_alg_and_small_writer),
		cmocka_unit_test(public_refuses_key_of_other_alg_or_garbage),
		ALG_ROW(rsa2048_raw_sign_inverts_public_operation,
	                raw_rsa_sign_inverts_public_operation, alg_rsa2048),
		ALG_ROW(rsa3072_raw_sign_inverts_public_operation,
	                raw_rsa_sign_inverts_public_operation, alg_rsa3072),
		cmocka_unit_test(rsa_input_of_wrong_length_is_refused),
		cmocka_unit_test(rsa_input_not_below_modulus_is_refused),
		ALG_ROW(p256_ecdsa_signature_verifies, ecdsa_signature_verifies, alg_p256),
		ALG_ROW(p384_ecdsa_signature_verifies, ecdsa_signature_verifies, alg_p384),
		cmocka_unit_test(ecdsa_digest_of_wrong_length_is_refused),
		cmocka_unit_test(sign_with_key_of_other_alg_is_refused),
		cmocka_unit_test(key_cache_serves_the_current_key_only),
		cmocka_unit_test(sign_into_small_buffer_is_refused),
		cmocka_unit_test(ecdh_of_two_keys_agrees),
		cmocka_unit_test(ecdh_refuses_bad_peer_point),
		cmocka_unit_test(aes_block_matches_fips197_vectors),
		cmocka_unit_test(tdes_block_matches_sp800_67_vector),
		cmocka_unit_test(block_refuses_unknown_alg),
		cmocka_unit_test(random_fills_and_differs),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
