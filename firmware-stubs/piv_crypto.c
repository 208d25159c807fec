/* The firmware's cryptographic primitives on OpenSSL 3 EVP: key generation, the public key
 * template, raw RSA / ECDSA / ECDH with a stored PKCS#8 key, the management key block
 * cipher and the random generator. */
#include "piv_crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "piv.h"

#define PIV_CRYPTO_MAX_MOD 384u /* RSA-3072 */

/* Is pkey a key of the PIV algorithm alg (type, modulus size or curve)? */
static int piv_crypto_key_matches(EVP_PKEY *pkey, uint8_t alg)
{
	char group[64];
	size_t glen = 0;

	if (piv_alg_is_rsa(alg))
		return EVP_PKEY_is_a(pkey, "RSA") &&
		       (size_t)EVP_PKEY_get_bits(pkey) == piv_alg_bytes(alg) * 8;
	if (piv_alg_curve(alg) == NULL || !EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    &glen))
		return 0;
	if (alg == PIV_ALG_ECCP256)
		return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
	return strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0;
}

/* Parse a stored PKCS#8 key and check it is of the expected algorithm. */
static EVP_PKEY *piv_crypto_load(uint8_t alg, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	pkey = d2i_AutoPrivateKey_ex(NULL, &p, (long)len, NULL, NULL);
	if (pkey != NULL && (p != der + len || !piv_crypto_key_matches(pkey, alg))) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL)
		ERR_clear_error(); /* a refused input is not a library error to report later */
	return pkey;
}

void piv_key_cache_clear(piv_key_cache *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->pkey);
	if (c->der != NULL)
		OPENSSL_clear_free(c->der, c->len);
	memset(c, 0, sizeof(*c));
}

/* The parsed key: from the cache when it holds exactly these bytes, else parsed (and, with a
 * cache, remembered). *owned tells the caller to free the key itself. */
static EVP_PKEY *piv_crypto_key(piv_key_cache *c, uint8_t alg, const uint8_t *der, size_t len,
                                bool *owned)
{
	EVP_PKEY *pkey;
	uint8_t *copy;

	*owned = false;
	if (c != NULL && c->pkey != NULL && c->alg == alg && c->len == len && der != NULL &&
	    CRYPTO_memcmp(c->der, der, len) == 0)
		return c->pkey;
	pkey = piv_crypto_load(alg, der, len);
	if (pkey == NULL)
		return NULL;
	if (c == NULL || (copy = OPENSSL_malloc(len)) == NULL) {
		*owned = true;
		return pkey;
	}
	memcpy(copy, der, len);
	piv_key_cache_clear(c);
	c->der = copy;
	c->len = len;
	c->alg = alg;
	c->pkey = pkey;
	return pkey;
}

/* The RSA modulus as exactly key_bytes(alg) big-endian bytes. */
static int piv_crypto_rsa_modulus(EVP_PKEY *pkey, uint8_t alg, uint8_t *out)
{
	size_t mod = piv_alg_bytes(alg);
	BIGNUM *n = NULL;
	int ok;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n))
		return -EIO;
	ok = (size_t)BN_num_bytes(n) == mod && BN_bn2binpad(n, out, (int)mod) == (int)mod;
	BN_free(n);
	return ok ? 0 : -EIO;
}

static int piv_crypto_write_public(EVP_PKEY *pkey, uint8_t alg, tlv_writer *pub)
{
	uint8_t buf[PIV_CRYPTO_MAX_MOD];
	size_t mark;

	if (piv_alg_is_rsa(alg)) {
		BIGNUM *e = NULL;
		uint8_t ebuf[8];
		int elen;

		if (piv_crypto_rsa_modulus(pkey, alg, buf) != 0)
			return -EIO;
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
			return -EIO;
		elen = BN_num_bytes(e) <= (int)sizeof(ebuf) ? BN_bn2bin(e, ebuf) : -1;
		BN_free(e);
		if (elen <= 0)
			return -EIO;
		mark = tlv_begin(pub, PIV_TLV_PUBKEY);
		tlv_put(pub, PIV_TLV_RSA_N, buf, piv_alg_bytes(alg));
		tlv_put(pub, PIV_TLV_RSA_E, ebuf, (size_t)elen);
		tlv_end(pub, mark);
	} else {
		size_t want = 1 + 2 * piv_alg_bytes(alg), plen = 0;

		if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
		                                     sizeof(buf), &plen) ||
		    plen != want || buf[0] != 0x04)
			return -EIO;
		mark = tlv_begin(pub, PIV_TLV_PUBKEY);
		tlv_put(pub, PIV_TLV_EC_POINT, buf, plen);
		tlv_end(pub, mark);
	}
	return tlv_writer_status(pub) == TLV_OK ? 0 : -ENOSPC;
}

/* PKCS#8 DER in a plain malloc'd buffer (the caller frees with free()). */
static int piv_crypto_export(EVP_PKEY *pkey, uint8_t **der, size_t *der_len)
{
	OSSL_ENCODER_CTX *ectx;
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = -EIO;

	ectx = OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	if (ectx == NULL)
		return -EIO;
	if (OSSL_ENCODER_to_data(ectx, &data, &len) && len > 0) {
		*der = malloc(len);
		if (*der == NULL) {
			rc = -ENOMEM;
		} else {
			memcpy(*der, data, len);
			*der_len = len;
			rc = 0;
		}
	}
	OSSL_ENCODER_CTX_free(ectx);
	if (data != NULL)
		OPENSSL_clear_free(data, len);
	return rc;
}

int piv_crypto_generate(uint8_t alg, uint8_t **priv_der, size_t *priv_len, tlv_writer *pub)
{
	EVP_PKEY *pkey;
	int rc;

	if (priv_der == NULL || priv_len == NULL || pub == NULL || piv_alg_bytes(alg) == 0)
		return -EINVAL;
	*priv_der = NULL;
	*priv_len = 0;
	/* RSA keys get OpenSSL's default public exponent, 65537. */
	if (piv_alg_is_rsa(alg))
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", piv_alg_bytes(alg) * 8);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", piv_alg_curve(alg));
	if (pkey == NULL)
		return -EIO;

	rc = piv_crypto_write_public(pkey, alg, pub);
	if (rc == 0)
		rc = piv_crypto_export(pkey, priv_der, priv_len);
	EVP_PKEY_free(pkey);
	return rc;
}

int piv_crypto_public(uint8_t alg, const uint8_t *priv_der, size_t priv_len, tlv_writer *pub)
{
	EVP_PKEY *pkey;
	int rc;

	if (pub == NULL || piv_alg_bytes(alg) == 0)
		return -EINVAL;
	pkey = piv_crypto_load(alg, priv_der, priv_len);
	if (pkey == NULL)
		return -EINVAL;
	rc = piv_crypto_write_public(pkey, alg, pub);
	EVP_PKEY_free(pkey);
	return rc;
}

/* PIV cards do raw RSA: the host has already padded the block. */
static int piv_crypto_rsa_raw(EVP_PKEY *pkey, uint8_t alg, const uint8_t *in, size_t in_len,
                              uint8_t *out, size_t cap, size_t *out_len)
{
	size_t mod = piv_alg_bytes(alg), sig_len = cap;
	uint8_t n[PIV_CRYPTO_MAX_MOD];
	EVP_PKEY_CTX *ctx;
	int rc = -EIO;

	if (in_len != mod)
		return -EINVAL;
	if (cap < mod)
		return -ENOSPC;
	if (piv_crypto_rsa_modulus(pkey, alg, n) != 0)
		return -EIO;
	if (memcmp(in, n, mod) >= 0) /* equal-length big-endian: numeric comparison */
		return -EINVAL;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL)
		return -EIO;
	if (EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
	    EVP_PKEY_sign(ctx, out, &sig_len, in, in_len) > 0 && sig_len == mod) {
		*out_len = sig_len;
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int piv_crypto_ecdsa(EVP_PKEY *pkey, uint8_t alg, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t cap, size_t *out_len)
{
	EVP_PKEY_CTX *ctx;
	size_t sig_len = 0;
	int rc = -EIO;

	if (in_len != piv_alg_bytes(alg))
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL)
		return -EIO;
	if (EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_sign(ctx, NULL, &sig_len, in, in_len) > 0) {
		if (sig_len > cap) {
			rc = -ENOSPC;
		} else {
			sig_len = cap;
			if (EVP_PKEY_sign(ctx, out, &sig_len, in, in_len) > 0) {
				*out_len = sig_len;
				rc = 0;
			}
		}
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int piv_crypto_sign_cached(piv_key_cache *c, uint8_t alg, const uint8_t *priv_der, size_t priv_len,
                           const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
	EVP_PKEY *pkey;
	bool owned;
	int rc;

	if (in == NULL || out == NULL || out_len == NULL || piv_alg_bytes(alg) == 0)
		return -EINVAL;
	*out_len = 0;
	pkey = piv_crypto_key(c, alg, priv_der, priv_len, &owned);
	if (pkey == NULL)
		return -EINVAL;
	if (piv_alg_is_rsa(alg))
		rc = piv_crypto_rsa_raw(pkey, alg, in, in_len, out, cap, out_len);
	else
		rc = piv_crypto_ecdsa(pkey, alg, in, in_len, out, cap, out_len);
	if (owned)
		EVP_PKEY_free(pkey);
	return rc;
}

int piv_crypto_sign(uint8_t alg, const uint8_t *priv_der, size_t priv_len, const uint8_t *in,
                    size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	return piv_crypto_sign_cached(NULL, alg, priv_der, priv_len, in, in_len, out, cap, out_len);
}

/* An uncompressed point on the key's curve, as a public EVP_PKEY; NULL if it is not one. */
static EVP_PKEY *piv_crypto_peer(uint8_t alg, const uint8_t *point, size_t point_len)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx, *check;
	EVP_PKEY *peer = NULL;

	if (point_len != 1 + 2 * piv_alg_bytes(alg) || point[0] != 0x04)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)piv_alg_curve(alg), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
	                                              point_len);
	params[2] = OSSL_PARAM_construct_end();

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		peer = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (peer == NULL) {
		ERR_clear_error();
		return NULL;
	}

	/* fromdata does not promise an on-curve check: do the full public key check. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	if (check == NULL || EVP_PKEY_public_check(check) <= 0) {
		EVP_PKEY_free(peer);
		peer = NULL;
	}
	EVP_PKEY_CTX_free(check);
	if (peer == NULL)
		ERR_clear_error();
	return peer;
}

int piv_crypto_ecdh(uint8_t alg, const uint8_t *priv_der, size_t priv_len, const uint8_t *point,
                    size_t point_len, uint8_t *out, size_t cap, size_t *out_len)
{
	return piv_crypto_ecdh_cached(NULL, alg, priv_der, priv_len, point, point_len, out, cap,
	                              out_len);
}

int piv_crypto_ecdh_cached(piv_key_cache *c, uint8_t alg, const uint8_t *priv_der, size_t priv_len,
                           const uint8_t *point, size_t point_len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
	EVP_PKEY *pkey, *peer;
	EVP_PKEY_CTX *ctx;
	size_t len;
	bool owned;
	int rc = -EIO;

	if (point == NULL || out == NULL || out_len == NULL || piv_alg_curve(alg) == NULL)
		return -EINVAL;
	*out_len = 0;
	if (cap < piv_alg_bytes(alg))
		return -ENOSPC;
	pkey = piv_crypto_key(c, alg, priv_der, priv_len, &owned);
	if (pkey == NULL)
		return -EINVAL;
	peer = piv_crypto_peer(alg, point, point_len);
	if (peer == NULL) {
		if (owned)
			EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	len = cap;
	if (ctx != NULL && EVP_PKEY_derive_init(ctx) > 0 &&
	    EVP_PKEY_derive_set_peer(ctx, peer) > 0 && EVP_PKEY_derive(ctx, out, &len) > 0) {
		*out_len = len;
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	if (owned)
		EVP_PKEY_free(pkey);
	return rc;
}

int piv_crypto_block(uint8_t mgmt_alg, const uint8_t *key, int encrypt, const uint8_t *in,
                     uint8_t *out)
{
	const char *name = piv_alg_mgmt_cipher(mgmt_alg);
	size_t bs = piv_alg_mgmt_block(mgmt_alg);
	uint8_t tmp[32];
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, rc = -EIO;

	if (name == NULL || key == NULL || in == NULL || out == NULL)
		return -EINVAL;
	cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (cipher != NULL && ctx != NULL &&
	    EVP_CipherInit_ex2(ctx, cipher, key, NULL, encrypt ? 1 : 0, NULL) > 0 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) > 0 &&
	    EVP_CipherUpdate(ctx, tmp, &n, in, (int)bs) > 0 &&
	    EVP_CipherFinal_ex(ctx, tmp + n, &fin) > 0 && (size_t)(n + fin) == bs) {
		memcpy(out, tmp, bs);
		rc = 0;
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return rc;
}

int piv_crypto_random(uint8_t *out, size_t len)
{
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;

		if (out == NULL || RAND_bytes(out, chunk) != 1)
			return -EIO;
		out += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}
