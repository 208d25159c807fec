/* The constant-time removal of RSA encryption padding (mod_unpad.c) on crafted blocks: every
 * kind of bad PKCS#1 v1.5 or OAEP block gives the one answer, and good ones, also with an
 * empty message, give their message; OAEP blocks made by OpenSSL decode too. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "mod_crypt.h"

#define K 256u /* RSA-2048 */

/* 00 02 PS 00 M with a non-zero PS of ps_len bytes. */
static void pkcs1_block(uint8_t *em, size_t ps_len, const uint8_t *m, size_t mlen)
{
	size_t i;

	assert_int_equal(2 + ps_len + 1 + mlen, K);
	em[0] = 0x00;
	em[1] = 0x02;
	for (i = 0; i < ps_len; i++)
		em[2 + i] = (uint8_t)(1 + i % 255);
	em[2 + ps_len] = 0x00;
	memcpy(em + 3 + ps_len, m, mlen);
}

static CK_RV pkcs1(const uint8_t *em, uint8_t *out, size_t *out_len)
{
	uint8_t copy[K];

	memcpy(copy, em, K);
	return mod_unpad_pkcs1(copy, K, out, out_len);
}

static void good_pkcs1_blocks_give_their_message(void **state)
{
	static const size_t lens[] = {0, 1, 32, 100, K - 11};
	uint8_t m[K], em[K], out[K];
	size_t i, out_len;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		out_len = 9999;
		pkcs1_block(em, K - 3 - lens[i], m, lens[i]);
		assert_int_equal(pkcs1(em, out, &out_len), CKR_OK);
		assert_int_equal(out_len, lens[i]);
		if (lens[i])
			assert_memory_equal(out, m, lens[i]);
	}
	/* a message that itself holds zero bytes: the first zero ends the padding */
	memset(m, 0, 20);
	pkcs1_block(em, K - 3 - 20, m, 20);
	assert_int_equal(pkcs1(em, out, &out_len), CKR_OK);
	assert_int_equal(out_len, 20);
	assert_memory_equal(out, m, 20);
}

static void every_bad_pkcs1_block_gives_the_same_answer(void **state)
{
	uint8_t m[64], good[K], em[K], out[K];
	size_t out_len = 4242, ps, i;

	(void)state;
	memset(m, 0x5A, sizeof(m));
	pkcs1_block(good, K - 3 - sizeof(m), m, sizeof(m));
	/* first byte not zero */
	memcpy(em, good, K);
	em[0] = 0x01;
	assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	/* block type 1 (a signature), and other types */
	for (i = 0; i < 256; i++) {
		if (i == 2)
			continue;
		memcpy(em, good, K);
		em[1] = (uint8_t)i;
		assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	}
	/* no zero separator at all */
	memcpy(em, good, K);
	memset(em + 2, 0x33, K - 2);
	assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	/* padding shorter than eight bytes: a separator at index 2..9 */
	for (ps = 0; ps < 8; ps++) {
		memcpy(em, good, K);
		em[2 + ps] = 0x00;
		assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	}
	/* exactly eight is enough */
	memcpy(em, good, K);
	em[10] = 0x00;
	assert_int_equal(pkcs1(em, out, &out_len), CKR_OK);
	assert_int_equal(out_len, K - 11);
	/* all zeros, all ones */
	memset(em, 0, K);
	out_len = 4242;
	assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	memset(em, 0xFF, K);
	assert_int_equal(pkcs1(em, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
	/* a failure leaves the length alone and the output wiped */
	assert_int_equal(out_len, 4242);
	for (i = 0; i < K; i++)
		assert_int_equal(out[i], 0);
	/* too short a modulus for any block */
	assert_int_equal(mod_unpad_pkcs1(em, 10, out, &out_len), CKR_ENCRYPTED_DATA_INVALID);
}

/* ---- OAEP ---- */

typedef enum { OAEP_GOOD, OAEP_Y, OAEP_LHASH, OAEP_NO_ONE, OAEP_PS_NOT_ZERO } oaep_flaw;

static void mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *out,
                     size_t len)
{
	uint8_t c[4] = {0}, block[EVP_MAX_MD_SIZE];
	size_t done = 0, i, h = (size_t)EVP_MD_get_size(md);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	for (c[3] = 0; done < len; c[3]++) {
		assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, seed, seed_len), 1);
		assert_int_equal(EVP_DigestUpdate(ctx, c, 4), 1);
		assert_int_equal(EVP_DigestFinal_ex(ctx, block, NULL), 1);
		for (i = 0; i < h && done < len; i++)
			out[done++] ^= block[i];
	}
	EVP_MD_CTX_free(ctx);
}

/* EME-OAEP encoding (RFC 8017 7.1.1) of m with label "L" (or none), with one flaw. */
static void oaep_block(const EVP_MD *md, bool label, const uint8_t *m, size_t mlen, oaep_flaw f,
                       uint8_t *em)
{
	size_t h = (size_t)EVP_MD_get_size(md), db_len = K - h - 1;
	uint8_t *seed = em + 1, *db = em + 1 + h;

	memset(em, 0, K);
	assert_int_equal(EVP_Digest(label ? "L" : "", label ? 1 : 0, db, NULL, md, NULL), 1);
	if (f == OAEP_LHASH)
		db[h - 1] ^= 0x01;
	if (f != OAEP_NO_ONE)
		db[db_len - mlen - 1] = 0x01;
	if (f == OAEP_PS_NOT_ZERO)
		db[h] = 0x02;
	memcpy(db + db_len - mlen, m, mlen);
	assert_int_equal(RAND_bytes(seed, (int)h), 1);
	mgf1_xor(md, seed, h, db, db_len);
	mgf1_xor(md, db, db_len, seed, h);
	em[0] = f == OAEP_Y ? 0x80 : 0x00;
}

static CK_RV oaep(const EVP_MD *md, bool label, uint8_t *em, uint8_t *out, size_t *out_len)
{
	return mod_unpad_oaep(md, md, label ? (const uint8_t *)"L" : NULL, label ? 1 : 0, em, K,
	                      out, out_len);
}

static void oaep_blocks_good_and_bad(void **state)
{
	const EVP_MD *mds[] = {EVP_sha1(), EVP_sha256(), EVP_sha512()};
	static const oaep_flaw flaws[] = {OAEP_Y, OAEP_LHASH, OAEP_NO_ONE, OAEP_PS_NOT_ZERO};
	uint8_t m[K], em[K], out[K];
	size_t i, j, out_len, h, lens[3];

	(void)state;
	memset(m, 0xA5, sizeof(m));
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		h = (size_t)EVP_MD_get_size(mds[i]);
		lens[0] = 0;
		lens[1] = 16;
		lens[2] = K - 2 * h - 2;
		for (j = 0; j < 3; j++) {
			oaep_block(mds[i], true, m, lens[j], OAEP_GOOD, em);
			assert_int_equal(oaep(mds[i], true, em, out, &out_len), CKR_OK);
			assert_int_equal(out_len, lens[j]);
			if (lens[j])
				assert_memory_equal(out, m, lens[j]);
		}
		/* the wrong label is the same failure as every flaw */
		oaep_block(mds[i], true, m, 16, OAEP_GOOD, em);
		assert_int_equal(oaep(mds[i], false, em, out, &out_len),
		                 CKR_ENCRYPTED_DATA_INVALID);
		for (j = 0; j < sizeof(flaws) / sizeof(flaws[0]); j++) {
			oaep_block(mds[i], false, m, 16, flaws[j], em);
			assert_int_equal(oaep(mds[i], false, em, out, &out_len),
			                 CKR_ENCRYPTED_DATA_INVALID);
		}
	}
	/* a modulus too short for the hash */
	assert_int_equal(mod_unpad_oaep(EVP_sha512(), EVP_sha512(), NULL, 0, em, 129, out,
	                                &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
}

/* What OpenSSL encrypts with OAEP (SHA-256, MGF1-SHA-1, a label), opened with the private
 * key's raw operation, decodes to the message. */
static void openssl_oaep_blocks_decode(void **state)
{
	static const uint8_t msg[] = "a session key";
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY_CTX *ctx;
	uint8_t ct[K], em[K], out[K], *label = OPENSSL_memdup("label", 5);
	size_t ct_len = sizeof(ct), em_len = sizeof(em), out_len = 0;

	(void)state;
	assert_non_null(key);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	assert_non_null(ctx);
	assert_true(EVP_PKEY_encrypt_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha1()) > 0);
	assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, 5) > 0);
	assert_true(EVP_PKEY_encrypt(ctx, ct, &ct_len, msg, sizeof(msg)) > 0);
	EVP_PKEY_CTX_free(ctx);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	assert_true(EVP_PKEY_decrypt_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_true(EVP_PKEY_decrypt(ctx, em, &em_len, ct, ct_len) > 0);
	assert_int_equal(em_len, K);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	memcpy(ct, em, K);
	assert_int_equal(mod_unpad_oaep(EVP_sha256(), EVP_sha1(), (const uint8_t *)"label", 5, ct,
	                                K, out, &out_len),
	                 CKR_OK);
	assert_int_equal(out_len, sizeof(msg));
	assert_memory_equal(out, msg, sizeof(msg));
	assert_int_equal(mod_unpad_oaep(EVP_sha256(), EVP_sha256(), (const uint8_t *)"label", 5, em,
	                                K, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_pkcs1_blocks_give_their_message),
		cmocka_unit_test(every_bad_pkcs1_block_gives_the_same_answer),
		cmocka_unit_test(oaep_blocks_good_and_bad),
		cmocka_unit_test(openssl_oaep_blocks_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
