/* Removing RSA encryption padding from what the card decrypted, in constant time.
 *
 * Written here because OpenSSL 3's RSA_padding_check_PKCS1_type_2 and
 * RSA_padding_check_PKCS1_OAEP_mgf1 are part of the deprecated RSA_* API, and the
 * EVP_PKEY_decrypt path needs the private key, which stays on the card. A decoder that
 * answers a bad padding sooner, or differently, than a good one is Bleichenbacher's
 * (PKCS#1 v1.5) or Manger's (OAEP) oracle: so every block is read whole, the verdict is
 * collected in a mask, the message is moved to its place by a pattern of accesses that
 * does not depend on its length (RFC 8017 7.1.2 and 7.2.2, the way OpenSSL's own
 * rsa_pk1.c and rsa_oaep.c do it), and only the final answer branches. */
#include "mod_crypt.h"

#include <string.h>

#include <openssl/crypto.h>

#define UNPAD_PKCS1_PS_MIN 8u /* RFC 8017 7.2.2: at least eight non-zero padding bytes */

/* ---- constant-time helpers: all-ones (true) or all-zeros (false) masks ---- */

static size_t ct_msb(size_t a)
{
	return (size_t)0 - (a >> (sizeof(a) * 8 - 1));
}

static size_t ct_is_zero(size_t a)
{
	return ct_msb(~a & (a - 1));
}

static size_t ct_eq(size_t a, size_t b)
{
	return ct_is_zero(a ^ b);
}

/* a < b for values below 2^(bits-1), as lengths are */
static size_t ct_lt(size_t a, size_t b)
{
	return ct_msb(a ^ ((a ^ b) | ((a - b) ^ b)));
}

static size_t ct_select(size_t mask, size_t a, size_t b)
{
	return (mask & a) | (~mask & b);
}

static uint8_t ct_select8(size_t mask, uint8_t a, uint8_t b)
{
	return (uint8_t)((mask & a) | (~mask & b));
}

/* The message starts at em[start] (start between first and k, secret): write it to
 * out[0..k - first), the rest of out[k] zeroed, by shifting em left by start - first
 * one bit of the distance at a time, each bit's pass touching the same bytes whatever its
 * value. Returns the message length (meaningful only when good). */
static size_t unpad_ct_move(uint8_t *em, size_t k, size_t first, size_t start, size_t good,
                            uint8_t *out)
{
	size_t span = k - first, shift = start - first, mlen = k - start, step, i;

	for (step = 1; step < span; step <<= 1) {
		size_t mask = ~ct_is_zero(shift & step);

		for (i = first; i + step < k; i++)
			em[i] = ct_select8(mask, em[i + step], em[i]);
	}
	for (i = 0; i < span; i++)
		out[i] = ct_select8(good & ct_lt(i, mlen), em[first + i], 0);
	memset(out + span, 0, first);
	return mlen;
}

CK_RV mod_unpad_pkcs1(uint8_t *em, size_t k, uint8_t *out, size_t *out_len)
{
	size_t good, found = 0, zero_at = 0, mlen, i;

	if (k < MOD_PAD_PKCS1_MIN)
		return CKR_ENCRYPTED_DATA_INVALID;
	good = ct_is_zero(em[0]) & ct_eq(em[1], 2);
	for (i = 2; i < k; i++) {
		size_t zero = ct_is_zero(em[i]);

		zero_at = ct_select(~found & zero, i, zero_at);
		found |= zero;
	}
	good &= found;
	/* the separator after at least eight padding bytes: at index 10 or later */
	good &= ~ct_lt(zero_at, 2 + UNPAD_PKCS1_PS_MIN);
	/* a block without separator moves from index k: nothing, the same work */
	zero_at = ct_select(found, zero_at, k - 1);
	mlen = unpad_ct_move(em, k, MOD_PAD_PKCS1_MIN, zero_at + 1, good, out);
	OPENSSL_cleanse(em, k);
	if (!good)
		return CKR_ENCRYPTED_DATA_INVALID; /* out holds zeros (unpad_ct_move) */
	*out_len = mlen;
	return CKR_OK;
}

/* MGF1 (RFC 8017 B.2.1): out[len] ^= MGF1(seed). */
static bool unpad_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *out,
                           size_t len)
{
	uint8_t block[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t done = 0, h = (size_t)EVP_MD_get_size(md), i;
	uint32_t counter = 0;
	bool ok = ctx != NULL;

	while (ok && done < len) {
		uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
		                (uint8_t)(counter >> 8), (uint8_t)counter};

		ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
		     EVP_DigestUpdate(ctx, seed, seed_len) == 1 &&
		     EVP_DigestUpdate(ctx, c, sizeof(c)) == 1 &&
		     EVP_DigestFinal_ex(ctx, block, NULL) == 1;
		for (i = 0; ok && i < h && done < len; i++)
			out[done++] ^= block[i];
		counter++;
	}
	OPENSSL_cleanse(block, sizeof(block));
	EVP_MD_CTX_free(ctx);
	return ok;
}

CK_RV mod_unpad_oaep(const EVP_MD *md, const EVP_MD *mgf_md, const uint8_t *label, size_t label_len,
                     uint8_t *em, size_t k, uint8_t *out, size_t *out_len)
{
	static const uint8_t none[1];
	uint8_t lhash[EVP_MAX_MD_SIZE];
	size_t h = (size_t)EVP_MD_get_size(md), good, found = 0, one_at = 0, mlen, i;
	size_t db_len;
	uint8_t *seed = em + 1, *db;

	if (h == 0 || k < 2 * h + 2)
		return CKR_ENCRYPTED_DATA_INVALID;
	db = em + 1 + h;
	db_len = k - h - 1;
	/* the mask generation runs on every block alike: its time depends on lengths only */
	if (EVP_Digest(label_len ? label : none, label_len, lhash, NULL, md, NULL) != 1 ||
	    !unpad_mgf1_xor(mgf_md, db, db_len, seed, h) ||
	    !unpad_mgf1_xor(mgf_md, seed, h, db, db_len)) {
		OPENSSL_cleanse(em, k);
		return CKR_FUNCTION_FAILED;
	}
	good = ct_is_zero(em[0]);
	for (i = 0; i < h; i++)
		good &= ct_eq(db[i], lhash[i]);
	/* DB = lHash' || PS (zeros) || 01 || M */
	for (i = h; i < db_len; i++) {
		size_t one = ct_eq(db[i], 1), zero = ct_is_zero(db[i]);

		one_at = ct_select(~found & one, i, one_at);
		found |= one;
		good &= found | zero;
	}
	good &= found;
	one_at = ct_select(found, one_at, db_len - 1);
	/* the message moves to the front of DB from index h + 1 on */
	mlen = unpad_ct_move(db, db_len, h + 1, one_at + 1, good, out);
	OPENSSL_cleanse(em, k);
	if (!good)
		return CKR_ENCRYPTED_DATA_INVALID; /* out holds zeros (unpad_ct_move) */
	*out_len = mlen;
	return CKR_OK;
}
