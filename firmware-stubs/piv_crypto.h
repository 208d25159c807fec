/* The firmware's cryptographic primitives, on OpenSSL 3 (EVP only). */
#ifndef KINKO_PIV_CRYPTO_H
#define KINKO_PIV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tlv.h"

/* Generate a key pair of a PIV algorithm: the private key as PKCS#8 DER (malloc'd, caller
 * wipes) and the public key written as the 7F49 template (81 n, 82 e / 86 point). */
int piv_crypto_generate(uint8_t alg, uint8_t **priv_der, size_t *priv_len, tlv_writer *pub);

/* Write the 7F49 public key template of a stored private key. */
int piv_crypto_public(uint8_t alg, const uint8_t *priv_der, size_t priv_len, tlv_writer *pub);

/* Raw RSA private operation (input length == modulus length, value < modulus) or ECDSA over
 * a digest of the curve's size (signature in DER, as PIV cards return it). Output is at most
 * 512 bytes. 0, or -EINVAL for a bad input. */
int piv_crypto_sign(uint8_t alg, const uint8_t *priv_der, size_t priv_len, const uint8_t *in,
                    size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* Parsed private keys: a real card keeps its keys in an internal form, and re-parsing PKCS#8
 * for every signature cost ~0.7 ms. An entry is keyed by the DER bytes themselves (a copy),
 * so a replaced key is never served from a stale entry, whatever the allocator reuses. */
typedef struct {
	uint8_t *der;
	size_t len;
	uint8_t alg;
	void *pkey; /* EVP_PKEY */
} piv_key_cache;

/* Wipe and free an entry (safe on a zeroed one). */
void piv_key_cache_clear(piv_key_cache *c);

/* piv_crypto_sign / piv_crypto_ecdh through a cache entry (NULL: no cache). */
int piv_crypto_sign_cached(piv_key_cache *c, uint8_t alg, const uint8_t *priv_der, size_t priv_len,
                           const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                           size_t *out_len);
int piv_crypto_ecdh_cached(piv_key_cache *c, uint8_t alg, const uint8_t *priv_der, size_t priv_len,
                           const uint8_t *point, size_t point_len, uint8_t *out, size_t cap,
                           size_t *out_len);

/* ECDH: shared secret with the peer point (ECC algorithms only). */
int piv_crypto_ecdh(uint8_t alg, const uint8_t *priv_der, size_t priv_len, const uint8_t *point,
                    size_t point_len, uint8_t *out, size_t cap, size_t *out_len);

/* Management key block cipher (one block, ECB): 3DES (8-byte blocks) or AES (16). */
int piv_crypto_block(uint8_t mgmt_alg, const uint8_t *key, int encrypt, const uint8_t *in,
                     uint8_t *out);

/* Random bytes from the token's generator. */
int piv_crypto_random(uint8_t *out, size_t len);

#endif
