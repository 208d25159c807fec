/* Digests in software: C_DigestInit/C_Digest/C_DigestUpdate/C_DigestKey/C_DigestFinal with
 * OpenSSL's EVP, for the CKF_DIGEST rows of the mechanism table. A digest never talks to
 * the card; only C_DigestKey may learn a token public key it has not read yet. */
#ifndef KINKO_MOD_DIGEST_H
#define KINKO_MOD_DIGEST_H

#include "mod.h"

/* All under the session's slot lock (P11_SESSION_CALL); the operation lives in
 * sess->digest. It ends as PKCS#11 says: on success of C_Digest/C_DigestFinal and on any
 * error, except CKR_BUFFER_TOO_SMALL and a successful length query (pDigest NULL). */
CK_RV mod_digest_init(mod_session *sess, const CK_MECHANISM *mech);
CK_RV mod_digest_oneshot(mod_session *sess, const CK_BYTE *data, CK_ULONG len, CK_BYTE *out,
                         CK_ULONG *out_len);
CK_RV mod_digest_update(mod_session *sess, const CK_BYTE *part, CK_ULONG len);
/* The key's value as part of the data: a public key (token or session) contributes its DER
 * SubjectPublicKeyInfo (what CKA_PUBLIC_KEY_INFO holds: one encoding for RSA and EC keys),
 * a session secret key its CKA_VALUE; a private key is CKR_KEY_INDIGESTIBLE (it never
 * leaves the token). */
CK_RV mod_digest_key(mod_session *sess, mod_slot *slot, CK_OBJECT_HANDLE key);
CK_RV mod_digest_final(mod_session *sess, CK_BYTE *out, CK_ULONG *out_len);

#endif
