/* The function lists and interfaces the module hands out: "PKCS 11" 3.0 (the default) and
 * "PKCS 11" 2.40 for callers that know only C_GetFunctionList. Neither is flagged
 * CKF_INTERFACE_FORK_SAFE: after fork() a child must call C_Initialize again
 * (mod_module.c). These functions work before C_Initialize, as the standard asks. */
#include <string.h>

#include "p11_entry.h"

/* The functions of each version, named once: both lists are built from these. */
#define P11_FUNCTIONS_2_40(X)    \
	X(C_Initialize)          \
	X(C_Finalize)            \
	X(C_GetInfo)             \
	X(C_GetFunctionList)     \
	X(C_GetSlotList)         \
	X(C_GetSlotInfo)         \
	X(C_GetTokenInfo)        \
	X(C_GetMechanismList)    \
	X(C_GetMechanismInfo)    \
	X(C_InitToken)           \
	X(C_InitPIN)             \
	X(C_SetPIN)              \
	X(C_OpenSession)         \
	X(C_CloseSession)        \
	X(C_CloseAllSessions)    \
	X(C_GetSessionInfo)      \
	X(C_GetOperationState)   \
	X(C_SetOperationState)   \
	X(C_Login)               \
	X(C_Logout)              \
	X(C_CreateObject)        \
	X(C_CopyObject)          \
	X(C_DestroyObject)       \
	X(C_GetObjectSize)       \
	X(C_GetAttributeValue)   \
	X(C_SetAttributeValue)   \
	X(C_FindObjectsInit)     \
	X(C_FindObjects)         \
	X(C_FindObjectsFinal)    \
	X(C_EncryptInit)         \
	X(C_Encrypt)             \
	X(C_EncryptUpdate)       \
	X(C_EncryptFinal)        \
	X(C_DecryptInit)         \
	X(C_Decrypt)             \
	X(C_DecryptUpdate)       \
	X(C_DecryptFinal)        \
	X(C_DigestInit)          \
	X(C_Digest)              \
	X(C_DigestUpdate)        \
	X(C_DigestKey)           \
	X(C_DigestFinal)         \
	X(C_SignInit)            \
	X(C_Sign)                \
	X(C_SignUpdate)          \
	X(C_SignFinal)           \
	X(C_SignRecoverInit)     \
	X(C_SignRecover)         \
	X(C_VerifyInit)          \
	X(C_Verify)              \
	X(C_VerifyUpdate)        \
	X(C_VerifyFinal)         \
	X(C_VerifyRecoverInit)   \
	X(C_VerifyRecover)       \
	X(C_DigestEncryptUpdate) \
	X(C_DecryptDigestUpdate) \
	X(C_SignEncryptUpdate)   \
	X(C_DecryptVerifyUpdate) \
	X(C_GenerateKey)         \
	X(C_GenerateKeyPair)     \
	X(C_WrapKey)             \
	X(C_UnwrapKey)           \
	X(C_DeriveKey)           \
	X(C_SeedRandom)          \
	X(C_GenerateRandom)      \
	X(C_GetFunctionStatus)   \
	X(C_CancelFunction)      \
	X(C_WaitForSlotEvent)

#define P11_FUNCTIONS_3_0_ONLY(X) \
	X(C_GetInterfaceList)     \
	X(C_GetInterface)         \
	X(C_LoginUser)            \
	X(C_SessionCancel)        \
	X(C_MessageEncryptInit)   \
	X(C_EncryptMessage)       \
	X(C_EncryptMessageBegin)  \
	X(C_EncryptMessageNext)   \
	X(C_MessageEncryptFinal)  \
	X(C_MessageDecryptInit)   \
	X(C_DecryptMessage)       \
	X(C_DecryptMessageBegin)  \
	X(C_DecryptMessageNext)   \
	X(C_MessageDecryptFinal)  \
	X(C_MessageSignInit)      \
	X(C_SignMessage)          \
	X(C_SignMessageBegin)     \
	X(C_SignMessageNext)      \
	X(C_MessageSignFinal)     \
	X(C_MessageVerifyInit)    \
	X(C_VerifyMessage)        \
	X(C_VerifyMessageBegin)   \
	X(C_VerifyMessageNext)    \
	X(C_MessageVerifyFinal)

#define P11_FUNCTION_ENTRY(f) .f = f,

static CK_FUNCTION_LIST p11_functions_240 = {.version = {2, 40},
                                             P11_FUNCTIONS_2_40(P11_FUNCTION_ENTRY)};

static CK_FUNCTION_LIST_3_0 p11_functions_30 = {.version = {3, 0},
                                                P11_FUNCTIONS_2_40(P11_FUNCTION_ENTRY)
                                                        P11_FUNCTIONS_3_0_ONLY(P11_FUNCTION_ENTRY)};

/* The first is the default of C_GetInterface(NULL, NULL, ...). */
static CK_INTERFACE p11_interfaces[] = {
	{(CK_CHAR *)KINKO_P11_INTERFACE_NAME, &p11_functions_30, 0},
	{(CK_CHAR *)KINKO_P11_INTERFACE_NAME, &p11_functions_240, 0},
};
#define P11_N_INTERFACES (sizeof(p11_interfaces) / sizeof(p11_interfaces[0]))

P11_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (!ppFunctionList)
		P11_RETURN("C_GetFunctionList", CKR_ARGUMENTS_BAD);
	*ppFunctionList = &p11_functions_240;
	P11_RETURN("C_GetFunctionList", CKR_OK);
}

P11_EXPORT CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	CK_ULONG have;

	if (!pulCount)
		P11_RETURN("C_GetInterfaceList", CKR_ARGUMENTS_BAD);
	have = *pulCount;
	*pulCount = P11_N_INTERFACES;
	if (!pInterfacesList)
		P11_RETURN("C_GetInterfaceList", CKR_OK);
	if (have < P11_N_INTERFACES)
		P11_RETURN("C_GetInterfaceList", CKR_BUFFER_TOO_SMALL);
	memcpy(pInterfacesList, p11_interfaces, sizeof(p11_interfaces));
	P11_RETURN("C_GetInterfaceList", CKR_OK);
}

static bool p11_interface_matches(const CK_INTERFACE *i, const CK_UTF8CHAR *name,
                                  const CK_VERSION *version, CK_FLAGS flags)
{
	const CK_VERSION *have = i->pFunctionList; /* every list starts with its version */

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
	for (i = 0; i < P11_N_INTERFACES; i++) {
		if (p11_interface_matches(&p11_interfaces[i], pInterfaceName, pVersion, flags)) {
			*ppInterface = &p11_interfaces[i];
			P11_RETURN("C_GetInterface", CKR_OK);
		}
	}
	/* No such interface: the standard's answer for an unmatched request. */
	P11_RETURN("C_GetInterface", CKR_ARGUMENTS_BAD);
}
