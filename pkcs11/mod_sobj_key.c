/* What the module derives from a session object's values: a certificate's names from its
 * DER, a public key checked and built as an OpenSSL key (OpenSSL 3's EVP_PKEY_fromdata),
 * its CKA_MODULUS_BITS and SubjectPublicKeyInfo. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "mod_parse.h"
#include "mod_sobj_attr.h"
#include "piv.h"

/* RSA moduli OpenSSL and callers still use; anything else is no key worth holding. */
#define KEY_RSA_MIN_BITS 1024
#define KEY_RSA_MAX_BITS 16384

/* An OpenSSL DER encoding put as attribute type, then freed. */
static CK_RV key_put_der(mod_sobj *o, CK_ATTRIBUTE_TYPE type, unsigned char *der, int len)
{
	CK_RV rv = len > 0 ? mod_sobj_attr_put(o, type, der, (CK_ULONG)len) :
	                     CKR_ATTRIBUTE_VALUE_INVALID;

	OPENSSL_free(der);
	return rv;
}

CK_RV mod_sobj_key_cert(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const mod_sobj_val *v = mod_sobj_attr_find(o, CKA_VALUE);
	const unsigned char *p;
	unsigned char *der = NULL;
	X509 *x;
	CK_RV rv = CKR_OK;
	int len;

	if (!v || v->len == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	p = v->val;
	x = d2i_X509(NULL, &p, (long)v->len);
	if (!x || p != v->val + v->len) {
		X509_free(x);
		ERR_clear_error();
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (!mod_sobj_attr_in(tmpl, n, CKA_SUBJECT)) {
		len = i2d_X509_NAME(X509_get_subject_name(x), &der);
		rv = key_put_der(o, CKA_SUBJECT, der, len);
		der = NULL;
	}
	if (rv == CKR_OK && !mod_sobj_attr_in(tmpl, n, CKA_ISSUER)) {
		len = i2d_X509_NAME(X509_get_issuer_name(x), &der);
		rv = key_put_der(o, CKA_ISSUER, der, len);
		der = NULL;
	}
	if (rv == CKR_OK && !mod_sobj_attr_in(tmpl, n, CKA_SERIAL_NUMBER)) {
		len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
		rv = key_put_der(o, CKA_SERIAL_NUMBER, der, len);
		der = NULL;
	}
	if (rv == CKR_OK) {
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
		rv = key_put_der(o, CKA_PUBLIC_KEY_INFO, der, len);
	}
	X509_free(x);
	ERR_clear_error();
	return rv;
}

/* ---- public keys ---- */

static CK_RV key_rsa_evp(const mod_sobj *o, EVP_PKEY **pkey)
{
	const mod_sobj_val *mv = mod_sobj_attr_find(o, CKA_MODULUS);
	const mod_sobj_val *ev = mod_sobj_attr_find(o, CKA_PUBLIC_EXPONENT);
	OSSL_PARAM_BLD *bld;
	BIGNUM *n = NULL, *e = NULL;
	CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;
	int bits;

	if (!mv || !ev || mv->len == 0 || ev->len == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	bld = OSSL_PARAM_BLD_new();
	n = BN_bin2bn(mv->val, (int)mv->len, NULL);
	e = BN_bin2bn(ev->val, (int)ev->len, NULL);
	if (!bld || !n || !e) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	bits = BN_num_bits(n);
	/* an even exponent, or one of 1, is no RSA key */
	if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS || !BN_is_odd(e) || BN_is_one(e) ||
	    BN_num_bits(e) >= bits)
		goto out;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1) {
		*pkey = mod_parse_evp_fromdata("RSA", bld);
		rv = *pkey ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	}
out:
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return rv;
}

/* The curve (PIV algorithm) of CKA_EC_PARAMS: the named curves the token's keys have. */
static CK_RV key_ec_alg(const mod_sobj *o, uint8_t *alg)
{
	const mod_sobj_val *pv = mod_sobj_attr_find(o, CKA_EC_PARAMS);

	if (!pv || pv->len == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	switch (mod_parse_ec_params(pv->val, pv->len, alg)) {
	case MOD_PARSE_OK: return CKR_OK;
	case MOD_PARSE_UNSUPPORTED: return CKR_CURVE_NOT_SUPPORTED;
	default: return CKR_ATTRIBUTE_VALUE_INVALID;
	}
}

/* The point 04||X||Y of CKA_EC_POINT: PKCS#11's DER OCTET STRING, or the raw point some
 * callers (NSS, Java) send. */
static bool key_ec_point(const mod_sobj_val *v, uint8_t alg, const uint8_t **point, size_t *len)
{
	size_t raw = 1 + 2 * piv_alg_bytes(alg);

	/* raw is at most 97: a one-byte DER length */
	if (v->len == raw + 2 && v->val[0] == 0x04 && v->val[1] == raw && v->val[2] == 0x04) {
		*point = v->val + 2;
		*len = raw;
		return true;
	}
	if (v->len == raw && v->val[0] == 0x04) {
		*point = v->val;
		*len = raw;
		return true;
	}
	return false;
}

static CK_RV key_ec_pubkey(const mod_sobj *o, card_pubkey *pk)
{
	const mod_sobj_val *v = mod_sobj_attr_find(o, CKA_EC_POINT);
	CK_RV rv;

	memset(pk, 0, sizeof(*pk));
	rv = key_ec_alg(o, &pk->alg);
	if (rv != CKR_OK)
		return rv;
	if (!v || !key_ec_point(v, pk->alg, &pk->point, &pk->point_len))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

CK_RV mod_sobj_key_evp(const mod_sobj *o, EVP_PKEY **pkey)
{
	card_pubkey pk;
	CK_RV rv;

	*pkey = NULL;
	if (o->sub == CKK_RSA)
		rv = key_rsa_evp(o, pkey);
	else if (o->sub != CKK_EC)
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	else if ((rv = key_ec_pubkey(o, &pk)) == CKR_OK)
		/* checks that the point is on the curve */
		rv = (*pkey = mod_parse_pubkey_evp(&pk)) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	ERR_clear_error();
	return rv;
}

CK_RV mod_sobj_key_public(mod_sobj *o)
{
	unsigned char *der = NULL;
	EVP_PKEY *pkey = NULL;
	card_pubkey pk;
	uint8_t *point = NULL;
	size_t point_len = 0;
	CK_RV rv = mod_sobj_key_evp(o, &pkey);
	int len;

	if (rv != CKR_OK)
		return rv;
	if (o->sub == CKK_RSA) {
		rv = mod_sobj_attr_put_ulong(o, CKA_MODULUS_BITS,
		                             (CK_ULONG)EVP_PKEY_get_bits(pkey));
	} else if ((rv = key_ec_pubkey(o, &pk)) == CKR_OK) {
		/* kept in PKCS#11's form, whatever the caller sent */
		if (mod_parse_ec_point_der(&pk, &point, &point_len) != MOD_PARSE_OK)
			rv = CKR_HOST_MEMORY;
		else
			rv = mod_sobj_attr_put(o, CKA_EC_POINT, point, point_len);
		OPENSSL_free(point);
	}
	if (rv == CKR_OK) {
		len = i2d_PUBKEY(pkey, &der);
		rv = key_put_der(o, CKA_PUBLIC_KEY_INFO, der, len);
	}
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rv;
}

uint8_t mod_sobj_piv_alg(EVP_PKEY *pkey)
{
	char group[32];
	int bits = EVP_PKEY_get_bits(pkey);

	if (EVP_PKEY_is_a(pkey, "RSA"))
		return bits == 2048 ? PIV_ALG_RSA2048 : bits == 3072 ? PIV_ALG_RSA3072 : 0;
	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1)
		return 0;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return PIV_ALG_ECCP256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return PIV_ALG_ECCP384;
	return 0;
}
