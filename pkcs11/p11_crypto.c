/* PKCS#11 front end of the cryptographic functions the token supports: signing (on the
 * card), verification (in software) and random numbers (from the card). Thin wrappers:
 * the work is in mod_sign.c and mod_verify.c. */
#include "mod_mech.h"
#include "p11_entry.h"

/* ---- signing ---- */

P11_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                            CK_OBJECT_HANDLE hKey)
{
	P11_SESSION_CALL("C_SignInit", hSession, mod_sign_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                        CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	P11_SESSION_CALL("C_Sign", hSession,
	                 mod_sign_oneshot(sess, slot, pData, ulDataLen, pSignature, pulSignatureLen));
}

P11_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	P11_SESSION_CALL("C_SignUpdate", hSession, mod_sign_update(sess, slot, pPart, ulPartLen));
}

P11_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                             CK_ULONG_PTR pulSignatureLen)
{
	P11_SESSION_CALL("C_SignFinal", hSession,
	                 mod_sign_final(sess, slot, pSignature, pulSignatureLen));
}

/* ---- verification ---- */

P11_EXPORT CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                              CK_OBJECT_HANDLE hKey)
{
	P11_SESSION_CALL("C_VerifyInit", hSession, mod_verify_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	P11_SESSION_CALL("C_Verify", hSession,
	                 mod_verify_oneshot(sess, pData, ulDataLen, pSignature, ulSignatureLen));
}

P11_EXPORT CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	P11_SESSION_CALL("C_VerifyUpdate", hSession,
	                 mod_verify_update(sess, pPart, ulPartLen));
}

P11_EXPORT CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                               CK_ULONG ulSignatureLen)
{
	P11_SESSION_CALL("C_VerifyFinal", hSession,
	                 mod_verify_final(sess, pSignature, ulSignatureLen));
}

/* ---- random numbers ---- */

P11_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	(void)pSeed;
	(void)ulSeedLen;
	/* The token's generator takes no seed from the host. */
	P11_SESSION_CALL("C_SeedRandom", hSession,
	                 CKR_RANDOM_SEED_NOT_SUPPORTED);
}

P11_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData,
                                  CK_ULONG ulRandomLen)
{
	P11_SESSION_CALL("C_GenerateRandom", hSession,
	                 mod_random_generate(slot, pRandomData, ulRandomLen));
}
