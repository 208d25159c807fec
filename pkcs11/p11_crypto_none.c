/* The functions the token has no use for. Each still exists (PKCS#11: every
 * function of the list is callable) and answers in the standard's order of errors:
 * CKR_CRYPTOKI_NOT_INITIALIZED, then the session's own errors (CKR_SESSION_HANDLE_INVALID,
 * CKR_DEVICE_REMOVED), then CKR_FUNCTION_NOT_SUPPORTED. */
#include "p11_entry.h"

/* The session is checked, nothing else is looked at: the other parameters go unused. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define P11_NOT_SUPPORTED(name, params)                                        \
	P11_EXPORT CK_RV name params                                           \
	{                                                                      \
		P11_SESSION_CALL(#name, hSession, CKR_FUNCTION_NOT_SUPPORTED); \
	}

/* ---- Encryption and decryption: a PIV token signs; it holds no secret keys and RSA
 * decryption is not offered (CKA_DECRYPT FALSE). */
P11_NOT_SUPPORTED(C_EncryptInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_Encrypt, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_EncryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_EncryptFinal, P11_ARGS_OUT)
P11_NOT_SUPPORTED(C_DecryptInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_Decrypt, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptFinal, P11_ARGS_OUT)

/* ---- Signatures with message recovery: none of the mechanisms recovers data. */
P11_NOT_SUPPORTED(C_SignRecoverInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_SignRecover, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_VerifyRecoverInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_VerifyRecover, P11_ARGS_IN_OUT)

/* ---- Dual-function updates: each pairs an unsupported operation. */
P11_NOT_SUPPORTED(C_DigestEncryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptDigestUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_SignEncryptUpdate, P11_ARGS_IN_OUT)
P11_NOT_SUPPORTED(C_DecryptVerifyUpdate, P11_ARGS_IN_OUT)

/* ---- PKCS#11 3.0 message-based functions: no mechanism of the token offers CKF_MESSAGE_*. */
P11_NOT_SUPPORTED(C_MessageEncryptInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_EncryptMessage, P11_ARGS_MSG_CRYPT)
P11_NOT_SUPPORTED(C_EncryptMessageBegin, P11_ARGS_MSG_BEGIN_AD)
P11_NOT_SUPPORTED(C_EncryptMessageNext, P11_ARGS_MSG_NEXT)
P11_NOT_SUPPORTED(C_MessageEncryptFinal, P11_ARGS_SESSION)
P11_NOT_SUPPORTED(C_MessageDecryptInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_DecryptMessage, P11_ARGS_MSG_CRYPT)
P11_NOT_SUPPORTED(C_DecryptMessageBegin, P11_ARGS_MSG_BEGIN_AD)
P11_NOT_SUPPORTED(C_DecryptMessageNext, P11_ARGS_MSG_NEXT)
P11_NOT_SUPPORTED(C_MessageDecryptFinal, P11_ARGS_SESSION)
P11_NOT_SUPPORTED(C_MessageSignInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_SignMessage, P11_ARGS_MSG_SIGN)
P11_NOT_SUPPORTED(C_SignMessageBegin, P11_ARGS_MSG_BEGIN)
P11_NOT_SUPPORTED(C_SignMessageNext, P11_ARGS_MSG_SIGN)
P11_NOT_SUPPORTED(C_MessageSignFinal, P11_ARGS_SESSION)
P11_NOT_SUPPORTED(C_MessageVerifyInit, P11_ARGS_KEY_INIT)
P11_NOT_SUPPORTED(C_VerifyMessage, P11_ARGS_MSG_VERIFY)
P11_NOT_SUPPORTED(C_VerifyMessageBegin, P11_ARGS_MSG_BEGIN)
P11_NOT_SUPPORTED(C_VerifyMessageNext, P11_ARGS_MSG_VERIFY)
P11_NOT_SUPPORTED(C_MessageVerifyFinal, P11_ARGS_SESSION)

/* ---- Secret keys: a PIV token holds none, and derives or unwraps none. */
P11_NOT_SUPPORTED(C_GenerateKey,
                  (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                   CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey))
P11_NOT_SUPPORTED(C_UnwrapKey, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
                                CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                                CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey))
P11_NOT_SUPPORTED(C_DeriveKey, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                                CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey))
