/* The object functions of PKCS#11: thin wrappers (p11_entry.h) over the object layer
 * (mod_object.h). The token's objects are its keys and certificates; nothing else can be
 * created, copied or changed. */
#include <stdlib.h>

#include "mod_object.h"
#include "p11_entry.h"

/* ---- search ---- */

static CK_RV find_init(mod_session *sess, mod_slot *slot, const CK_ATTRIBUTE *tmpl,
                       CK_ULONG n)
{
	CK_OBJECT_HANDLE *found = NULL;
	size_t n_found = 0;
	CK_RV rv;

	if (sess->find_active)
		return CKR_OPERATION_ACTIVE;
	rv = mod_object_find(slot, tmpl, n, &found, &n_found);
	if (rv != CKR_OK)
		return rv;
	free(sess->found);
	sess->found = found;
	sess->n_found = n_found;
	sess->find_pos = 0;
	sess->find_active = true;
	return CKR_OK;
}

static CK_RV find_next(mod_session *sess, CK_OBJECT_HANDLE *out, CK_ULONG max,
                       CK_ULONG *count)
{
	CK_ULONG n = 0;

	if (!count || (!out && max > 0))
		return CKR_ARGUMENTS_BAD;
	if (!sess->find_active)
		return CKR_OPERATION_NOT_INITIALIZED;
	while (n < max && sess->find_pos < sess->n_found)
		out[n++] = sess->found[sess->find_pos++];
	*count = n;
	return CKR_OK;
}

static CK_RV find_final(mod_session *sess)
{
	if (!sess->find_active)
		return CKR_OPERATION_NOT_INITIALIZED;
	free(sess->found);
	sess->found = NULL;
	sess->n_found = sess->find_pos = 0;
	sess->find_active = false;
	return CKR_OK;
}

P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
                                   CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_FindObjectsInit", hSession, find_init(sess, slot, pTemplate, ulCount));
}

P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                               CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	P11_SESSION_CALL("C_FindObjects", hSession,
	                 ((void)slot, find_next(sess, phObject, ulMaxObjectCount, pulObjectCount)));
}

P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_FindObjectsFinal", hSession, ((void)slot, find_final(sess)));
}

/* ---- attributes ---- */

P11_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_GetAttributeValue", hSession,
	                 ((void)sess, mod_object_get_attributes(slot, hObject, pTemplate, ulCount)));
}

/* PKCS#11 allows "unavailable": an object's size on a PIV token means nothing useful. */
static CK_RV object_size(mod_slot *slot, CK_OBJECT_HANDLE h, CK_ULONG *size)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (!size)
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check(slot, h, &idx, &kind);
	if (rv == CKR_OK)
		*size = CK_UNAVAILABLE_INFORMATION;
	return rv;
}

P11_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                 CK_ULONG_PTR pulSize)
{
	P11_SESSION_CALL("C_GetObjectSize", hSession,
	                 ((void)sess, object_size(slot, hObject, pulSize)));
}

/* PIV stores no labels or flags: every attribute is what the token makes it, except a
 * private key's CKA_ID, which moves the key (mod_objmove.c). */
P11_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                     CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	P11_SESSION_CALL("C_SetAttributeValue", hSession,
	                 mod_objmove_set_attributes(slot, sess, hObject, pTemplate, ulCount));
}

/* ---- creating and destroying ---- */

static CK_RV copy_object(mod_slot *slot, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl,
                         CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (!out || (!tmpl && n > 0))
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check(slot, h, &idx, &kind);
	/* CKA_COPYABLE is FALSE on every object of the token */
	return rv != CKR_OK ? rv : CKR_ACTION_PROHIBITED;
}

P11_EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                              CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                              CK_OBJECT_HANDLE_PTR phNewObject)
{
	P11_SESSION_CALL("C_CopyObject", hSession,
	                 ((void)sess, copy_object(slot, hObject, pTemplate, ulCount, phNewObject)));
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

/* A PIV token holds no secret keys. */
P11_EXPORT CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                               CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                               CK_OBJECT_HANDLE_PTR phKey)
{
	(void)pMechanism;
	(void)pTemplate;
	(void)ulCount;
	(void)phKey;
	P11_SESSION_CALL("C_GenerateKey", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}

/* A token's private key never leaves it: that is the answer for it whatever wraps it. */
static CK_RV wrap_key(mod_slot *slot, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping,
                      CK_OBJECT_HANDLE key, const CK_ULONG *len)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (!mech || !len)
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check(slot, key, &idx, &kind);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (kind == MOD_OBJ_PRIVATE)
		return CKR_KEY_UNEXTRACTABLE;
	rv = mod_object_check(slot, wrapping, &idx, &kind);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_WRAPPING_KEY_HANDLE_INVALID;
	return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

P11_EXPORT CK_RV C_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey,
                           CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	(void)pWrappedKey;
	P11_SESSION_CALL("C_WrapKey", hSession,
	                 ((void)sess, wrap_key(slot, pMechanism, hWrappingKey, hKey,
	                                       pulWrappedKeyLen)));
}

P11_EXPORT CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                             CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey,
                             CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
                             CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	(void)pMechanism;
	(void)hUnwrappingKey;
	(void)pWrappedKey;
	(void)ulWrappedKeyLen;
	(void)pTemplate;
	(void)ulAttributeCount;
	(void)phKey;
	P11_SESSION_CALL("C_UnwrapKey", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}

P11_EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                             CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                             CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	(void)pMechanism;
	(void)hBaseKey;
	(void)pTemplate;
	(void)ulAttributeCount;
	(void)phKey;
	P11_SESSION_CALL("C_DeriveKey", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}
