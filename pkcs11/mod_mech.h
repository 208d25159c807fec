/* Mechanisms: one table with designated initialisers, and the signing/verification
 * operations (padding and hashing in the module, the private-key operation on the card). */
#ifndef KINKO_MOD_MECH_H
#define KINKO_MOD_MECH_H

#include <stdbool.h>
#include <stddef.h>

#include "mod.h"

/* How a family of signature mechanisms is carried out (mod_sig.h: one per padding). */
typedef struct mod_sig_scheme mod_sig_scheme;

/* How an encryption mechanism pads (mod_crypt.h); MOD_ENC_NONE: it does not encrypt. */
typedef enum { MOD_ENC_NONE = 0, MOD_ENC_PKCS1, MOD_ENC_OAEP, MOD_ENC_RAW } mod_enc_pad;

/* One row per mechanism: everything C_GetMechanismInfo reports and everything signing and
 * verification need, so adding a mechanism is adding a row. */
typedef struct {
	CK_MECHANISM_TYPE type;
	CK_MECHANISM_INFO info;    /* key sizes in bits (RSA modulus, EC field), flags */
	CK_KEY_TYPE key_type;      /* CKK_RSA or CKK_EC: the keys it works with;
	                             * CK_UNAVAILABLE_INFORMATION for a digest */
	const mod_sig_scheme *sig; /* its padding and signature format; NULL for key-pair
	                             * generation */
	CK_MECHANISM_TYPE hash;    /* CKM_SHA256..: the module hashes the data; 0: single-part,
	                             * the caller passes the digest (or DigestInfo) */
	mod_enc_pad enc;           /* encryption and decryption: its padding */
} mod_mech;

/* The whole table; n set to its length. */
const mod_mech *mod_mech_table(size_t *n);
const mod_mech *mod_mech_find(CK_MECHANISM_TYPE type);
/* The row of mech for an operation of kind use (CKF_SIGN, CKF_DECRYPT, CKF_DIGEST, ...), in
 * the standard's order for every C_*Init and key-generating function: CKR_ARGUMENTS_BAD
 * for a NULL mech, CKR_MECHANISM_INVALID for a mechanism not in the table or whose row
 * lacks use. */
CK_RV mod_mech_for(const CK_MECHANISM *mech, CK_FLAGS use, const mod_mech **out);
/* An *Init's checks before the key's, in the standard's order: CKR_ARGUMENTS_BAD for a NULL
 * mech, CKR_OPERATION_ACTIVE when the session's slot cop holds an operation, then
 * mod_mech_for. */
CK_RV mod_mech_for_op(const mod_crypto_op *cop, const CK_MECHANISM *mech, CK_FLAGS use,
                      const mod_mech **out);
/* For a function whose operation the module does not have (C_GenerateKey, C_UnwrapKey,
 * recovery, message-based): mod_mech_for's CKR_ARGUMENTS_BAD or CKR_MECHANISM_INVALID, what
 * callers probing by mechanism expect; CKR_FUNCTION_NOT_SUPPORTED should a row ever offer
 * use, since nothing would carry it out. */
CK_RV mod_mech_refuse(const CK_MECHANISM *mech, CK_FLAGS use);
/* A signature mechanism (it has a scheme) for keys of this type. */
bool mod_mech_signs_with(const mod_mech *m, bool key_is_rsa);

/* ---- signing (mod_sign.c): the private-key operation on the card ----
 * All under the session's slot lock (P11_SESSION_CALL). The operation lives in
 * sess->sign; it ends as PKCS#11 says: on success, and on any error except
 * CKR_BUFFER_TOO_SMALL and a successful length query (pSignature NULL). */
CK_RV mod_sign_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                    CK_OBJECT_HANDLE key);
CK_RV mod_sign_oneshot(mod_session *sess, mod_slot *slot, const CK_BYTE *data, CK_ULONG len,
                       CK_BYTE *sig, CK_ULONG *sig_len);
CK_RV mod_sign_final(mod_session *sess, mod_slot *slot, CK_BYTE *sig, CK_ULONG *sig_len);

/* ---- verification (mod_verify.c): in software from the public key ---- */
CK_RV mod_verify_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                      CK_OBJECT_HANDLE key);
CK_RV mod_verify_oneshot(mod_session *sess, const CK_BYTE *data, CK_ULONG len, const CK_BYTE *sig,
                         CK_ULONG sig_len);
CK_RV mod_verify_final(mod_session *sess, const CK_BYTE *sig, CK_ULONG sig_len);

/* ---- random numbers from the token (mod_random.c): C_GenerateRandom ---- */
CK_RV mod_random_generate(mod_slot *slot, CK_BYTE *out, CK_ULONG len);

#endif
