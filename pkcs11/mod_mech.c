/* The mechanisms of the module: what C_GetMechanismList/Info report, and for every
 * signature mechanism how the module carries it out (which hash it computes, which
 * padding, which key type). The card only knows raw RSA and ECDSA over a digest, so every
 * key mechanism here is the module's software around one GENERAL AUTHENTICATE; the digests
 * are software only. */
#include "mod_mech.h"

#include "mod_sig.h"

#define MOD_EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define MOD_SIGN_FLAGS (CKF_HW | CKF_SIGN | CKF_VERIFY)
/* Decryption on the card; encryption in software with the public key. */
#define MOD_CRYPT_FLAGS (CKF_HW | CKF_DECRYPT | CKF_ENCRYPT)

/* Key sizes in bits: RSA modulus (PIV algorithms 07, 05), EC field (11, 14); the unit
 * test holds them to piv_alg_bytes. */
#define MOD_RSA_MIN 2048
#define MOD_RSA_MAX 3072
#define MOD_EC_MIN 256
#define MOD_EC_MAX 384

#define MOD_RSA_INFO(f)                                                                \
	{                                                                              \
		.ulMinKeySize = MOD_RSA_MIN, .ulMaxKeySize = MOD_RSA_MAX, .flags = (f) \
	}
#define MOD_EC_INFO(f)                                                  \
	{                                                               \
		.ulMinKeySize = MOD_EC_MIN, .ulMaxKeySize = MOD_EC_MAX, \
		.flags = (f) | MOD_EC_FLAGS                             \
	}

#define MOD_RSA_SIG(m, s, h)                                                            \
	{                                                                               \
		.type = (m), .info = MOD_RSA_INFO(MOD_SIGN_FLAGS), .key_type = CKK_RSA, \
		.sig = (s), .hash = (h)                                                 \
	}
#define MOD_EC_SIG(m, h)                                                              \
	{                                                                             \
		.type = (m), .info = MOD_EC_INFO(MOD_SIGN_FLAGS), .key_type = CKK_EC, \
		.sig = &mod_sig_scheme_ecdsa, .hash = (h)                             \
	}

/* A digest in software (mod_digest.c): no key, so no key sizes; hash is the row's own. */
#define MOD_DIGEST(m)                                               \
	{                                                           \
		.type = (m), .info = {.flags = CKF_DIGEST},         \
		.key_type = CK_UNAVAILABLE_INFORMATION, .hash = (m) \
	}

/* hash: the module hashes the data (multi-part capable); CKM_RSA_PKCS, CKM_RSA_PKCS_PSS,
 * CKM_RSA_X_509 and CKM_ECDSA take the caller's input and are single-part only (PKCS#11
 * 3.0 current mechanisms, footnote "single-part only"). */
static const mod_mech mod_mechs[] = {
	{.type = CKM_RSA_PKCS_KEY_PAIR_GEN,
         .info = MOD_RSA_INFO(CKF_HW | CKF_GENERATE_KEY_PAIR),
         .key_type = CKK_RSA},
	{.type = CKM_EC_KEY_PAIR_GEN,
         .info = MOD_EC_INFO(CKF_HW | CKF_GENERATE_KEY_PAIR),
         .key_type = CKK_EC},
	{.type = CKM_RSA_PKCS,
         .info = MOD_RSA_INFO(MOD_SIGN_FLAGS | MOD_CRYPT_FLAGS),
         .key_type = CKK_RSA,
         .sig = &mod_sig_scheme_pkcs1,
         .enc = MOD_ENC_PKCS1},
	{.type = CKM_RSA_X_509,
         .info = MOD_RSA_INFO(MOD_SIGN_FLAGS | MOD_CRYPT_FLAGS),
         .key_type = CKK_RSA,
         .sig = &mod_sig_scheme_x509,
         .enc = MOD_ENC_RAW},
	{.type = CKM_RSA_PKCS_OAEP,
         .info = MOD_RSA_INFO(MOD_CRYPT_FLAGS),
         .key_type = CKK_RSA,
         .enc = MOD_ENC_OAEP},
	MOD_RSA_SIG(CKM_SHA256_RSA_PKCS, &mod_sig_scheme_pkcs1, CKM_SHA256),
	MOD_RSA_SIG(CKM_SHA384_RSA_PKCS, &mod_sig_scheme_pkcs1, CKM_SHA384),
	MOD_RSA_SIG(CKM_SHA512_RSA_PKCS, &mod_sig_scheme_pkcs1, CKM_SHA512),
	MOD_RSA_SIG(CKM_RSA_PKCS_PSS, &mod_sig_scheme_pss, 0),
	MOD_RSA_SIG(CKM_SHA256_RSA_PKCS_PSS, &mod_sig_scheme_pss, CKM_SHA256),
	MOD_RSA_SIG(CKM_SHA384_RSA_PKCS_PSS, &mod_sig_scheme_pss, CKM_SHA384),
	MOD_RSA_SIG(CKM_SHA512_RSA_PKCS_PSS, &mod_sig_scheme_pss, CKM_SHA512),
	MOD_EC_SIG(CKM_ECDSA, 0),
	MOD_EC_SIG(CKM_ECDSA_SHA256, CKM_SHA256),
	MOD_EC_SIG(CKM_ECDSA_SHA384, CKM_SHA384),
	MOD_EC_SIG(CKM_ECDSA_SHA512, CKM_SHA512),
	MOD_DIGEST(CKM_SHA_1),
	MOD_DIGEST(CKM_SHA224),
	MOD_DIGEST(CKM_SHA256),
	MOD_DIGEST(CKM_SHA384),
	MOD_DIGEST(CKM_SHA512),
	/* ECDH on the card (9D, retired slots); the secret is a session key of the host. */
	{.type = CKM_ECDH1_DERIVE, .info = MOD_EC_INFO(CKF_HW | CKF_DERIVE), .key_type = CKK_EC},
};

const mod_mech *mod_mech_table(size_t *n)
{
	if (n)
		*n = sizeof(mod_mechs) / sizeof(mod_mechs[0]);
	return mod_mechs;
}

const mod_mech *mod_mech_find(CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < sizeof(mod_mechs) / sizeof(mod_mechs[0]); i++)
		if (mod_mechs[i].type == type)
			return &mod_mechs[i];
	return NULL;
}

CK_RV mod_mech_for(const CK_MECHANISM *mech, CK_FLAGS use, const mod_mech **out)
{
	const mod_mech *m;

	if (!mech)
		return CKR_ARGUMENTS_BAD;
	m = mod_mech_find(mech->mechanism);
	if (!m || !(m->info.flags & use))
		return CKR_MECHANISM_INVALID;
	if (out)
		*out = m;
	return CKR_OK;
}

CK_RV mod_mech_refuse(const CK_MECHANISM *mech, CK_FLAGS use)
{
	CK_RV rv = mod_mech_for(mech, use, NULL);

	return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV mod_mech_for_op(const mod_crypto_op *cop, const CK_MECHANISM *mech, CK_FLAGS use,
                      const mod_mech **out)
{
	if (!mech)
		return CKR_ARGUMENTS_BAD;
	if (cop->ctx)
		return CKR_OPERATION_ACTIVE;
	return mod_mech_for(mech, use, out);
}

bool mod_mech_signs_with(const mod_mech *m, bool key_is_rsa)
{
	return m && m->sig && m->key_type == (key_is_rsa ? CKK_RSA : CKK_EC);
}
