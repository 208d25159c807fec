/* C_DeriveKey: ECDH (CKM_ECDH1_DERIVE, CKD_NULL) with an EC private key of the token. The
 * peer's point is checked on the host (form, length, on the curve), the agreement is one
 * GENERAL AUTHENTICATE, and the secret, the X coordinate of the shared point, becomes a
 * session CKO_SECRET_KEY: the token holds no secret keys and does no symmetric crypto, so
 * the application uses the secret on the host. */
#include "mod_derive.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "mod_mech.h"
#include "mod_parse.h"
#include "mod_sig.h"
#include "mod_sobj.h"
#include "piv.h"

#define DERIVE_POINT_MAX (1u + 2u * 48u) /* P-384, uncompressed */
/* DER OCTET STRING of the largest point: tag and a one-byte length. */
#define DERIVE_PUBLIC_DATA_MAX (DERIVE_POINT_MAX + 2u)
#define DERIVE_SECRET_MAX 48u

/* The PIV algorithm of an uncompressed point of that length; 0 when it is none. */
static uint8_t derive_point_alg(const uint8_t *p, size_t len)
{
	if (len == 0 || p[0] != 0x04)
		return 0;
	if (len == 1 + 2 * piv_alg_bytes(PIV_ALG_ECCP256))
		return PIV_ALG_ECCP256;
	if (len == 1 + 2 * piv_alg_bytes(PIV_ALG_ECCP384))
		return PIV_ALG_ECCP384;
	return 0;
}

/* pPublicData: the bare point, or the DER OCTET STRING wrapping it as CKA_EC_POINT holds
 * it (callers send both: OpenSSL's libp11 the bare one, NSS and Java the wrapped one). No
 * point's length equals a wrapped point's, so the length tells which. */
static CK_RV derive_peer_point(const uint8_t *data, size_t len, uint8_t *point, size_t *point_len,
                               uint8_t *alg)
{
	const unsigned char *der = data;
	ASN1_OCTET_STRING *os = NULL;
	const uint8_t *raw = data;
	size_t raw_len = len;

	if (len > DERIVE_PUBLIC_DATA_MAX)
		return CKR_MECHANISM_PARAM_INVALID;
	*alg = derive_point_alg(raw, raw_len);
	if (*alg == 0) {
		os = d2i_ASN1_OCTET_STRING(NULL, &der, (long)len);
		/* the whole of pPublicData is the one OCTET STRING */
		if (os && der == data + len) {
			raw = ASN1_STRING_get0_data(os);
			raw_len = (size_t)ASN1_STRING_length(os);
			*alg = derive_point_alg(raw, raw_len);
		}
	}
	if (*alg != 0) {
		memcpy(point, raw, raw_len);
		*point_len = raw_len;
	}
	ASN1_OCTET_STRING_free(os);
	ERR_clear_error();
	return *alg != 0 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

/* A point of the curve, not only of its size: the card is never asked with another. */
static bool derive_point_on_curve(uint8_t alg, const uint8_t *point, size_t len)
{
	card_pubkey pk = {.alg = alg, .point = point, .point_len = len};
	EVP_PKEY *pkey = mod_parse_pubkey_evp(&pk);

	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return pkey != NULL;
}

/* CK_ECDH1_DERIVE_PARAMS: the card gives the bare secret, so no KDF and no shared data. */
static CK_RV derive_params(const CK_MECHANISM *mech, uint8_t *point, size_t *point_len,
                           uint8_t *alg)
{
	const CK_ECDH1_DERIVE_PARAMS *p = mech->pParameter;
	CK_RV rv;

	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	if (p->kdf != CKD_NULL || p->ulSharedDataLen != 0) {
		mod_trace_msg(
			"C_DeriveKey: CKM_ECDH1_DERIVE takes kdf CKD_NULL without shared data "
			"(kdf %lu, %lu bytes of shared data)",
			(unsigned long)p->kdf, (unsigned long)p->ulSharedDataLen);
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (!p->pPublicData || p->ulPublicDataLen == 0)
		return CKR_MECHANISM_PARAM_INVALID;
	rv = derive_peer_point(p->pPublicData, p->ulPublicDataLen, point, point_len, alg);
	if (rv == CKR_OK && !derive_point_on_curve(*alg, point, *point_len))
		rv = CKR_MECHANISM_PARAM_INVALID;
	if (rv != CKR_OK)
		mod_trace_msg("C_DeriveKey: the peer's public data is no uncompressed point of "
		              "P-256 or P-384, bare or in a DER OCTET STRING");
	return rv;
}

CK_RV mod_derive_key(mod_slot *slot, mod_session *sess, const CK_MECHANISM *mech,
                     CK_OBJECT_HANDLE base, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                     CK_OBJECT_HANDLE *key)
{
	uint8_t point[DERIVE_POINT_MAX], secret[DERIVE_SECRET_MAX], alg = 0;
	mod_sig_card_req rq = {
		.what = "key derivation",
		.ecdh = true,
		.in = point,
		.out = secret,
		.cap = sizeof(secret),
	};
	mod_sig_key k = {0};
	bool token = false;
	CK_RV rv;

	if (!mech || !key || (!tmpl && n > 0))
		return CKR_ARGUMENTS_BAD;
	rv = mod_mech_for(mech, CKF_DERIVE, NULL);
	if (rv == CKR_OK)
		rv = derive_params(mech, point, &rq.in_len, &alg);
	/* The token stores no secret key: refused before the PIN is spent on it. */
	if (rv == CKR_OK)
		rv = mod_sobj_wants_token(tmpl, n, &token);
	if (rv == CKR_OK && token) {
		mod_trace_msg("C_DeriveKey: the token stores no secret keys (CKA_TOKEN TRUE)");
		rv = CKR_TEMPLATE_INCONSISTENT;
	}
	if (rv == CKR_OK)
		rv = mod_sig_session_private_key(slot, base, CKK_EC, CKF_DERIVE, &k);
	if (rv != CKR_OK)
		return rv;
	rq.key_ref = piv_key_slot_ref(k.index);
	rq.alg = k.t->keys[k.index].alg;
	rq.needs_login = k.needs_login;
	rq.always_auth = k.always_auth;
	if (rq.alg != alg) {
		mod_trace_msg("C_DeriveKey: the peer's point is not on the curve of key %02X",
		              rq.key_ref);
		return CKR_MECHANISM_PARAM_INVALID;
	}
	rv = mod_sig_session_card(slot, &rq);
	if (rv != CKR_OK && rq.st == CARD_ERR_BAD_INPUT)
		rv = CKR_MECHANISM_PARAM_INVALID; /* a point the card would not take */
	else if (rv != CKR_OK && rq.st == CARD_ERR_NOT_FOUND)
		rv = CKR_KEY_HANDLE_INVALID; /* the key was deleted underneath */
	if (rv == CKR_OK)
		rv = mod_sobj_add_secret(slot, sess, tmpl, n, secret, rq.out_len, key);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rv;
}
