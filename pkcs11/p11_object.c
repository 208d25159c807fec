/* The object functions of PKCS#11: thin wrappers (p11_entry.h) over the object layer
 * (mod_object.h). The token's objects are its keys and certificates; everything else an
 * application makes is a session object (mod_sobj.h), with handles of their own. */
#include "mod_object.h"
#include "mod_sobj.h"
#include "p11_entry.h"

/* ---- search ---- */

P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                                   CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_FindObjectsInit", hSession,
	                 mod_object_find_init(sess, slot, pTemplate, ulCount));
}

P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                               CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	P11_SESSION_CALL("C_FindObjects", hSession,
	                 ((void)slot,
	                  mod_object_find_next(sess, phObject, ulMaxObjectCount, pulObjectCount)));
}

P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_FindObjectsFinal", hSession, ((void)slot, mod_object_find_final(sess)));
}

/* ---- attributes ---- */

P11_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_GetAttributeValue", hSession,
	                 ((void)sess,
	                  mod_object_get_attributes(slot, hObject, pTemplate, ulCount)));
}

P11_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                 CK_ULONG_PTR pulSize)
{
	P11_SESSION_CALL("C_GetObjectSize", hSession,
	                 ((void)sess, mod_object_size(slot, hObject, pulSize)));
}

/* PIV stores no labels or flags: every attribute of a token object is what the token makes
 * it, except a private key's CKA_ID, which moves the key (mod_objmove.c). */
P11_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_SetAttributeValue", hSession,
	                 mod_objmove_set_attributes(slot, sess, hObject, pTemplate, ulCount));
}

/* ---- creating and destroying ---- */

P11_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                              CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                              CK_OBJECT_HANDLE_PTR phNewObject)
{
	P11_SESSION_CALL("C_CopyObject", hSession,
	                 mod_sobj_is_handle(hObject) ?
	                         mod_sobj_copy(slot, sess, hObject, pTemplate, ulCount,
	                                       phNewObject) :
	                         mod_object_copy(slot, hObject, pTemplate, ulCount, phNewObject));
}

P11_EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                                CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	P11_SESSION_CALL("C_CreateObject", hSession,
	                 mod_objwrite_create(slot, sess, pTemplate, ulCount, phObject));
}

P11_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	P11_SESSION_CALL("C_DestroyObject", hSession, mod_objwrite_destroy(slot, sess, hObject));
}

/* ---- keys ---- */

P11_EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                   CK_ATTRIBUTE_PTR pPublicKeyTemplate,
                                   CK_ULONG ulPublicKeyAttributeCount,
                                   CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
                                   CK_ULONG ulPrivateKeyAttributeCount,
                                   CK_OBJECT_HANDLE_PTR phPublicKey,
                                   CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	P11_SESSION_CALL("C_GenerateKeyPair", hSession,
	                 mod_keygen_generate(slot, sess, pMechanism, pPublicKeyTemplate,
	                                     ulPublicKeyAttributeCount, pPrivateKeyTemplate,
	                                     ulPrivateKeyAttributeCount, phPublicKey,
	                                     phPrivateKey));
}

P11_EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey,
                           CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	(void)pWrappedKey;
	P11_SESSION_CALL("C_WrapKey", hSession,
	                 ((void)sess,
	                  mod_object_wrap(slot, pMechanism, hWrappingKey, hKey, pulWrappedKeyLen)));
}
