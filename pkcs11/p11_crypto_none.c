/* The functions whose operation the module does not have. Each still exists (PKCS#11: every
 * function of the list is callable) and answers in the standard's order of errors:
 * CKR_CRYPTOKI_NOT_INITIALIZED, then the session's own errors (CKR_SESSION_HANDLE_INVALID,
 * CKR_DEVICE_REMOVED), then the arguments, then what the function itself says:
 * - an *Init or key-making function: CKR_MECHANISM_INVALID, as for any mechanism the
 *   table does not offer for that use (callers probe by mechanism and expect it);
 * - the calls that continue such an operation: CKR_OPERATION_NOT_INITIALIZED, since no
 *   init of theirs can succeed;
 * - CKR_FUNCTION_NOT_SUPPORTED only where the function cannot apply at all. */
#include "mod_mech.h"
#include "p11_entry.h"

/* The session is checked, nothing else is looked at: the other parameters go unused. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define P11_NOT_SUPPORTED(name, params)                                        \
	P11_EXPORT CK_RV name params                                           \
	{                                                                      \
		P11_SESSION_CALL(#name, hSession, CKR_FUNCTION_NOT_SUPPORTED); \
	}
/* An *Init (session, mechanism, key) of an operation no mechanism row offers (use): the
 * mechanism is checked, the key is not looked at. */
#define P11_NOT_OFFERED(name, use)                                                           \
	P11_EXPORT CK_RV name P11_ARGS_KEY_INIT                                              \
	{                                                                                    \
		P11_INIT_CALL(#name, hSession, (use),                                        \
		              ((void)slot, (void)sess, mod_mech_refuse(pMechanism, (use)))); \
	}
/* A call continuing an operation whose init never succeeds. */
#define P11_NOT_INITIALIZED(name, params)                                         \
	P11_EXPORT CK_RV name params                                              \
	{                                                                         \
		P11_SESSION_CALL(#name, hSession, CKR_OPERATION_NOT_INITIALIZED); \
	}

/* ---- Signatures with message recovery: none of the mechanisms recovers data. */
P11_NOT_OFFERED(C_SignRecoverInit, CKF_SIGN_RECOVER)
P11_NOT_INITIALIZED(C_SignRecover, P11_ARGS_IN_OUT)
P11_NOT_OFFERED(C_VerifyRecoverInit, CKF_VERIFY_RECOVER)
P11_NOT_INITIALIZED(C_VerifyRecover, P11_ARGS_IN_OUT)

/* ---- Dual-function updates: the token does not run two operations in one call
 * (CK_TOKEN_INFO lacks CKF_DUAL_CRYPTO_OPERATIONS), so these cannot apply. */
P11_NOT_SUPPORTED(C_DigestEncryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptDigestUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_SignEncryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptVerifyUpdate, P11_ARGS_IN_OUT)

/* ---- PKCS#11 3.0 message-based functions: no mechanism of the token offers CKF_MESSAGE_*. */
P11_NOT_OFFERED(C_MessageEncryptInit, CKF_MESSAGE_ENCRYPT)
P11_NOT_INITIALIZED(C_EncryptMessage, P11_ARGS_MSG_CRYPT)
P11_NOT_INITIALIZED(C_EncryptMessageBegin, P11_ARGS_MSG_BEGIN_AD)
P11_NOT_INITIALIZED(C_EncryptMessageNext, P11_ARGS_MSG_NEXT)
P11_NOT_INITIALIZED(C_MessageEncryptFinal, P11_ARGS_SESSION)
P11_NOT_OFFERED(C_MessageDecryptInit, CKF_MESSAGE_DECRYPT)
P11_NOT_INITIALIZED(C_DecryptMessage, P11_ARGS_MSG_CRYPT)
P11_NOT_INITIALIZED(C_DecryptMessageBegin, P11_ARGS_MSG_BEGIN_AD)
P11_NOT_INITIALIZED(C_DecryptMessageNext, P11_ARGS_MSG_NEXT)
P11_NOT_INITIALIZED(C_MessageDecryptFinal, P11_ARGS_SESSION)
P11_NOT_OFFERED(C_MessageSignInit, CKF_MESSAGE_SIGN)
P11_NOT_INITIALIZED(C_SignMessage, P11_ARGS_MSG_SIGN)
P11_NOT_INITIALIZED(C_SignMessageBegin, P11_ARGS_MSG_BEGIN)
P11_NOT_INITIALIZED(C_SignMessageNext, P11_ARGS_MSG_SIGN)
P11_NOT_INITIALIZED(C_MessageSignFinal, P11_ARGS_SESSION)
P11_NOT_OFFERED(C_MessageVerifyInit, CKF_MESSAGE_VERIFY)
P11_NOT_INITIALIZED(C_VerifyMessage, P11_ARGS_MSG_VERIFY)
P11_NOT_INITIALIZED(C_VerifyMessageBegin, P11_ARGS_MSG_BEGIN)
P11_NOT_INITIALIZED(C_VerifyMessageNext, P11_ARGS_MSG_VERIFY)
P11_NOT_INITIALIZED(C_MessageVerifyFinal, P11_ARGS_SESSION)

/* ---- Secret keys: a PIV token holds none and makes or unwraps none; no row offers
 * CKF_GENERATE or CKF_UNWRAP (ECDH's C_DeriveKey: p11_derive.c). The arguments first, then
 * the mechanism. */
static CK_RV none_key_refuse(const CK_MECHANISM *mech, CK_FLAGS use, const CK_ATTRIBUTE *tmpl,
                             CK_ULONG n, const CK_OBJECT_HANDLE *h)
{
	if (!h || (!tmpl && n))
		return CKR_ARGUMENTS_BAD;
	return mod_mech_refuse(mech, use);
}

P11_EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                               CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                               CK_OBJECT_HANDLE_PTR phKey)
{
	P11_SESSION_CALL("C_GenerateKey", hSession,
	                 ((void)slot, (void)sess,
	                  none_key_refuse(pMechanism, CKF_GENERATE, pTemplate, ulCount, phKey)));
}

P11_EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                             CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
                             CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                             CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	P11_SESSION_CALL("C_UnwrapKey", hSession,
	                 ((void)slot, (void)sess,
	                  !pWrappedKey ? CKR_ARGUMENTS_BAD :
	                                 none_key_refuse(pMechanism, CKF_UNWRAP, pTemplate,
	                                                 ulAttributeCount, phKey)));
}
