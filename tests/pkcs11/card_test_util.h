/* Helpers of the card driver's tests: an emulated token with a card on it, and OpenSSL
 * checks of what the card signs. */
#ifndef KINKO_CARD_TEST_UTIL_H
#define KINKO_CARD_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "card.h"
#include "emu_client.h"
#include "transport.h"

typedef struct {
	emu_proc p;
	tr_transport *tr;
	card c;
} card_fixture;

/* A fresh token provisioned with init_args (NULL for the factory defaults), served, and
 * a card (not yet connected) on a socket transport to it. 0 or -1. */
int card_fixture_start(card_fixture *f, const char *const *init_args);
void card_fixture_stop(card_fixture *f);
/* cmocka fixtures: *state = a heap card_fixture started with init_args (NULL for the
 * factory defaults). A failed setup stops what it started (cmocka runs no teardown then). */
int card_fixture_setup(void **state, const char *const *init_args);
int card_fixture_setup_default(void **state);
int card_fixture_teardown(void **state);
/* A cmocka test run on a fresh token with the factory defaults. */
#define CARD_FIXTURE_TEST(name) \
	cmocka_unit_test_setup_teardown(name, card_fixture_setup_default, card_fixture_teardown)

/* The token's factory secrets (README "Factory defaults"). */
extern const uint8_t test_default_mgmt_key[24];
#define TEST_PIN "123456"
#define TEST_PUK "12345678"

/* A public key from the contents of a 7F49 template. NULL on failure. */
EVP_PKEY *test_pubkey_from_7f49(uint8_t alg, const uint8_t *p, size_t len);
/* EMSA-PKCS1-v1_5 block of a SHA-256 digest for a modulus of mod_len bytes. 0 or -1. */
int test_pkcs1_sha256_block(const uint8_t digest[32], uint8_t *block, size_t mod_len);
/* Verify a PKCS#1 v1.5 SHA-256 (RSA) or ECDSA (EC, DER signature) over digest. 1 if valid. */
int test_verify_digest(EVP_PKEY *pkey, const uint8_t digest[32], const uint8_t *sig,
                       size_t sig_len);
/* Sign a fresh random SHA-256 digest with the key in slot (as a PKCS#1 v1.5 block of
 * mod_len bytes for RSA; mod_len 0 for EC, the bare digest) and assert that OpenSSL
 * verifies the signature with pkey, and refuses it for another digest. The PIN must be
 * verified. */
void card_test_sign_verifies(card *c, uint8_t slot, uint8_t alg, size_t mod_len, EVP_PKEY *pkey);

#endif
