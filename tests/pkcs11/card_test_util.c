/* Helpers of the card driver's tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "card_test_util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "piv.h"
#include "tlv.h"

const uint8_t test_default_mgmt_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                           5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

int card_fixture_start(card_fixture *f, const char *const *init_args)
{
	memset(f, 0, sizeof(*f));
	if (emu_proc_setup(&f->p) != 0 || emu_init(&f->p, init_args, NULL, 0) != 0 ||
	    emu_start(&f->p, NULL) != 0)
		return -1;
	f->tr = tr_socket_new(f->p.sock);
	if (!f->tr)
		return -1;
	card_init(&f->c, f->tr);
	return 0;
}

void card_fixture_stop(card_fixture *f)
{
	card_cleanup(&f->c);
	if (f->tr)
		f->tr->ops->destroy(f->tr);
	f->tr = NULL;
	emu_proc_teardown(&f->p);
}

int card_fixture_setup(void **state, const char *const *init_args)
{
	card_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	if (card_fixture_start(f, init_args) != 0) {
		card_fixture_stop(f);
		free(f);
		*state = NULL;
		return -1;
	}
	return 0;
}

int card_fixture_setup_default(void **state)
{
	return card_fixture_setup(state, NULL);
}

int card_fixture_teardown(void **state)
{
	card_fixture *f = *state;

	if (f) {
		card_fixture_stop(f);
		free(f);
	}
	*state = NULL;
	return 0;
}

static EVP_PKEY *test_pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *test_rsa_pub(const uint8_t *p, size_t len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = NULL, *e = NULL;
	tlv_item in, ie;
	EVP_PKEY *pkey = NULL;

	if (bld && tlv_find(p, len, PIV_TLV_RSA_N, &in) == TLV_OK &&
	    tlv_find(p, len, PIV_TLV_RSA_E, &ie) == TLV_OK &&
	    (n = BN_bin2bn(in.value, (int)in.len, NULL)) != NULL &&
	    (e = BN_bin2bn(ie.value, (int)ie.len, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pkey = test_pkey_fromdata("RSA", bld);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *test_ec_pub(const char *curve, const uint8_t *p, size_t len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	tlv_item pt;
	EVP_PKEY *pkey = NULL;

	if (bld && tlv_find(p, len, PIV_TLV_EC_POINT, &pt) == TLV_OK &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt.value, pt.len) == 1)
		pkey = test_pkey_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *test_pubkey_from_7f49(uint8_t alg, const uint8_t *p, size_t len)
{
	switch (alg) {
	case PIV_ALG_RSA2048:
	case PIV_ALG_RSA3072: return test_rsa_pub(p, len);
	case PIV_ALG_ECCP256: return test_ec_pub("prime256v1", p, len);
	case PIV_ALG_ECCP384: return test_ec_pub("secp384r1", p, len);
	default: return NULL;
	}
}

int test_pkcs1_sha256_block(const uint8_t digest[32], uint8_t *block, size_t mod_len)
{
	static const uint8_t info[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                               0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	size_t t = sizeof(info) + 32;

	if (mod_len < t + 11)
		return -1;
	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xFF, mod_len - t - 3);
	block[mod_len - t - 1] = 0x00;
	memcpy(block + mod_len - t, info, sizeof(info));
	memcpy(block + mod_len - 32, digest, 32);
	return 0;
}

int test_verify_digest(EVP_PKEY *pkey, const uint8_t digest[32], const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = 0;

	if (ctx && EVP_PKEY_verify_init(ctx) == 1) {
		if (EVP_PKEY_is_a(pkey, "RSA") &&
		    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1))
			goto out;
		ok = EVP_PKEY_verify(ctx, sig, sig_len, digest, 32) == 1;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

void card_test_sign_verifies(card *c, uint8_t slot, uint8_t alg, size_t mod_len, EVP_PKEY *pkey)
{
	uint8_t digest[32], block[512], sig[512];
	size_t sig_len = 0, in_len = sizeof(digest);

	assert_true(mod_len <= sizeof(block));
	assert_int_equal(RAND_bytes(digest, sizeof(digest)), 1);
	memcpy(block, digest, sizeof(digest));
	if (mod_len) {
		assert_int_equal(test_pkcs1_sha256_block(digest, block, mod_len), 0);
		in_len = mod_len;
	}
	assert_int_equal(card_sign(c, slot, alg, block, in_len, sig, sizeof(sig), &sig_len),
	                 CARD_OK);
	assert_int_equal(test_verify_digest(pkey, digest, sig, sig_len), 1);
	/* And a signature of another digest does not verify: the check can fail. */
	digest[0] ^= 1;
	assert_int_equal(test_verify_digest(pkey, digest, sig, sig_len), 0);
}
