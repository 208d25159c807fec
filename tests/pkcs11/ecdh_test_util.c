/* The reference ECDH of the tests (ecdh_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ecdh_test_util.h"

size_t tkit_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *out, size_t cap)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t n = cap;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
	assert_int_equal(EVP_PKEY_derive(ctx, out, &n), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}
