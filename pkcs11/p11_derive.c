/* PKCS#11 front end of key derivation: C_DeriveKey (ECDH on the card, mod_derive.c). */
#include "mod_derive.h"
#include "p11_entry.h"

P11_EXPORT CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                             CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                             CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	P11_SESSION_CALL("C_DeriveKey", hSession,
	                 mod_derive_key(slot, sess, pMechanism, hBaseKey, pTemplate,
	                                ulAttributeCount, phKey));
}
