/* Host-side key helpers for the applet tests (see piv_test_keys.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "piv.h"
#include "tlv.h"
#include "piv_test_keys.h"

#define SHA256_LEN 32u

EVP_PKEY *piv_test_keygen(uint8_t alg)
{
	EVP_PKEY *pkey;

	if (piv_alg_is_rsa(alg))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		                         (size_t)(alg == PIV_ALG_RSA2048 ? 2048 : 3072));
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", piv_alg_curve(alg));
	assert_non_null(pkey);
	return pkey;
}

void piv_test_install_key(piv_fixture *f, uint8_t ref, uint8_t alg, uint8_t pin_policy,
                          EVP_PKEY *pkey)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *data = NULL;
	size_t len = 0;
	uint8_t *der;
	int idx = piv_key_slot_index(ref);

	assert_true(idx >= 0);
	ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	assert_non_null(ectx);
	assert_int_equal(OSSL_ENCODER_to_data(ectx, &data, &len), 1);
	OSSL_ENCODER_CTX_free(ectx);
	/* The token frees key buffers with free(). */
	der = malloc(len);
	assert_non_null(der);
	memcpy(der, data, len);
	OPENSSL_clear_free(data, len);
	tok_key_set(&f->st.keys[idx], alg, PIV_ORIGIN_IMPORTED, pin_policy, der, len);
}

static EVP_PKEY *pubkey_from_params(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	assert_non_null(ctx);
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *rsa_pub(const tlv_item *n, const tlv_item *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n->value, (int)n->len, NULL);
	BIGNUM *be = BN_bin2bn(e->value, (int)e->len, NULL);
	OSSL_PARAM *params;
	EVP_PKEY *pkey;

	assert_non_null(bld);
	assert_non_null(bn);
	assert_non_null(be);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	pkey = pubkey_from_params("RSA", params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

static EVP_PKEY *ec_pub(uint8_t alg, const tlv_item *point)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)piv_alg_curve(alg), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point->value,
	                                              point->len);
	params[2] = OSSL_PARAM_construct_end();
	return pubkey_from_params("EC", params);
}

/* Strict: exactly the TLVs of the algorithm, each once, nothing else. A private
 * component slipping into the template fails here. */
EVP_PKEY *piv_test_pubkey_from_contents(uint8_t alg, const uint8_t *buf, size_t len)
{
	tlv_iter it;
	tlv_item item, n = {0}, e = {0}, point = {0};
	tlv_status s;
	unsigned count = 0;

	tlv_iter_init(&it, buf, len);
	while ((s = tlv_iter_next(&it, &item)) == TLV_OK) {
		count++;
		if (piv_alg_is_rsa(alg) && item.tag == PIV_TLV_RSA_N && n.value == NULL)
			n = item;
		else if (piv_alg_is_rsa(alg) && item.tag == PIV_TLV_RSA_E && e.value == NULL)
			e = item;
		else if (!piv_alg_is_rsa(alg) && item.tag == PIV_TLV_EC_POINT &&
		         point.value == NULL)
			point = item;
		else
			fail_msg("unexpected tag %x in public key template", (unsigned)item.tag);
	}
	assert_int_equal(s, TLV_END);
	if (piv_alg_is_rsa(alg)) {
		assert_int_equal(count, 2);
		assert_int_equal(n.len, alg == PIV_ALG_RSA2048 ? 256 : 384);
		return rsa_pub(&n, &e);
	}
	assert_int_equal(count, 1);
	assert_int_equal(point.len, alg == PIV_ALG_ECCP256 ? 65 : 97);
	return ec_pub(alg, &point);
}

EVP_PKEY *piv_test_pubkey_from_template(uint8_t alg, const uint8_t *buf, size_t len)
{
	tlv_item outer;

	assert_int_equal(tlv_parse(buf, len, &outer), TLV_OK);
	assert_int_equal(outer.tag, PIV_TLV_PUBKEY);
	assert_int_equal(outer.header_len + outer.len, len);
	return piv_test_pubkey_from_contents(alg, outer.value, outer.len);
}

bool piv_test_same_public(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

/* GENERAL AUTHENTICATE with a hex data field. */
uint16_t piv_test_ga(piv_fixture *f, uint8_t alg, uint8_t ref, const char *hex)
{
	uint8_t data[512];
	size_t n = piv_hex_decode(hex, data, sizeof(data));

	return piv_send(f, 0x00, PIV_INS_GENERAL_AUTH, alg, ref, data, n, 256, false);
}

void piv_test_each_ga_answers(piv_fixture *f, uint8_t alg, uint8_t ref, uint16_t sw,
                              const char *const *fields)
{
	for (; *fields != NULL; fields++) {
		uint16_t got = piv_test_ga(f, alg, ref, *fields);

		if (got != sw || f->resp_len != 0)
			fail_msg("'%s' gave %04x with %zu bytes, not %04x alone", *fields, got,
			         f->resp_len, sw);
	}
}

/* 7C { t1 v1 [, t2 v2] } with n-byte values. */
uint16_t piv_test_ga_items(piv_fixture *f, uint8_t alg, uint8_t ref, uint8_t t1, const uint8_t *v1,
                           size_t n1, uint8_t t2, const uint8_t *v2, size_t n2)
{
	uint8_t data[512];
	tlv_writer w;
	size_t mark;

	tlv_writer_init(&w, data, sizeof(data));
	mark = tlv_begin(&w, PIV_TLV_DYN_AUTH);
	tlv_put(&w, t1, v1, n1);
	if (t2 != 0)
		tlv_put(&w, t2, v2, n2);
	tlv_end(&w, mark);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	return piv_send_all(f, PIV_INS_GENERAL_AUTH, alg, ref, data, w.len, false);
}

uint16_t piv_test_sign(piv_fixture *f, uint8_t alg, uint8_t ref, const uint8_t *in, size_t len,
                       uint8_t *sig, size_t cap, size_t *sig_len)
{
	const uint8_t *v;
	size_t vlen;

	if (piv_test_ga_items(f, alg, ref, PIV_TLV_RESPONSE, NULL, 0, PIV_TLV_CHALLENGE, in, len) !=
	    SW_OK)
		return f->sw;
	piv_test_dyn_auth_item(f, PIV_TLV_RESPONSE, &v, &vlen);
	if (sig != NULL) {
		assert_true(vlen <= cap);
		memcpy(sig, v, vlen);
		*sig_len = vlen;
	}
	return SW_OK;
}

void piv_test_sign_answers(piv_fixture *f, uint8_t alg, uint8_t ref, const uint8_t *in, size_t len,
                           uint16_t sw)
{
	assert_int_equal(piv_test_sign(f, alg, ref, in, len, NULL, 0, NULL), sw);
}

bool piv_test_rsa_raw_check(EVP_PKEY *pub, const uint8_t *sig, size_t sig_len, const uint8_t *m,
                            size_t m_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	uint8_t out[512];
	size_t out_len = sizeof(out);
	bool ok;

	assert_non_null(ctx);
	ok = EVP_PKEY_verify_recover_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
	     EVP_PKEY_verify_recover(ctx, out, &out_len, sig, sig_len) > 0 && out_len == m_len &&
	     memcmp(out, m, m_len) == 0;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

void piv_test_pkcs1_encode(const uint8_t digest[32], uint8_t *block, size_t k)
{
	/* DigestInfo prefix for SHA-256 (RFC 8017 9.2, note 1). */
	static const uint8_t prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                                 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	size_t t_len = sizeof(prefix) + SHA256_LEN;

	assert_true(k >= t_len + 11);
	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xFF, k - t_len - 3);
	block[k - t_len - 1] = 0x00;
	memcpy(block + k - t_len, prefix, sizeof(prefix));
	memcpy(block + k - SHA256_LEN, digest, SHA256_LEN);
}

static void sha256(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

/* MGF1 with SHA-256, XORed into buf. */
static void mgf1_xor(const uint8_t *seed, size_t seed_len, uint8_t *buf, size_t len)
{
	uint8_t h[SHA256_LEN], ctr[4];
	uint32_t c = 0;
	size_t off = 0;

	while (off < len) {
		size_t i;

		ctr[0] = (uint8_t)(c >> 24);
		ctr[1] = (uint8_t)(c >> 16);
		ctr[2] = (uint8_t)(c >> 8);
		ctr[3] = (uint8_t)c;
		sha256(seed, seed_len, ctr, sizeof(ctr), h);
		for (i = 0; i < SHA256_LEN && off < len; i++, off++)
			buf[off] ^= h[i];
		c++;
	}
}

void piv_test_pss_encode(const uint8_t digest[32], uint8_t *block, size_t k, size_t mod_bits)
{
	size_t em_bits = mod_bits - 1, em_len = (em_bits + 7) / 8, s_len = SHA256_LEN;
	size_t db_len = em_len - SHA256_LEN - 1;
	uint8_t mprime[8 + 2 * SHA256_LEN], h[SHA256_LEN];
	uint8_t *em = block + (k - em_len);

	assert_true(em_len <= k && em_len >= SHA256_LEN + s_len + 2);
	memset(block, 0, k);
	memset(mprime, 0, 8);
	memcpy(mprime + 8, digest, SHA256_LEN);
	assert_int_equal(RAND_bytes(mprime + 8 + SHA256_LEN, (int)s_len), 1);
	sha256(mprime, sizeof(mprime), NULL, 0, h);

	/* DB = PS || 01 || salt, masked; then H and BC. */
	em[db_len - s_len - 1] = 0x01;
	memcpy(em + db_len - s_len, mprime + 8 + SHA256_LEN, s_len);
	mgf1_xor(h, sizeof(h), em, db_len);
	em[0] &= (uint8_t)(0xFF >> (8 * em_len - em_bits));
	memcpy(em + db_len, h, SHA256_LEN);
	em[em_len - 1] = 0xBC;
}

static bool verify_digest(EVP_PKEY *pub, int padding, const uint8_t *digest, size_t dlen,
                          const uint8_t *sig, size_t len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	bool ok;

	assert_non_null(ctx);
	ok = EVP_PKEY_verify_init(ctx) > 0;
	if (ok && padding != 0) {
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, padding) > 0 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0;
		if (ok && padding == RSA_PKCS1_PSS_PADDING)
			ok = EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)SHA256_LEN) > 0 &&
			     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0;
	}
	ok = ok && EVP_PKEY_verify(ctx, sig, len, digest, dlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

bool piv_test_verify_pkcs1(EVP_PKEY *pub, const uint8_t *digest, const uint8_t *sig, size_t len)
{
	return verify_digest(pub, RSA_PKCS1_PADDING, digest, SHA256_LEN, sig, len);
}

bool piv_test_verify_pss(EVP_PKEY *pub, const uint8_t *digest, const uint8_t *sig, size_t len)
{
	return verify_digest(pub, RSA_PKCS1_PSS_PADDING, digest, SHA256_LEN, sig, len);
}

bool piv_test_verify_ecdsa(EVP_PKEY *pub, const uint8_t *digest, size_t dlen, const uint8_t *sig,
                           size_t len)
{
	return verify_digest(pub, 0, digest, dlen, sig, len);
}

void piv_test_ecdsa_signs(piv_fixture *f, uint8_t ref, uint8_t alg, EVP_PKEY *pub,
                          const uint8_t *digest)
{
	uint8_t sig[160], other[48];
	size_t dlen = alg == PIV_ALG_ECCP256 ? 32 : 48, sig_len = 0;

	assert_int_equal(piv_test_sign(f, alg, ref, digest, dlen, sig, sizeof(sig), &sig_len),
	                 SW_OK);
	assert_true(piv_test_verify_ecdsa(pub, digest, dlen, sig, sig_len));
	memcpy(other, digest, dlen);
	other[dlen - 1] ^= 1;
	assert_false(piv_test_verify_ecdsa(pub, other, dlen, sig, sig_len));
}

void piv_test_rsa_signs(piv_fixture *f, uint8_t ref, uint8_t alg, EVP_PKEY *pub,
                        const uint8_t digest[32], bool pss)
{
	uint8_t block[384], sig[512];
	size_t k = alg == PIV_ALG_RSA2048 ? 256 : 384, sig_len = 0;

	if (pss)
		piv_test_pss_encode(digest, block, k, 8 * k);
	else
		piv_test_pkcs1_encode(digest, block, k);
	assert_int_equal(piv_test_sign(f, alg, ref, block, k, sig, sizeof(sig), &sig_len), SW_OK);
	assert_int_equal(sig_len, k);
	assert_true(pss ? piv_test_verify_pss(pub, digest, sig, sig_len) :
	                  piv_test_verify_pkcs1(pub, digest, sig, sig_len));
}
