/* PKCS#11 front end of the cryptographic functions the token supports: signing (on the
 * card), verification (in software) and random numbers (from the card). Thin wrappers:
 * the work is in mod_sign.c and mod_verify.c; the parameter lists are p11_compat.h's. */
#include "mod_mech.h"
#include "mod_sig.h"
#include "p11_entry.h"

/* ---- signing ---- */

P11_EXPORT CK_RV C_SignInit P11_ARGS_KEY_INIT
{
	P11_INIT_CALL("C_SignInit", hSession, CKF_SIGN,
	              mod_sign_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Sign P11_ARGS_IN_OUT
{
	P11_SESSION_CALL("C_Sign", hSession,
	                 mod_sign_oneshot(sess, slot, pIn, ulInLen, pOut, pulOutLen));
}

P11_EXPORT CK_RV C_SignUpdate P11_ARGS_IN
{
	P11_SESSION_CALL("C_SignUpdate", hSession,
	                 mod_sig_session_update(&sess->sign, pIn, ulInLen));
}

P11_EXPORT CK_RV C_SignFinal P11_ARGS_OUT
{
	P11_SESSION_CALL("C_SignFinal", hSession, mod_sign_final(sess, slot, pOut, pulOutLen));
}

/* ---- verification ---- */

P11_EXPORT CK_RV C_VerifyInit P11_ARGS_KEY_INIT
{
	P11_INIT_CALL("C_VerifyInit", hSession, CKF_VERIFY,
	              mod_verify_init(sess, slot, pMechanism, hKey));
}

P11_EXPORT CK_RV C_Verify P11_ARGS_IN_SIG
{
	P11_SESSION_CALL("C_Verify", hSession,
	                 mod_verify_oneshot(sess, pIn, ulInLen, pSig, ulSigLen));
}

P11_EXPORT CK_RV C_VerifyUpdate P11_ARGS_IN
{
	P11_SESSION_CALL("C_VerifyUpdate", hSession,
	                 mod_sig_session_update(&sess->verify, pIn, ulInLen));
}

/* The signature is all C_VerifyFinal reads. */
P11_EXPORT CK_RV C_VerifyFinal P11_ARGS_IN
{
	P11_SESSION_CALL("C_VerifyFinal", hSession, mod_verify_final(sess, pIn, ulInLen));
}

/* ---- random numbers ---- */

P11_EXPORT CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	(void)ulSeedLen;
	/* The arguments before the answer: the token's generator takes no seed from the host. */
	P11_SESSION_CALL("C_SeedRandom", hSession,
	                 ((void)sess, (void)slot,
	                  !pSeed ? CKR_ARGUMENTS_BAD : CKR_RANDOM_SEED_NOT_SUPPORTED));
}

P11_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData,
                                  CK_ULONG ulRandomLen)
{
	P11_SESSION_CALL("C_GenerateRandom", hSession,
	                 mod_random_generate(slot, pRandomData, ulRandomLen));
}
