/* Signature helpers of the module tests: sign through the function list, and check what
 * the module produced with OpenSSL alone, from the public key's PKCS#11 attributes; and
 * software keys standing in for the card in the signature layer's own tests. */
#ifndef KINKO_SIG_TEST_UTIL_H
#define KINKO_SIG_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "p11_test_util.h"

/* The public key of a key pair from CKA_MODULUS + CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS
 * (named curve OID) + CKA_EC_POINT (DER OCTET STRING). Asserts on failure. */
EVP_PKEY *sigt_pubkey(p11t *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub);

/* C_SignInit + C_Sign with a buffer of *sig_len bytes. Returns the first error. */
CK_RV sigt_sign(p11t *t, CK_SESSION_HANDLE s, CK_MECHANISM *mech, CK_OBJECT_HANDLE key,
                const uint8_t *data, size_t len, uint8_t *sig, CK_ULONG *sig_len);

/* Does sig verify with OpenSSL as mechanism mech (pss for the PSS ones) over data? For
 * CKM_RSA_PKCS data is the DigestInfo, for CKM_RSA_PKCS_PSS / CKM_ECDSA the digest; the
 * others hash data themselves. ECDSA signatures are PKCS#11's r||s. */
int sigt_verify(EVP_PKEY *pkey, CK_MECHANISM_TYPE mech, const CK_RSA_PKCS_PSS_PARAMS *pss,
                const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len);

/* A key pair generated on the token through the module (p11t_generate) and its public key
 * for OpenSSL. */
typedef struct {
	CK_OBJECT_HANDLE pub, priv;
	EVP_PKEY *pkey;
} sigt_keypair;

/* RSA of bits when curve is NULL, else EC on "P-256"/"P-384"; CKA_ID id. Asserts. */
void sigt_keypair_make(p11t *t, sigt_keypair *kp, CK_ULONG bits, const char *curve, CK_BYTE id);

/* md(msg) into dg (EVP_MAX_MD_SIZE bytes). */
void sigt_digest(const EVP_MD *md, const char *msg, uint8_t *dg, size_t *len);

/* DER DigestInfo of SHA-256(msg), for CKM_RSA_PKCS. Returns its length (51). */
size_t sigt_digest_info_sha256(const char *msg, uint8_t out[51]);

/* Software keys in place of the card's, for the tests of the signature layer's pure
 * functions (no module, no token): made once for a cmocka group. */
typedef struct {
	EVP_PKEY *rsa2048;
	EVP_PKEY *rsa1025; /* emBits = 1024: emLen (128) < k (129) */
	EVP_PKEY *p256;
} sigt_sw_keys;

/* cmocka group setup and teardown: *state is a sigt_sw_keys. */
int sigt_sw_keys_setup(void **state);
int sigt_sw_keys_teardown(void **state);

/* What the card does with an RSA block of k bytes (the key's size): raw RSA into sig
 * (k bytes). Asserts. */
void sigt_raw_rsa_sign(EVP_PKEY *pkey, const uint8_t *block, size_t k, uint8_t *sig);

#endif
