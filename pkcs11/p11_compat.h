/* The PKCS#11 header of the module: p11-kit's <p11-kit/pkcs11.h> (the standard's API in
 * CRYPTOKI_COMPAT form) and, when that header predates PKCS#11 3.0, the 3.0 additions the
 * module implements, written from the OASIS PKCS#11 3.0 base specification: interfaces,
 * the 3.0 function list, C_LoginUser, C_SessionCancel and the message-based functions. */
#ifndef KINKO_P11_COMPAT_H
#define KINKO_P11_COMPAT_H

#include <p11-kit/pkcs11.h>

/* Parameter lists the standard gives several functions alike (same types, same meaning),
 * written once for the declarations below and the definitions of the C_* functions: the
 * data a function reads is pIn/ulInLen, what it writes pOut/pulOutLen, a signature it
 * checks pSig/ulSigLen. */
#define P11_ARGS_SESSION (CK_SESSION_HANDLE hSession)
#define P11_ARGS_KEY_INIT \
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
#define P11_ARGS_IN (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pIn, CK_ULONG ulInLen)
#define P11_ARGS_OUT (CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen)
#define P11_ARGS_IN_OUT                                                                   \
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pIn, CK_ULONG ulInLen, CK_BYTE_PTR pOut, \
	 CK_ULONG_PTR pulOutLen)
#define P11_ARGS_IN_SIG                                                                   \
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pIn, CK_ULONG ulInLen, CK_BYTE_PTR pSig, \
	 CK_ULONG ulSigLen)
/* The 3.0 message-based functions: parameters of the mechanism, then as above. */
#define P11_ARGS_MSG_BEGIN \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
#define P11_ARGS_MSG_BEGIN_AD                                                         \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)
#define P11_ARGS_MSG_CRYPT                                                            \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pIn,  \
	 CK_ULONG ulInLen, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen)
#define P11_ARGS_MSG_NEXT                                                             \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
	 CK_BYTE_PTR pIn, CK_ULONG ulInLen, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen, \
	 CK_FLAGS flags)
#define P11_ARGS_MSG_SIGN                                                             \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
	 CK_BYTE_PTR pIn, CK_ULONG ulInLen, CK_BYTE_PTR pOut, CK_ULONG_PTR pulOutLen)
#define P11_ARGS_MSG_VERIFY                                                           \
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, \
	 CK_BYTE_PTR pIn, CK_ULONG ulInLen, CK_BYTE_PTR pSig, CK_ULONG ulSigLen)

#if CRYPTOKI_VERSION_MAJOR < 3

/* ---- types (3.0 section 3.6: CK_INTERFACE) ---- */
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;   /* "PKCS 11" for the standard function lists */
	CK_VOID_PTR pFunctionList; /* a CK_FUNCTION_LIST or CK_FUNCTION_LIST_3_0 */
	CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE **CK_INTERFACE_PTR_PTR;

/* Interface flags, and the flag of C_*MessageNext that ends a multi-part message. */
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#define CKF_END_OF_MESSAGE 0x00000001UL

/* Mechanism flags for the message-based functions. */
#ifndef CKF_MESSAGE_ENCRYPT
#define CKF_MESSAGE_ENCRYPT 0x00000002UL
#define CKF_MESSAGE_DECRYPT 0x00000004UL
#define CKF_MESSAGE_SIGN 0x00000008UL
#define CKF_MESSAGE_VERIFY 0x00000010UL
#define CKF_MULTI_MESSAGE 0x00000020UL
#define CKF_FIND_OBJECTS 0x00000040UL
#endif

/* Return values new in 3.0. */
#ifndef CKR_TOKEN_RESOURCE_EXCEEDED
#define CKR_TOKEN_RESOURCE_EXCEEDED 0x00000201UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x00000202UL
#endif

/* ---- functions new in 3.0, in the order of the 3.0 function list ---- */
#define KINKO_P11_DECLARE(name, args)   \
	typedef CK_RV(*CK_##name) args; \
	CK_RV name args

KINKO_P11_DECLARE(C_GetInterfaceList, (CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount));
KINKO_P11_DECLARE(C_GetInterface, (CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                                   CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags));
KINKO_P11_DECLARE(C_LoginUser,
                  (CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                   CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen));
KINKO_P11_DECLARE(C_SessionCancel, (CK_SESSION_HANDLE hSession, CK_FLAGS flags));

KINKO_P11_DECLARE(C_MessageEncryptInit, P11_ARGS_KEY_INIT);
KINKO_P11_DECLARE(C_EncryptMessage, P11_ARGS_MSG_CRYPT);
KINKO_P11_DECLARE(C_EncryptMessageBegin, P11_ARGS_MSG_BEGIN_AD);
KINKO_P11_DECLARE(C_EncryptMessageNext, P11_ARGS_MSG_NEXT);
KINKO_P11_DECLARE(C_MessageEncryptFinal, P11_ARGS_SESSION);
KINKO_P11_DECLARE(C_MessageDecryptInit, P11_ARGS_KEY_INIT);
KINKO_P11_DECLARE(C_DecryptMessage, P11_ARGS_MSG_CRYPT);
KINKO_P11_DECLARE(C_DecryptMessageBegin, P11_ARGS_MSG_BEGIN_AD);
KINKO_P11_DECLARE(C_DecryptMessageNext, P11_ARGS_MSG_NEXT);
KINKO_P11_DECLARE(C_MessageDecryptFinal, P11_ARGS_SESSION);
KINKO_P11_DECLARE(C_MessageSignInit, P11_ARGS_KEY_INIT);
KINKO_P11_DECLARE(C_SignMessage, P11_ARGS_MSG_SIGN);
KINKO_P11_DECLARE(C_SignMessageBegin, P11_ARGS_MSG_BEGIN);
KINKO_P11_DECLARE(C_SignMessageNext, P11_ARGS_MSG_SIGN);
KINKO_P11_DECLARE(C_MessageSignFinal, P11_ARGS_SESSION);
KINKO_P11_DECLARE(C_MessageVerifyInit, P11_ARGS_KEY_INIT);
KINKO_P11_DECLARE(C_VerifyMessage, P11_ARGS_MSG_VERIFY);
KINKO_P11_DECLARE(C_VerifyMessageBegin, P11_ARGS_MSG_BEGIN);
KINKO_P11_DECLARE(C_VerifyMessageNext, P11_ARGS_MSG_VERIFY);
KINKO_P11_DECLARE(C_MessageVerifyFinal, P11_ARGS_SESSION);

#undef KINKO_P11_DECLARE

/* The 3.0 function list: the 2.40 list (same members, same order), then the 3.0 functions. */
typedef struct CK_FUNCTION_LIST_3_0 {
	CK_VERSION version;
	CK_C_Initialize C_Initialize;
	CK_C_Finalize C_Finalize;
	CK_C_GetInfo C_GetInfo;
	CK_C_GetFunctionList C_GetFunctionList;
	CK_C_GetSlotList C_GetSlotList;
	CK_C_GetSlotInfo C_GetSlotInfo;
	CK_C_GetTokenInfo C_GetTokenInfo;
	CK_C_GetMechanismList C_GetMechanismList;
	CK_C_GetMechanismInfo C_GetMechanismInfo;
	CK_C_InitToken C_InitToken;
	CK_C_InitPIN C_InitPIN;
	CK_C_SetPIN C_SetPIN;
	CK_C_OpenSession C_OpenSession;
	CK_C_CloseSession C_CloseSession;
	CK_C_CloseAllSessions C_CloseAllSessions;
	CK_C_GetSessionInfo C_GetSessionInfo;
	CK_C_GetOperationState C_GetOperationState;
	CK_C_SetOperationState C_SetOperationState;
	CK_C_Login C_Login;
	CK_C_Logout C_Logout;
	CK_C_CreateObject C_CreateObject;
	CK_C_CopyObject C_CopyObject;
	CK_C_DestroyObject C_DestroyObject;
	CK_C_GetObjectSize C_GetObjectSize;
	CK_C_GetAttributeValue C_GetAttributeValue;
	CK_C_SetAttributeValue C_SetAttributeValue;
	CK_C_FindObjectsInit C_FindObjectsInit;
	CK_C_FindObjects C_FindObjects;
	CK_C_FindObjectsFinal C_FindObjectsFinal;
	CK_C_EncryptInit C_EncryptInit;
	CK_C_Encrypt C_Encrypt;
	CK_C_EncryptUpdate C_EncryptUpdate;
	CK_C_EncryptFinal C_EncryptFinal;
	CK_C_DecryptInit C_DecryptInit;
	CK_C_Decrypt C_Decrypt;
	CK_C_DecryptUpdate C_DecryptUpdate;
	CK_C_DecryptFinal C_DecryptFinal;
	CK_C_DigestInit C_DigestInit;
	CK_C_Digest C_Digest;
	CK_C_DigestUpdate C_DigestUpdate;
	CK_C_DigestKey C_DigestKey;
	CK_C_DigestFinal C_DigestFinal;
	CK_C_SignInit C_SignInit;
	CK_C_Sign C_Sign;
	CK_C_SignUpdate C_SignUpdate;
	CK_C_SignFinal C_SignFinal;
	CK_C_SignRecoverInit C_SignRecoverInit;
	CK_C_SignRecover C_SignRecover;
	CK_C_VerifyInit C_VerifyInit;
	CK_C_Verify C_Verify;
	CK_C_VerifyUpdate C_VerifyUpdate;
	CK_C_VerifyFinal C_VerifyFinal;
	CK_C_VerifyRecoverInit C_VerifyRecoverInit;
	CK_C_VerifyRecover C_VerifyRecover;
	CK_C_DigestEncryptUpdate C_DigestEncryptUpdate;
	CK_C_DecryptDigestUpdate C_DecryptDigestUpdate;
	CK_C_SignEncryptUpdate C_SignEncryptUpdate;
	CK_C_DecryptVerifyUpdate C_DecryptVerifyUpdate;
	CK_C_GenerateKey C_GenerateKey;
	CK_C_GenerateKeyPair C_GenerateKeyPair;
	CK_C_WrapKey C_WrapKey;
	CK_C_UnwrapKey C_UnwrapKey;
	CK_C_DeriveKey C_DeriveKey;
	CK_C_SeedRandom C_SeedRandom;
	CK_C_GenerateRandom C_GenerateRandom;
	CK_C_GetFunctionStatus C_GetFunctionStatus;
	CK_C_CancelFunction C_CancelFunction;
	CK_C_WaitForSlotEvent C_WaitForSlotEvent;
	/* 3.0 */
	CK_C_GetInterfaceList C_GetInterfaceList;
	CK_C_GetInterface C_GetInterface;
	CK_C_LoginUser C_LoginUser;
	CK_C_SessionCancel C_SessionCancel;
	CK_C_MessageEncryptInit C_MessageEncryptInit;
	CK_C_EncryptMessage C_EncryptMessage;
	CK_C_EncryptMessageBegin C_EncryptMessageBegin;
	CK_C_EncryptMessageNext C_EncryptMessageNext;
	CK_C_MessageEncryptFinal C_MessageEncryptFinal;
	CK_C_MessageDecryptInit C_MessageDecryptInit;
	CK_C_DecryptMessage C_DecryptMessage;
	CK_C_DecryptMessageBegin C_DecryptMessageBegin;
	CK_C_DecryptMessageNext C_DecryptMessageNext;
	CK_C_MessageDecryptFinal C_MessageDecryptFinal;
	CK_C_MessageSignInit C_MessageSignInit;
	CK_C_SignMessage C_SignMessage;
	CK_C_SignMessageBegin C_SignMessageBegin;
	CK_C_SignMessageNext C_SignMessageNext;
	CK_C_MessageSignFinal C_MessageSignFinal;
	CK_C_MessageVerifyInit C_MessageVerifyInit;
	CK_C_VerifyMessage C_VerifyMessage;
	CK_C_VerifyMessageBegin C_VerifyMessageBegin;
	CK_C_VerifyMessageNext C_VerifyMessageNext;
	CK_C_MessageVerifyFinal C_MessageVerifyFinal;
} CK_FUNCTION_LIST_3_0;
typedef CK_FUNCTION_LIST_3_0 *CK_FUNCTION_LIST_3_0_PTR;
typedef CK_FUNCTION_LIST_3_0 **CK_FUNCTION_LIST_3_0_PTR_PTR;

#endif /* CRYPTOKI_VERSION_MAJOR < 3 */

/* The interface name of the standard function lists. */
#define KINKO_P11_INTERFACE_NAME "PKCS 11"

#endif
