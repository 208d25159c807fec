/* scrypt through EVP_KDF: memory-hard, salted per secret, compared with CRYPTO_memcmp. */
#include "bankd_secret.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define SALT_LEN 16
#define KEY_LEN 32

const bankd_secret_cost bankd_secret_default_cost = {14, 8, 1};

int bankd_secret_acceptable(const char *secret)
{
	size_t n;
	size_t i;

	if (secret == NULL)
		return 0;
	n = strnlen(secret, BANKD_SECRET_MAX_LEN + 1);
	if (n < BANKD_SECRET_MIN_LEN || n > BANKD_SECRET_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (secret[i] < 0x20 || secret[i] > 0x7e)
			return 0;
	return 1;
}

static int derive(const char *secret, const uint8_t *salt, const bankd_secret_cost *cost,
                  uint8_t key[KEY_LEN])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	uint64_t n;
	uint32_t r, p;
	OSSL_PARAM params[6];
	int ok;

	/* Bounds keep a tampered database from asking for gigabytes. */
	if (cost->log2_n < 10 || cost->log2_n > 20 || cost->r < 1 || cost->r > 16 || cost->p < 1 ||
	    cost->p > 4)
		return -1;
	kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	if (kdf == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	n = (uint64_t)1 << cost->log2_n;
	r = cost->r;
	p = cost->p;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)secret,
	                                              strlen(secret));
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	params[5] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, key, KEY_LEN, params);
	EVP_KDF_CTX_free(ctx);
	return ok == 1 ? 0 : -1;
}

int bankd_secret_hash(const char *secret, const bankd_secret_cost *cost,
                      uint8_t out[BANKD_SECRET_LEN])
{
	out[0] = 1;
	out[1] = cost->log2_n;
	out[2] = cost->r;
	out[3] = cost->p;
	if (RAND_bytes(out + 4, SALT_LEN) != 1)
		return -1;
	return derive(secret, out + 4, cost, out + 4 + SALT_LEN);
}

int bankd_secret_verify(const char *secret, const uint8_t *stored, size_t stored_len)
{
	uint8_t key[KEY_LEN];
	bankd_secret_cost cost;
	int same;

	if (stored == NULL || stored_len != BANKD_SECRET_LEN || stored[0] != 1 || secret == NULL)
		return -1;
	cost = (bankd_secret_cost){stored[1], stored[2], stored[3]};
	if (derive(secret, stored + 4, &cost, key) != 0)
		return -1;
	same = CRYPTO_memcmp(key, stored + 4 + SALT_LEN, KEY_LEN) == 0;
	OPENSSL_cleanse(key, sizeof key);
	return same;
}

int bankd_secret_verify_all(const char *const *secrets, const uint8_t *const *stored, size_t n)
{
	int wrong = 0, error = 0;
	size_t i;

	for (i = 0; i < n && i < 8; i++) {
		int v = bankd_secret_verify(secrets[i], stored[i], BANKD_SECRET_LEN);
		error |= v < 0;
		wrong |= (v != 1) << i;
	}
	return error || n > 8 ? -1 : wrong;
}
