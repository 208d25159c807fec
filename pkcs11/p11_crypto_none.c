/* The cryptographic functions the token has no use for. Each still exists (PKCS#11: every
 * function of the list is callable) and answers in the standard's order of errors:
 * CKR_CRYPTOKI_NOT_INITIALIZED, then the session's own errors (CKR_SESSION_HANDLE_INVALID,
 * CKR_DEVICE_REMOVED), then CKR_FUNCTION_NOT_SUPPORTED. */
#include "p11_entry.h"

/* The session is checked, nothing else is looked at. */
#define P11_NOT_SUPPORTED(name, h) P11_SESSION_CALL(name, h, CKR_FUNCTION_NOT_SUPPORTED)

/* ---- Encryption, decryption and digesting: a PIV token signs; it holds no secret keys and
 * RSA decryption is not offered (CKA_DECRYPT FALSE), and digests are the host's job. */

P11_EXPORT CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                               CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_EncryptInit", hSession);
}

P11_EXPORT CK_RV C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                           CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen)
{
	(void)pData;
	(void)ulDataLen;
	(void)pEncryptedData;
	(void)pulEncryptedDataLen;
	P11_NOT_SUPPORTED("C_Encrypt", hSession);
}

P11_EXPORT CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                                 CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	P11_NOT_SUPPORTED("C_EncryptUpdate", hSession);
}

P11_EXPORT CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
                                CK_ULONG_PTR pulLastEncryptedPartLen)
{
	(void)pLastEncryptedPart;
	(void)pulLastEncryptedPartLen;
	P11_NOT_SUPPORTED("C_EncryptFinal", hSession);
}

P11_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                               CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_DecryptInit", hSession);
}

P11_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData,
                           CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen)
{
	(void)pEncryptedData;
	(void)ulEncryptedDataLen;
	(void)pData;
	(void)pulDataLen;
	P11_NOT_SUPPORTED("C_Decrypt", hSession);
}

P11_EXPORT CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                                 CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
                                 CK_ULONG_PTR pulPartLen)
{
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	P11_NOT_SUPPORTED("C_DecryptUpdate", hSession);
}

P11_EXPORT CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart,
                                CK_ULONG_PTR pulLastPartLen)
{
	(void)pLastPart;
	(void)pulLastPartLen;
	P11_NOT_SUPPORTED("C_DecryptFinal", hSession);
}

P11_EXPORT CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
	(void)pMechanism;
	P11_NOT_SUPPORTED("C_DigestInit", hSession);
}

P11_EXPORT CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                          CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	(void)pData;
	(void)ulDataLen;
	(void)pDigest;
	(void)pulDigestLen;
	P11_NOT_SUPPORTED("C_Digest", hSession);
}

P11_EXPORT CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
	(void)pPart;
	(void)ulPartLen;
	P11_NOT_SUPPORTED("C_DigestUpdate", hSession);
}

P11_EXPORT CK_RV C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	(void)hKey;
	P11_NOT_SUPPORTED("C_DigestKey", hSession);
}

P11_EXPORT CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest,
                               CK_ULONG_PTR pulDigestLen)
{
	(void)pDigest;
	(void)pulDigestLen;
	P11_NOT_SUPPORTED("C_DigestFinal", hSession);
}

/* ---- Signatures with message recovery: none of the mechanisms recovers data. */

P11_EXPORT CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                   CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_SignRecoverInit", hSession);
}

P11_EXPORT CK_RV C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                               CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	P11_NOT_SUPPORTED("C_SignRecover", hSession);
}

P11_EXPORT CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                     CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_VerifyRecoverInit", hSession);
}

P11_EXPORT CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                                 CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
                                 CK_ULONG_PTR pulDataLen)
{
	(void)pSignature;
	(void)ulSignatureLen;
	(void)pData;
	(void)pulDataLen;
	P11_NOT_SUPPORTED("C_VerifyRecover", hSession);
}

/* ---- Dual-function updates: each pairs an unsupported operation. */

P11_EXPORT CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                                       CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
                                       CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	P11_NOT_SUPPORTED("C_DigestEncryptUpdate", hSession);
}

P11_EXPORT CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                                       CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
                                       CK_ULONG_PTR pulPartLen)
{
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	P11_NOT_SUPPORTED("C_DecryptDigestUpdate", hSession);
}

P11_EXPORT CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                                     CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
                                     CK_ULONG_PTR pulEncryptedPartLen)
{
	(void)pPart;
	(void)ulPartLen;
	(void)pEncryptedPart;
	(void)pulEncryptedPartLen;
	P11_NOT_SUPPORTED("C_SignEncryptUpdate", hSession);
}

P11_EXPORT CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
                                       CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
                                       CK_ULONG_PTR pulPartLen)
{
	(void)pEncryptedPart;
	(void)ulEncryptedPartLen;
	(void)pPart;
	(void)pulPartLen;
	P11_NOT_SUPPORTED("C_DecryptVerifyUpdate", hSession);
}

/* ---- PKCS#11 3.0 message-based functions: no mechanism of the token offers CKF_MESSAGE_*. */

P11_EXPORT CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                      CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_MessageEncryptInit", hSession);
}

P11_EXPORT CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                  CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                                  CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext,
                                  CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext,
                                  CK_ULONG_PTR pulCiphertextLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	(void)pPlaintext;
	(void)ulPlaintextLen;
	(void)pCiphertext;
	(void)pulCiphertextLen;
	P11_NOT_SUPPORTED("C_EncryptMessage", hSession);
}

P11_EXPORT CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                       CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                                       CK_ULONG ulAssociatedDataLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	P11_NOT_SUPPORTED("C_EncryptMessageBegin", hSession);
}

P11_EXPORT CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                      CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
                                      CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
                                      CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pPlaintextPart;
	(void)ulPlaintextPartLen;
	(void)pCiphertextPart;
	(void)pulCiphertextPartLen;
	(void)flags;
	P11_NOT_SUPPORTED("C_EncryptMessageNext", hSession);
}

P11_EXPORT CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	P11_NOT_SUPPORTED("C_MessageEncryptFinal", hSession);
}

P11_EXPORT CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                      CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_MessageDecryptInit", hSession);
}

P11_EXPORT CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                  CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                                  CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
                                  CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext,
                                  CK_ULONG_PTR pulPlaintextLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	(void)pCiphertext;
	(void)ulCiphertextLen;
	(void)pPlaintext;
	(void)pulPlaintextLen;
	P11_NOT_SUPPORTED("C_DecryptMessage", hSession);
}

P11_EXPORT CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                       CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
                                       CK_ULONG ulAssociatedDataLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pAssociatedData;
	(void)ulAssociatedDataLen;
	P11_NOT_SUPPORTED("C_DecryptMessageBegin", hSession);
}

P11_EXPORT CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                      CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
                                      CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
                                      CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pCiphertextPart;
	(void)ulCiphertextPartLen;
	(void)pPlaintextPart;
	(void)pulPlaintextPartLen;
	(void)flags;
	P11_NOT_SUPPORTED("C_DecryptMessageNext", hSession);
}

P11_EXPORT CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	P11_NOT_SUPPORTED("C_MessageDecryptFinal", hSession);
}

P11_EXPORT CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                   CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_MessageSignInit", hSession);
}

P11_EXPORT CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                               CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                               CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	P11_NOT_SUPPORTED("C_SignMessage", hSession);
}

P11_EXPORT CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                    CK_ULONG ulParameterLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	P11_NOT_SUPPORTED("C_SignMessageBegin", hSession);
}

P11_EXPORT CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                   CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                                   CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)pulSignatureLen;
	P11_NOT_SUPPORTED("C_SignMessageNext", hSession);
}

P11_EXPORT CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	P11_NOT_SUPPORTED("C_MessageSignFinal", hSession);
}

P11_EXPORT CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                     CK_OBJECT_HANDLE hKey)
{
	(void)pMechanism;
	(void)hKey;
	P11_NOT_SUPPORTED("C_MessageVerifyInit", hSession);
}

P11_EXPORT CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                 CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                                 CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)ulSignatureLen;
	P11_NOT_SUPPORTED("C_VerifyMessage", hSession);
}

P11_EXPORT CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                      CK_ULONG ulParameterLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	P11_NOT_SUPPORTED("C_VerifyMessageBegin", hSession);
}

P11_EXPORT CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                                     CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
                                     CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                                     CK_ULONG ulSignatureLen)
{
	(void)pParameter;
	(void)ulParameterLen;
	(void)pData;
	(void)ulDataLen;
	(void)pSignature;
	(void)ulSignatureLen;
	P11_NOT_SUPPORTED("C_VerifyMessageNext", hSession);
}

P11_EXPORT CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	P11_NOT_SUPPORTED("C_MessageVerifyFinal", hSession);
}
