/* The token's public keys as OpenSSL keys, for verification in software: built from the
 * raw contents of a PIV 7F49 template with OSSL_PARAM_BLD and EVP_PKEY_fromdata (the
 * non-deprecated route; no RSA_* / EC_KEY_* objects). */
#include "mod_sig.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "piv.h"
#include "tlv.h"

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* 81 n (exactly the modulus size, top bit set), 82 e (1..8 bytes, odd). */
static EVP_PKEY *pkey_rsa(uint8_t alg, const uint8_t *pub, size_t len)
{
	size_t k = piv_alg_bytes(alg);
	tlv_item n, e;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;

	if (tlv_find(pub, len, PIV_TLV_RSA_N, &n) != TLV_OK ||
	    tlv_find(pub, len, PIV_TLV_RSA_E, &e) != TLV_OK)
		return NULL;
	if (n.len != k || !(n.value[0] & 0x80) || e.len == 0 || e.len > 8 ||
	    !(e.value[e.len - 1] & 1))
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	bn_n = BN_bin2bn(n.value, (int)n.len, NULL);
	bn_e = BN_bin2bn(e.value, (int)e.len, NULL);
	if (bld && bn_n && bn_e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		pkey = pkey_fromdata("RSA", bld);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* 86 uncompressed point 04 || X || Y; fromdata checks that it is on the curve. */
static EVP_PKEY *pkey_ec(uint8_t alg, const uint8_t *pub, size_t len)
{
	size_t field = piv_alg_bytes(alg);
	const char *curve = piv_alg_curve(alg);
	tlv_item pt;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;

	if (!curve || tlv_find(pub, len, PIV_TLV_EC_POINT, &pt) != TLV_OK ||
	    pt.len != 1 + 2 * field || pt.value[0] != 0x04)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt.value, pt.len) == 1)
		pkey = pkey_fromdata("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

EVP_PKEY *mod_pkey_from_piv(uint8_t alg, const uint8_t *pub, size_t len)
{
	if (!pub || len == 0 || piv_alg_bytes(alg) == 0)
		return NULL;
	return piv_alg_is_rsa(alg) ? pkey_rsa(alg, pub, len) : pkey_ec(alg, pub, len);
}
