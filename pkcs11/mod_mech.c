/* The mechanisms of the module: what C_GetMechanismList/Info report, and for every
 * signature mechanism how the module carries it out (which hash it computes, which
 * padding, which key type). The card only knows raw RSA and ECDSA over a digest, so every
 * mechanism here is the module's software around one GENERAL AUTHENTICATE. */
#include "mod_mech.h"

#define MOD_EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define MOD_SIGN_FLAGS (CKF_HW | CKF_SIGN | CKF_VERIFY)

/* Key sizes in bits: RSA modulus (PIV algorithms 07, 05), EC field (11, 14). */
#define MOD_RSA_MIN 2048
#define MOD_RSA_MAX 3072
#define MOD_EC_MIN 256
#define MOD_EC_MAX 384

#define MOD_RSA_SIG(m) \
	{.type = (m), .info = {.ulMinKeySize = MOD_RSA_MIN, .ulMaxKeySize = MOD_RSA_MAX, \
	                       .flags = MOD_SIGN_FLAGS}}
#define MOD_EC_SIG(m) \
	{.type = (m), .info = {.ulMinKeySize = MOD_EC_MIN, .ulMaxKeySize = MOD_EC_MAX, \
	                       .flags = MOD_SIGN_FLAGS | MOD_EC_FLAGS}}

static const mod_mech mod_mechs[] = {
	{.type = CKM_RSA_PKCS_KEY_PAIR_GEN,
	 .info = {.ulMinKeySize = MOD_RSA_MIN, .ulMaxKeySize = MOD_RSA_MAX,
	          .flags = CKF_HW | CKF_GENERATE_KEY_PAIR}},
	{.type = CKM_EC_KEY_PAIR_GEN,
	 .info = {.ulMinKeySize = MOD_EC_MIN, .ulMaxKeySize = MOD_EC_MAX,
	          .flags = CKF_HW | CKF_GENERATE_KEY_PAIR | MOD_EC_FLAGS}},
	MOD_RSA_SIG(CKM_RSA_PKCS),
	MOD_RSA_SIG(CKM_RSA_X_509),
	MOD_RSA_SIG(CKM_SHA256_RSA_PKCS),
	MOD_RSA_SIG(CKM_SHA384_RSA_PKCS),
	MOD_RSA_SIG(CKM_SHA512_RSA_PKCS),
	MOD_RSA_SIG(CKM_RSA_PKCS_PSS),
	MOD_RSA_SIG(CKM_SHA256_RSA_PKCS_PSS),
	MOD_RSA_SIG(CKM_SHA384_RSA_PKCS_PSS),
	MOD_RSA_SIG(CKM_SHA512_RSA_PKCS_PSS),
	MOD_EC_SIG(CKM_ECDSA),
	MOD_EC_SIG(CKM_ECDSA_SHA256),
	MOD_EC_SIG(CKM_ECDSA_SHA384),
	MOD_EC_SIG(CKM_ECDSA_SHA512),
};

/* How each signature mechanism is done. hash: the module hashes the data (multi-part
 * capable); CKM_RSA_PKCS, CKM_RSA_PKCS_PSS and CKM_ECDSA take the caller's digest and are
 * single-part only (PKCS#11 3.0 current mechanisms, footnote "single-part only"). */
static const mod_sig_scheme mod_schemes[] = {
	{.mech = CKM_RSA_PKCS, .pad = MOD_PAD_PKCS1, .hash = 0},
	{.mech = CKM_RSA_X_509, .pad = MOD_PAD_NONE, .hash = 0},
	{.mech = CKM_SHA256_RSA_PKCS, .pad = MOD_PAD_PKCS1, .hash = CKM_SHA256},
	{.mech = CKM_SHA384_RSA_PKCS, .pad = MOD_PAD_PKCS1, .hash = CKM_SHA384},
	{.mech = CKM_SHA512_RSA_PKCS, .pad = MOD_PAD_PKCS1, .hash = CKM_SHA512},
	{.mech = CKM_RSA_PKCS_PSS, .pad = MOD_PAD_PSS, .hash = 0},
	{.mech = CKM_SHA256_RSA_PKCS_PSS, .pad = MOD_PAD_PSS, .hash = CKM_SHA256},
	{.mech = CKM_SHA384_RSA_PKCS_PSS, .pad = MOD_PAD_PSS, .hash = CKM_SHA384},
	{.mech = CKM_SHA512_RSA_PKCS_PSS, .pad = MOD_PAD_PSS, .hash = CKM_SHA512},
	{.mech = CKM_ECDSA, .pad = MOD_PAD_ECDSA, .hash = 0},
	{.mech = CKM_ECDSA_SHA256, .pad = MOD_PAD_ECDSA, .hash = CKM_SHA256},
	{.mech = CKM_ECDSA_SHA384, .pad = MOD_PAD_ECDSA, .hash = CKM_SHA384},
	{.mech = CKM_ECDSA_SHA512, .pad = MOD_PAD_ECDSA, .hash = CKM_SHA512},
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

const mod_sig_scheme *mod_sig_scheme_find(CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < sizeof(mod_schemes) / sizeof(mod_schemes[0]); i++)
		if (mod_schemes[i].mech == type)
			return &mod_schemes[i];
	return NULL;
}

bool mod_sig_scheme_fits_key(const mod_sig_scheme *sc, bool key_is_rsa)
{
	return sc && (sc->pad == MOD_PAD_ECDSA) != key_is_rsa;
}
