/* Signature encodings done in the module: a PIV card signs with raw RSA (the host pads)
 * and ECDSA over a digest it does not truncate, answering DER where PKCS#11 wants r||s.
 *
 * EMSA-PSS is written here from RFC 8017 9.1.1 because OpenSSL 3 has no non-deprecated
 * API that produces a raw PSS-encoded block (RSA_padding_add_PKCS1_PSS_mgf1 is part of the
 * deprecated RSA_* API, and EVP_PKEY_sign pads and exponentiates in one step with a key we
 * do not have). The encoding is short; the tests check every PSS signature with
 * OpenSSL's verifier. */
#include "mod_sig.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

const EVP_MD *mod_pad_md(CK_MECHANISM_TYPE hash)
{
	switch (hash) {
	case CKM_SHA_1: return EVP_sha1();
	case CKM_SHA224: return EVP_sha224();
	case CKM_SHA256: return EVP_sha256();
	case CKM_SHA384: return EVP_sha384();
	case CKM_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

const EVP_MD *mod_pad_mgf_md(CK_RSA_PKCS_MGF_TYPE mgf)
{
	switch (mgf) {
	case CKG_MGF1_SHA1: return EVP_sha1();
	case CKG_MGF1_SHA224: return EVP_sha224();
	case CKG_MGF1_SHA256: return EVP_sha256();
	case CKG_MGF1_SHA384: return EVP_sha384();
	case CKG_MGF1_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* DigestInfo (RFC 8017 9.2) of the digest dg of md: the hash's OID with NULL parameters,
 * as every RSA verifier expects; NULL for a digest of the wrong length. */
static X509_SIG *pad_digest_info(const EVP_MD *md, const uint8_t *dg, size_t len)
{
	ASN1_OBJECT *oid = OBJ_nid2obj(EVP_MD_get_type(md));
	X509_SIG *di = X509_SIG_new();
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *os = NULL;

	if (di && oid && OBJ_length(oid) > 0 && len == (size_t)EVP_MD_get_size(md)) {
		X509_SIG_getm(di, &alg, &os);
		if (X509_ALGOR_set0(alg, oid, V_ASN1_NULL, NULL) == 1 &&
		    ASN1_OCTET_STRING_set(os, dg, (int)len) == 1)
			return di;
	}
	X509_SIG_free(di);
	return NULL;
}

CK_RV mod_pad_pkcs1(const EVP_MD *md, const uint8_t *in, size_t in_len, uint8_t *em, size_t k)
{
	X509_SIG *di = NULL;
	size_t t_len = in_len, ps_len;
	uint8_t *p;
	int n;
	CK_RV rv = CKR_OK;

	if (md) {
		di = pad_digest_info(md, in, in_len);
		n = di ? i2d_X509_SIG(di, NULL) : -1;
		if (n <= 0) {
			X509_SIG_free(di);
			return CKR_GENERAL_ERROR;
		}
		t_len = (size_t)n;
	}
	if (k < MOD_PAD_PKCS1_MIN || t_len > k - MOD_PAD_PKCS1_MIN) {
		rv = CKR_DATA_LEN_RANGE;
	} else {
		ps_len = k - 3 - t_len;
		em[0] = 0x00;
		em[1] = 0x01;
		memset(em + 2, 0xFF, ps_len);
		em[2 + ps_len] = 0x00;
		p = em + 3 + ps_len;
		if (di && i2d_X509_SIG(di, &p) != (int)t_len)
			rv = CKR_GENERAL_ERROR;
		else if (!di && in_len)
			memcpy(p, in, in_len);
	}
	X509_SIG_free(di);
	return rv;
}

/* MGF1 (RFC 8017 B.2.1): mask ^= Hash(seed || counter) blocks. */
static CK_RV pad_mgf1_xor(const EVP_MD *md, const uint8_t *seed, size_t seed_len, uint8_t *mask,
                          size_t mask_len)
{
	uint8_t block[EVP_MAX_MD_SIZE], c[4];
	size_t h = (size_t)EVP_MD_get_size(md), done = 0, i, take;
	uint32_t counter = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	CK_RV rv = CKR_OK;

	if (!ctx)
		return CKR_HOST_MEMORY;
	while (done < mask_len) {
		c[0] = (uint8_t)(counter >> 24);
		c[1] = (uint8_t)(counter >> 16);
		c[2] = (uint8_t)(counter >> 8);
		c[3] = (uint8_t)counter;
		if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		    EVP_DigestUpdate(ctx, seed, seed_len) != 1 ||
		    EVP_DigestUpdate(ctx, c, sizeof(c)) != 1 ||
		    EVP_DigestFinal_ex(ctx, block, NULL) != 1) {
			rv = CKR_FUNCTION_FAILED;
			break;
		}
		take = mask_len - done < h ? mask_len - done : h;
		for (i = 0; i < take; i++)
			mask[done + i] ^= block[i];
		done += take;
		counter++;
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(block, sizeof(block));
	return rv;
}

CK_RV mod_pad_pss(const EVP_MD *md, const EVP_MD *mgf_md, size_t salt_len, const uint8_t *mhash,
                  size_t mhash_len, size_t mod_bits, uint8_t *em, size_t k)
{
	static const uint8_t zeros[8] = {0};
	size_t h = (size_t)EVP_MD_get_size(md), em_bits = mod_bits - 1;
	size_t em_len = (em_bits + 7) / 8, db_len, off;
	uint8_t salt[MOD_SIG_MAX_KEY_BYTES], *out;
	EVP_MD_CTX *ctx;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (mhash_len != h)
		return CKR_DATA_LEN_RANGE;
	if (mod_bits < 16 || em_len > k || em_len < h + salt_len + 2 || salt_len > sizeof(salt))
		return CKR_MECHANISM_PARAM_INVALID;
	if (salt_len && RAND_bytes(salt, (int)salt_len) != 1)
		return CKR_FUNCTION_FAILED;

	off = k - em_len; /* a zero byte in front when emLen < k */
	memset(em, 0, off);
	out = em + off;
	db_len = em_len - h - 1;

	/* H = Hash(00*8 || mHash || salt), placed after maskedDB. */
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return CKR_HOST_MEMORY;
	if (EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, zeros, sizeof(zeros)) == 1 &&
	    EVP_DigestUpdate(ctx, mhash, mhash_len) == 1 &&
	    (salt_len == 0 || EVP_DigestUpdate(ctx, salt, salt_len) == 1) &&
	    EVP_DigestFinal_ex(ctx, out + db_len, NULL) == 1)
		rv = CKR_OK;
	EVP_MD_CTX_free(ctx);
	if (rv != CKR_OK)
		goto out;

	/* DB = PS || 01 || salt, masked with MGF1(H). */
	memset(out, 0, db_len - salt_len - 1);
	out[db_len - salt_len - 1] = 0x01;
	if (salt_len)
		memcpy(out + db_len - salt_len, salt, salt_len);
	rv = pad_mgf1_xor(mgf_md, out + db_len, h, out, db_len);
	if (rv != CKR_OK)
		goto out;
	out[0] &= (uint8_t)(0xFFu >> (8 * em_len - em_bits));
	out[em_len - 1] = 0xBC;
out:
	OPENSSL_cleanse(salt, sizeof(salt));
	return rv;
}

void mod_pad_ecdsa_fit(const uint8_t *dg, size_t len, uint8_t *out, size_t field)
{
	if (len >= field) {
		memcpy(out, dg, field);
	} else {
		memset(out, 0, field - len);
		memcpy(out + field - len, dg, len);
	}
}

CK_RV mod_pad_ecdsa_raw(const uint8_t *der, size_t der_len, uint8_t *raw, size_t field)
{
	const unsigned char *p = der;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *sig;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (der_len == 0 || der_len > 2 * field + 16)
		return CKR_DEVICE_ERROR;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig)
		return CKR_DEVICE_ERROR;
	/* The whole answer must be the one SEQUENCE, with both integers positive and no
	 * wider than the field. */
	ECDSA_SIG_get0(sig, &r, &s);
	if ((size_t)(p - der) == der_len && r && s && !BN_is_negative(r) && !BN_is_negative(s) &&
	    !BN_is_zero(r) && !BN_is_zero(s) && BN_bn2binpad(r, raw, (int)field) == (int)field &&
	    BN_bn2binpad(s, raw + field, (int)field) == (int)field)
		rv = CKR_OK;
	ECDSA_SIG_free(sig);
	return rv;
}

CK_RV mod_pad_ecdsa_der(const uint8_t *raw, size_t raw_len, uint8_t **der, size_t *der_len)
{
	BIGNUM *r, *s;
	ECDSA_SIG *sig;
	unsigned char *buf = NULL;
	int n;

	if (raw_len == 0 || raw_len % 2 != 0 || raw_len > 2 * MOD_SIG_MAX_KEY_BYTES)
		return CKR_SIGNATURE_LEN_RANGE;
	r = BN_bin2bn(raw, (int)(raw_len / 2), NULL);
	s = BN_bin2bn(raw + raw_len / 2, (int)(raw_len / 2), NULL);
	sig = ECDSA_SIG_new();
	if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return CKR_HOST_MEMORY;
	}
	n = i2d_ECDSA_SIG(sig, &buf);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return CKR_HOST_MEMORY;
	*der = buf;
	*der_len = (size_t)n;
	return CKR_OK;
}
