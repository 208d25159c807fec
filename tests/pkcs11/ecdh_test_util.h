/* The reference ECDH of the tests: OpenSSL's, with which the token's agreement is compared. */
#ifndef KINKO_ECDH_TEST_UTIL_H
#define KINKO_ECDH_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* The shared secret of priv's key pair with peer's public key, into out[cap]; its length.
 * Asserts (cmocka). */
size_t tkit_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *out, size_t cap);

#endif
