/* PKCS#11 front end of the digests: thin wrappers over mod_digest.c (in software, no card
 * command); the parameter lists are p11_compat.h's. */
#include "mod_digest.h"
#include "p11_entry.h"

P11_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	P11_INIT_CALL("C_DigestInit", hSession, CKF_DIGEST,
	              ((void)slot, mod_digest_init(sess, pMechanism)));
}

P11_EXPORT CK_RV C_Digest P11_ARGS_IN_OUT
{
	P11_SESSION_CALL("C_Digest", hSession,
	                 ((void)slot, mod_digest_oneshot(sess, pIn, ulInLen, pOut, pulOutLen)));
}

P11_EXPORT CK_RV C_DigestUpdate P11_ARGS_IN
{
	P11_SESSION_CALL("C_DigestUpdate", hSession,
	                 ((void)slot, mod_digest_update(sess, pIn, ulInLen)));
}

P11_EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	P11_SESSION_CALL("C_DigestKey", hSession, mod_digest_key(sess, slot, hKey));
}

P11_EXPORT CK_RV C_DigestFinal P11_ARGS_OUT
{
	P11_SESSION_CALL("C_DigestFinal", hSession,
	                 ((void)slot, mod_digest_final(sess, pOut, pulOutLen)));
}
