/* The token's persistent state in memory: init/free, secrets, data objects, keys.
 * Its file encoding is in token_codec.c. */
#include "token_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "piv_crypto.h"

/* 10000 iterations: the retry counter, not the hash, is what stops PIN guessing on the
 * token; PBKDF2 only slows an offline search of a stolen state file. Every VERIFY runs it,
 * so it must stay in the low milliseconds on the emulator and in the test suite. */
#define TOK_PBKDF2_ITER 10000u

const uint8_t TOK_DEFAULT_MGMT_KEY[24] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

void tok_state_init(tok_state *st)
{
	memset(st, 0, sizeof(*st));
}

void tok_state_free(tok_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < PIV_KEY_SLOTS; i++)
		tok_key_clear(&st->keys[i]);
	tok_key_clear(&st->attest);
	for (i = 0; i < st->n_objects && i < TOK_MAX_OBJECTS; i++) {
		if (st->objects[i].value != NULL)
			OPENSSL_clear_free(st->objects[i].value, st->objects[i].len);
	}
	OPENSSL_cleanse(st, sizeof(*st));
	tok_state_init(st);
}

void tok_state_buffer_free(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

/* ---- secrets ---- */

static int tok_pbkdf2(const uint8_t salt[TOK_SALT_LEN], const uint8_t padded[PIV_PIN_MAX],
                      uint8_t out[TOK_HASH_LEN])
{
	unsigned int iter = TOK_PBKDF2_ITER;
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ok;

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)padded,
	                                              PIV_PIN_MAX);
	params[1] =
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, TOK_SALT_LEN);
	params[2] = OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iter);
	params[3] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[4] = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
	if (kdf == NULL)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -EIO;
	ok = EVP_KDF_derive(kctx, out, TOK_HASH_LEN, params) > 0;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -EIO;
}

int tok_secret_set(tok_secret *s, const uint8_t padded[PIV_PIN_MAX], uint8_t tries)
{
	tok_secret next;
	int rc;

	if (s == NULL || padded == NULL || tries < 1 || tries > TOK_TRIES_MAX)
		return -EINVAL;
	memset(&next, 0, sizeof(next));
	rc = piv_crypto_random(next.salt, sizeof(next.salt));
	if (rc == 0)
		rc = tok_pbkdf2(next.salt, padded, next.hash);
	if (rc == 0) {
		next.tries_left = tries;
		next.tries_max = tries;
		next.is_default = false;
		*s = next;
	}
	OPENSSL_cleanse(&next, sizeof(next));
	return rc;
}

bool tok_secret_matches(const tok_secret *s, const uint8_t padded[PIV_PIN_MAX])
{
	uint8_t hash[TOK_HASH_LEN];
	bool match;

	if (s == NULL || padded == NULL)
		return false;
	match = tok_pbkdf2(s->salt, padded, hash) == 0 &&
	        CRYPTO_memcmp(hash, s->hash, TOK_HASH_LEN) == 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	return match;
}

/* ---- objects ---- */

bool tok_object_tag_valid(uint32_t tag)
{
	return tag == PIV_TAG_DISCOVERY || tag == 0x7F61u ||
	       (tag >= 0x5FC101u && tag <= 0x5FC123u) || (tag >= 0x5FFF00u && tag <= 0x5FFF15u);
}

static size_t tok_object_index(const tok_state *st, uint32_t tag)
{
	size_t i;

	for (i = 0; i < st->n_objects; i++) {
		if (st->objects[i].tag == tag)
			return i;
	}
	return st->n_objects;
}

const tok_object *tok_object_get(const tok_state *st, uint32_t tag)
{
	size_t i;

	if (st == NULL)
		return NULL;
	i = tok_object_index(st, tag);
	return i < st->n_objects ? &st->objects[i] : NULL;
}

static void tok_object_delete(tok_state *st, size_t i)
{
	tok_object *o = &st->objects[i];

	OPENSSL_clear_free(o->value, o->len);
	memmove(o, o + 1, (st->n_objects - i - 1) * sizeof(*o));
	st->n_objects--;
	memset(&st->objects[st->n_objects], 0, sizeof(st->objects[0]));
}

int tok_object_put(tok_state *st, uint32_t tag, const uint8_t *value, size_t len)
{
	size_t i;
	uint8_t *copy;

	if (st == NULL || !tok_object_tag_valid(tag) || len > TOK_MAX_OBJECT ||
	    (value == NULL && len > 0))
		return -EINVAL;
	i = tok_object_index(st, tag);
	if (len == 0) {
		if (i < st->n_objects)
			tok_object_delete(st, i);
		return 0;
	}
	if (i == st->n_objects && st->n_objects >= TOK_MAX_OBJECTS)
		return -ENOSPC;
	copy = malloc(len);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, value, len);
	if (i < st->n_objects) {
		OPENSSL_clear_free(st->objects[i].value, st->objects[i].len);
	} else {
		st->objects[i].tag = tag;
		st->n_objects++;
	}
	st->objects[i].value = copy;
	st->objects[i].len = len;
	return 0;
}

/* ---- keys ---- */

void tok_key_clear(tok_key *k)
{
	if (k == NULL)
		return;
	if (k->priv_der != NULL) {
		OPENSSL_cleanse(k->priv_der, k->priv_len);
		free(k->priv_der);
	}
	memset(k, 0, sizeof(*k));
}

void tok_key_set(tok_key *k, uint8_t alg, uint8_t origin, uint8_t pin_policy, uint8_t *der,
                 size_t len)
{
	if (k == NULL)
		return;
	tok_key_clear(k);
	k->alg = alg;
	k->origin = origin;
	k->pin_policy = pin_policy;
	k->touch_policy = PIV_TOUCH_POLICY_NEVER; /* the token has no touch sensor */
	k->priv_der = der;
	k->priv_len = len;
}
