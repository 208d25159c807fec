/* Signature helpers of the module tests. The checks use OpenSSL's own signature
 * verification (EVP_DigestVerify / EVP_PKEY_verify), never the module's encoders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sig_test_util.h"

#include "mod_sig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

/* Read one attribute, allocating its value. */
static uint8_t *sigt_attr(p11t *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
                          CK_ULONG *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	uint8_t *v;

	assert_int_equal(t->f->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	assert_true(a.ulValueLen > 0 && a.ulValueLen != CK_UNAVAILABLE_INFORMATION);
	v = malloc(a.ulValueLen);
	assert_non_null(v);
	a.pValue = v;
	assert_int_equal(t->f->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	*len = a.ulValueLen;
	return v;
}

/* The key's parameters for OpenSSL, the builder's references released. */
static OSSL_PARAM *sigt_params(OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);

	assert_non_null(params);
	OSSL_PARAM_BLD_free(bld);
	return params;
}

/* CKA_MODULUS and CKA_PUBLIC_EXPONENT. */
static OSSL_PARAM *sigt_rsa_key(const uint8_t *n, CK_ULONG n_len, const uint8_t *e, CK_ULONG e_len)
{
	BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;

	assert_true(bn && be && bld);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be), 1);
	params = sigt_params(bld);
	BN_free(bn);
	BN_free(be);
	return params;
}

/* CKA_EC_PARAMS, the named curve's OID, and CKA_EC_POINT, DER OCTET STRING of the point. */
static OSSL_PARAM *sigt_ec_key(const uint8_t *oid_der, CK_ULONG oid_len, const uint8_t *os_der,
                               CK_ULONG os_len)
{
	const unsigned char *p = oid_der, *q = os_der;
	ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)oid_len);
	ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)os_len);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	const char *curve;
	OSSL_PARAM *params;

	assert_true(oid && p == oid_der + oid_len && os && q == os_der + os_len && bld);
	curve = OBJ_nid2sn(OBJ_obj2nid(oid));
	assert_non_null(curve);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0),
	                 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	                                                  ASN1_STRING_get0_data(os),
	                                                  (size_t)ASN1_STRING_length(os)),
	                 1);
	params = sigt_params(bld);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	return params;
}

EVP_PKEY *sigt_pubkey(p11t *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};
	CK_ULONG l1, l2;
	uint8_t *v1, *v2;
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	bool rsa;

	assert_int_equal(t->f->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
	assert_true(kt == CKK_RSA || kt == CKK_EC);
	rsa = kt == CKK_RSA;
	v1 = sigt_attr(t, s, pub, rsa ? CKA_MODULUS : CKA_EC_PARAMS, &l1);
	v2 = sigt_attr(t, s, pub, rsa ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT, &l2);
	params = rsa ? sigt_rsa_key(v1, l1, v2, l2) : sigt_ec_key(v1, l1, v2, l2);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	free(v1);
	free(v2);
	return pkey;
}

CK_RV sigt_sign(p11t *t, CK_SESSION_HANDLE s, CK_MECHANISM *mech, CK_OBJECT_HANDLE key,
                const uint8_t *data, size_t len, uint8_t *sig, CK_ULONG *sig_len)
{
	CK_RV rv = t->f->C_SignInit(s, mech, key);

	if (rv != CKR_OK)
		return rv;
	return t->f->C_Sign(s, (CK_BYTE_PTR)data, (CK_ULONG)len, sig, sig_len);
}

/* The hash a hash mechanism computes. The parameters' hash and MGF1 generator are read
 * with the module's own mod_pad_md / mod_pad_mgf_md, which test_mod_pad pins. */
static const EVP_MD *sigt_md(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA256_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA256: return EVP_sha256();
	case CKM_SHA384_RSA_PKCS:
	case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA384: return EVP_sha384();
	case CKM_SHA512_RSA_PKCS:
	case CKM_SHA512_RSA_PKCS_PSS:
	case CKM_ECDSA_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* r||s -> DER, for OpenSSL. */
static unsigned char *sigt_ecdsa_der(const uint8_t *sig, size_t len, int *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	unsigned char *der = NULL;

	assert_true(es && r && s);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	assert_true(*der_len > 0);
	return der;
}

static int sigt_rsa_params(EVP_PKEY_CTX *pctx, CK_MECHANISM_TYPE mech,
                           const CK_RSA_PKCS_PSS_PARAMS *pss)
{
	bool is_pss = mech == CKM_RSA_PKCS_PSS || mech == CKM_SHA256_RSA_PKCS_PSS ||
	              mech == CKM_SHA384_RSA_PKCS_PSS || mech == CKM_SHA512_RSA_PKCS_PSS;

	if (!is_pss)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	return pss && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mod_pad_mgf_md(pss->mgf)) > 0 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)pss->sLen) > 0;
}

int sigt_verify(EVP_PKEY *pkey, CK_MECHANISM_TYPE mech, const CK_RSA_PKCS_PSS_PARAMS *pss,
                const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len)
{
	bool ec = EVP_PKEY_is_a(pkey, "EC");
	unsigned char *der = NULL;
	const unsigned char *s = sig;
	size_t s_len = sig_len;
	int der_len = 0, ok = 0;

	if (ec) {
		der = sigt_ecdsa_der(sig, sig_len, &der_len);
		s = der;
		s_len = (size_t)der_len;
	}
	if (mech == CKM_RSA_PKCS || mech == CKM_RSA_PKCS_PSS || mech == CKM_ECDSA) {
		/* The caller hashed: verify over the digest (or DigestInfo) as given. */
		EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

		if (pctx && EVP_PKEY_verify_init(pctx) == 1 &&
		    (ec || (sigt_rsa_params(pctx, mech, pss) &&
		            (mech != CKM_RSA_PKCS_PSS ||
		             EVP_PKEY_CTX_set_signature_md(pctx, mod_pad_md(pss->hashAlg)) > 0))))
			ok = EVP_PKEY_verify(pctx, s, s_len, data, len) == 1;
		EVP_PKEY_CTX_free(pctx);
	} else {
		EVP_MD_CTX *mctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;

		if (mctx && EVP_DigestVerifyInit(mctx, &pctx, sigt_md(mech), NULL, pkey) == 1 &&
		    (ec || sigt_rsa_params(pctx, mech, pss)))
			ok = EVP_DigestVerify(mctx, s, s_len, data, len) == 1;
		EVP_MD_CTX_free(mctx);
	}
	OPENSSL_free(der);
	return ok;
}

size_t sigt_digest_info_sha256(const char *msg, uint8_t out[51])
{
	static const uint8_t prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	                                   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                   0x01, 0x05, 0x00, 0x04, 0x20};
	unsigned int n = 0;

	memcpy(out, prefix, sizeof(prefix));
	assert_int_equal(EVP_Digest(msg, strlen(msg), out + 19, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	return 51;
}

void sigt_keypair_make(p11t *t, sigt_keypair *kp, CK_ULONG bits, const char *curve, CK_BYTE id)
{
	p11t_generate(t, bits, curve, &id, 1, &kp->pub, &kp->priv);
	kp->pkey = sigt_pubkey(t, t->session, kp->pub);
}

void sigt_digest(const EVP_MD *md, const char *msg, uint8_t *dg, size_t *len)
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(msg, strlen(msg), dg, &n, md, NULL), 1);
	*len = n;
}

int sigt_sw_keys_setup(void **state)
{
	sigt_sw_keys *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k->rsa1025 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1025);
	k->p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	*state = k;
	return k->rsa2048 && k->rsa1025 && k->p256 ? 0 : -1;
}

int sigt_sw_keys_teardown(void **state)
{
	sigt_sw_keys *k = *state;

	EVP_PKEY_free(k->rsa2048);
	EVP_PKEY_free(k->rsa1025);
	EVP_PKEY_free(k->p256);
	free(k);
	return 0;
}

void sigt_raw_rsa_sign(EVP_PKEY *pkey, const uint8_t *block, size_t k, uint8_t *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	size_t n = k;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_int_equal(EVP_PKEY_sign(ctx, sig, &n, block, k), 1);
	assert_int_equal(n, k);
	EVP_PKEY_CTX_free(ctx);
}
