/* The function lists and interfaces the module hands out: "PKCS 11" 3.0 (the default) and
 * "PKCS 11" 2.40 for callers that know only C_GetFunctionList. Neither is flagged
 * CKF_INTERFACE_FORK_SAFE: after fork() a child must call C_Initialize again
 * (p11_general.c). These functions work before C_Initialize, as the standard asks. */
#include <string.h>

#include "p11_entry.h"

static CK_FUNCTION_LIST mod_functions_240 = {
	.version = {2, 40},
	.C_Initialize = C_Initialize,
	.C_Finalize = C_Finalize,
	.C_GetInfo = C_GetInfo,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetSlotList = C_GetSlotList,
	.C_GetSlotInfo = C_GetSlotInfo,
	.C_GetTokenInfo = C_GetTokenInfo,
	.C_GetMechanismList = C_GetMechanismList,
	.C_GetMechanismInfo = C_GetMechanismInfo,
	.C_InitToken = C_InitToken,
	.C_InitPIN = C_InitPIN,
	.C_SetPIN = C_SetPIN,
	.C_OpenSession = C_OpenSession,
	.C_CloseSession = C_CloseSession,
	.C_CloseAllSessions = C_CloseAllSessions,
	.C_GetSessionInfo = C_GetSessionInfo,
	.C_GetOperationState = C_GetOperationState,
	.C_SetOperationState = C_SetOperationState,
	.C_Login = C_Login,
	.C_Logout = C_Logout,
	.C_CreateObject = C_CreateObject,
	.C_CopyObject = C_CopyObject,
	.C_DestroyObject = C_DestroyObject,
	.C_GetObjectSize = C_GetObjectSize,
	.C_GetAttributeValue = C_GetAttributeValue,
	.C_SetAttributeValue = C_SetAttributeValue,
	.C_FindObjectsInit = C_FindObjectsInit,
	.C_FindObjects = C_FindObjects,
	.C_FindObjectsFinal = C_FindObjectsFinal,
	.C_EncryptInit = C_EncryptInit,
	.C_Encrypt = C_Encrypt,
	.C_EncryptUpdate = C_EncryptUpdate,
	.C_EncryptFinal = C_EncryptFinal,
	.C_DecryptInit = C_DecryptInit,
	.C_Decrypt = C_Decrypt,
	.C_DecryptUpdate = C_DecryptUpdate,
	.C_DecryptFinal = C_DecryptFinal,
	.C_DigestInit = C_DigestInit,
	.C_Digest = C_Digest,
	.C_DigestUpdate = C_DigestUpdate,
	.C_DigestKey = C_DigestKey,
	.C_DigestFinal = C_DigestFinal,
	.C_SignInit = C_SignInit,
	.C_Sign = C_Sign,
	.C_SignUpdate = C_SignUpdate,
	.C_SignFinal = C_SignFinal,
	.C_SignRecoverInit = C_SignRecoverInit,
	.C_SignRecover = C_SignRecover,
	.C_VerifyInit = C_VerifyInit,
	.C_Verify = C_Verify,
	.C_VerifyUpdate = C_VerifyUpdate,
	.C_VerifyFinal = C_VerifyFinal,
	.C_VerifyRecoverInit = C_VerifyRecoverInit,
	.C_VerifyRecover = C_VerifyRecover,
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate,
	.C_SignEncryptUpdate = C_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,
	.C_GenerateKey = C_GenerateKey,
	.C_GenerateKeyPair = C_GenerateKeyPair,
	.C_WrapKey = C_WrapKey,
	.C_UnwrapKey = C_UnwrapKey,
	.C_DeriveKey = C_DeriveKey,
	.C_SeedRandom = C_SeedRandom,
	.C_GenerateRandom = C_GenerateRandom,
	.C_GetFunctionStatus = C_GetFunctionStatus,
	.C_CancelFunction = C_CancelFunction,
	.C_WaitForSlotEvent = C_WaitForSlotEvent,
};

static CK_FUNCTION_LIST_3_0 mod_functions_30 = {
	.version = {3, 0},
	.C_Initialize = C_Initialize,
	.C_Finalize = C_Finalize,
	.C_GetInfo = C_GetInfo,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetSlotList = C_GetSlotList,
	.C_GetSlotInfo = C_GetSlotInfo,
	.C_GetTokenInfo = C_GetTokenInfo,
	.C_GetMechanismList = C_GetMechanismList,
	.C_GetMechanismInfo = C_GetMechanismInfo,
	.C_InitToken = C_InitToken,
	.C_InitPIN = C_InitPIN,
	.C_SetPIN = C_SetPIN,
	.C_OpenSession = C_OpenSession,
	.C_CloseSession = C_CloseSession,
	.C_CloseAllSessions = C_CloseAllSessions,
	.C_GetSessionInfo = C_GetSessionInfo,
	.C_GetOperationState = C_GetOperationState,
	.C_SetOperationState = C_SetOperationState,
	.C_Login = C_Login,
	.C_Logout = C_Logout,
	.C_CreateObject = C_CreateObject,
	.C_CopyObject = C_CopyObject,
	.C_DestroyObject = C_DestroyObject,
	.C_GetObjectSize = C_GetObjectSize,
	.C_GetAttributeValue = C_GetAttributeValue,
	.C_SetAttributeValue = C_SetAttributeValue,
	.C_FindObjectsInit = C_FindObjectsInit,
	.C_FindObjects = C_FindObjects,
	.C_FindObjectsFinal = C_FindObjectsFinal,
	.C_EncryptInit = C_EncryptInit,
	.C_Encrypt = C_Encrypt,
	.C_EncryptUpdate = C_EncryptUpdate,
	.C_EncryptFinal = C_EncryptFinal,
	.C_DecryptInit = C_DecryptInit,
	.C_Decrypt = C_Decrypt,
	.C_DecryptUpdate = C_DecryptUpdate,
	.C_DecryptFinal = C_DecryptFinal,
	.C_DigestInit = C_DigestInit,
	.C_Digest = C_Digest,
	.C_DigestUpdate = C_DigestUpdate,
	.C_DigestKey = C_DigestKey,
	.C_DigestFinal = C_DigestFinal,
	.C_SignInit = C_SignInit,
	.C_Sign = C_Sign,
	.C_SignUpdate = C_SignUpdate,
	.C_SignFinal = C_SignFinal,
	.C_SignRecoverInit = C_SignRecoverInit,
	.C_SignRecover = C_SignRecover,
	.C_VerifyInit = C_VerifyInit,
	.C_Verify = C_Verify,
	.C_VerifyUpdate = C_VerifyUpdate,
	.C_VerifyFinal = C_VerifyFinal,
	.C_VerifyRecoverInit = C_VerifyRecoverInit,
	.C_VerifyRecover = C_VerifyRecover,
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate,
	.C_SignEncryptUpdate = C_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,
	.C_GenerateKey = C_GenerateKey,
	.C_GenerateKeyPair = C_GenerateKeyPair,
	.C_WrapKey = C_WrapKey,
	.C_UnwrapKey = C_UnwrapKey,
	.C_DeriveKey = C_DeriveKey,
	.C_SeedRandom = C_SeedRandom,
	.C_GenerateRandom = C_GenerateRandom,
	.C_GetFunctionStatus = C_GetFunctionStatus,
	.C_CancelFunction = C_CancelFunction,
	.C_WaitForSlotEvent = C_WaitForSlotEvent,
	.C_GetInterfaceList = C_GetInterfaceList,
	.C_GetInterface = C_GetInterface,
	.C_LoginUser = C_LoginUser,
	.C_SessionCancel = C_SessionCancel,
	.C_MessageEncryptInit = C_MessageEncryptInit,
	.C_EncryptMessage = C_EncryptMessage,
	.C_EncryptMessageBegin = C_EncryptMessageBegin,
	.C_EncryptMessageNext = C_EncryptMessageNext,
	.C_MessageEncryptFinal = C_MessageEncryptFinal,
	.C_MessageDecryptInit = C_MessageDecryptInit,
	.C_DecryptMessage = C_DecryptMessage,
	.C_DecryptMessageBegin = C_DecryptMessageBegin,
	.C_DecryptMessageNext = C_DecryptMessageNext,
	.C_MessageDecryptFinal = C_MessageDecryptFinal,
	.C_MessageSignInit = C_MessageSignInit,
	.C_SignMessage = C_SignMessage,
	.C_SignMessageBegin = C_SignMessageBegin,
	.C_SignMessageNext = C_SignMessageNext,
	.C_MessageSignFinal = C_MessageSignFinal,
	.C_MessageVerifyInit = C_MessageVerifyInit,
	.C_VerifyMessage = C_VerifyMessage,
	.C_VerifyMessageBegin = C_VerifyMessageBegin,
	.C_VerifyMessageNext = C_VerifyMessageNext,
	.C_MessageVerifyFinal = C_MessageVerifyFinal,
};

/* The first is the default of C_GetInterface(NULL, NULL, ...). */
static CK_INTERFACE mod_interfaces[] = {
	{(CK_CHAR *)KINKO_P11_INTERFACE_NAME, &mod_functions_30, 0},
	{(CK_CHAR *)KINKO_P11_INTERFACE_NAME, &mod_functions_240, 0},
};
#define MOD_N_INTERFACES (sizeof(mod_interfaces) / sizeof(mod_interfaces[0]))

P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		P11_RETURN("C_GetFunctionList", CKR_ARGUMENTS_BAD);
	*ppFunctionList = &mod_functions_240;
	P11_RETURN("C_GetFunctionList", CKR_OK);
}

P11_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	CK_ULONG have;

	if (!pulCount)
		P11_RETURN("C_GetInterfaceList", CKR_ARGUMENTS_BAD);
	have = *pulCount;
	*pulCount = MOD_N_INTERFACES;
	if (!pInterfacesList)
		P11_RETURN("C_GetInterfaceList", CKR_OK);
	if (have < MOD_N_INTERFACES)
		P11_RETURN("C_GetInterfaceList", CKR_BUFFER_TOO_SMALL);
	memcpy(pInterfacesList, mod_interfaces, sizeof(mod_interfaces));
	P11_RETURN("C_GetInterfaceList", CKR_OK);
}

static bool mod_interface_matches(const CK_INTERFACE *i, const CK_UTF8CHAR *name,
                                  const CK_VERSION *version, CK_FLAGS flags)
{
	const CK_VERSION *have = i->pFunctionList;   /* every list starts with its version */

	if (name && strcmp((const char *)name, (const char *)i->pInterfaceName) != 0)
		return false;
	if (version && (version->major != have->major || version->minor != have->minor))
		return false;
	return (i->flags & flags) == flags;
}

P11_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                                CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	size_t i;

	if (!ppInterface)
		P11_RETURN("C_GetInterface", CKR_ARGUMENTS_BAD);
	*ppInterface = NULL;
	for (i = 0; i < MOD_N_INTERFACES; i++) {
		if (mod_interface_matches(&mod_interfaces[i], pInterfaceName, pVersion, flags)) {
			*ppInterface = &mod_interfaces[i];
			P11_RETURN("C_GetInterface", CKR_OK);
		}
	}
	/* No such interface: the standard's answer for an unmatched request. */
	P11_RETURN("C_GetInterface", CKR_ARGUMENTS_BAD);
}
