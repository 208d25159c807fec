/* Key derivation (mod_derive.c): CKM_ECDH1_DERIVE with an EC private key of the token. The
 * card does the key agreement (GENERAL AUTHENTICATE ECDH); the shared secret becomes a
 * session secret key (mod_sobj.h), as the token keeps no secret keys. */
#ifndef KINKO_MOD_DERIVE_H
#define KINKO_MOD_DERIVE_H

#include "mod.h"

/* C_DeriveKey under the session's slot lock, in the standard's order: the arguments, the
 * mechanism (CKR_MECHANISM_INVALID), its parameters (CKD_NULL, no shared data, the peer's
 * point raw or as a DER OCTET STRING, on P-256 or P-384: CKR_MECHANISM_PARAM_INVALID), the
 * base key (a private EC key whose slot derives: CKR_KEY_HANDLE_INVALID,
 * CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED), the point on the key's curve,
 * the template (CKA_TOKEN TRUE: CKR_TEMPLATE_INCONSISTENT), the login, then the card. */
CK_RV mod_derive_key(mod_slot *slot, mod_session *sess, const CK_MECHANISM *mech,
                     CK_OBJECT_HANDLE base, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                     CK_OBJECT_HANDLE *key);

#endif
