/* Object mapping: the PKCS#11 objects of a PIV token. Per occupied key slot there is a
 * private key, a public key and (when the container holds one) a certificate, all with the
 * same CKA_ID, the slot's KINKO_CKA_ID_* of the public header kinko-pkcs11.h.
 * Handles are computed, not allocated: stable for a slot, unique across slots. */
#ifndef KINKO_MOD_OBJECT_H
#define KINKO_MOD_OBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mod.h"

/* MOD_OBJ_HW: the token's one hardware feature object, kinko's PIN counters
 * (kinko-pkcs11.h), key index 0. mod_object_decode never yields it, so paths for keys and
 * certificates never meet it; mod_object_check does. */
typedef enum {
	MOD_OBJ_PRIVATE = 1,
	MOD_OBJ_PUBLIC = 2,
	MOD_OBJ_CERT = 3,
	MOD_OBJ_HW = 4,
	MOD_OBJ_F9 = 5 /* the token's attestation certificate (mod_attest.c), key index 0 */
} mod_obj_kind;

CK_OBJECT_HANDLE mod_object_handle(const mod_slot *s, unsigned key_index, mod_obj_kind kind);
/* Decode a handle of this slot; false when it does not name an object of this slot. */
bool mod_object_decode(const mod_slot *s, CK_OBJECT_HANDLE h, unsigned *key_index,
                       mod_obj_kind *kind);
/* CKA_ID byte of a key index (01..18) and back. */
CK_BYTE mod_object_id(unsigned key_index);
bool mod_object_index_from_id(const CK_BYTE *id, CK_ULONG len, unsigned *key_index);

/* Does the object exist now (key present / certificate present)? Private keys are
 * CKA_PRIVATE: visible only when private_visible (mod_slot_private_visible). */
bool mod_object_exists(const mod_token *t, unsigned key_index, mod_obj_kind kind,
                       bool private_visible);

/* The label of a key slot's objects (mod_attr.c): its SP 800-73-4 name ("PIV
 * Authentication"), or "Retired Key N". */
void mod_object_label(unsigned key_index, char *buf, size_t len);

/* Key slots the module can use (RSA 2048/3072, P-256/384); a slot holding another kind of
 * key is occupied but shows no objects. */
bool mod_object_alg_supported(uint8_t alg);
/* A private key that wants CKU_CONTEXT_SPECIFIC before each use (PIN policy "always",
 * or 9C when the token does not tell). */
bool mod_object_always_authenticate(const mod_token *t, unsigned key_index);
/* What the key of a key slot may do, CKF_SIGN | CKF_DECRYPT | CKF_DERIVE bits (the
 * private key's CKA_SIGN, CKA_DECRYPT, CKA_DERIVE; the public key's CKA_VERIFY and
 * CKA_ENCRYPT follow sign and decrypt). rsa: the key is RSA (decrypts) or EC (derives). */
CK_FLAGS mod_object_key_usage(unsigned key_index, bool rsa);
/* Does key key_index of t need the user's PIN to sign (its PIN policy)? */
bool mod_object_needs_login(const mod_token *t, unsigned key_index);

/* ---- the token cache (mod_token.c), all under the slot lock ----
 * A call that fails with anything but CKR_OBJECT_HANDLE_INVALID may have dropped the whole
 * cache (token removed): re-get it with mod_token_get before touching it again. */
/* Make sure s->token holds at least the inventory (learnt lazily, revalidated when older
 * than cfg.cache_ttl_ms or after the card saw a reset). */
CK_RV mod_token_get(mod_slot *s, mod_token **t);
/* Before a write: revalidate the cache now (one INVENTORY), whatever its age, so a key or
 * certificate another process just wrote is not overwritten. */
CK_RV mod_token_fresh(mod_slot *s, mod_token **t);
/* The public key of a key slot as an OpenSSL-free description for the crypto layer:
 * alg and the raw 7F49 contents (learnt with GET METADATA when not known yet). */
CK_RV mod_token_pubkey(mod_slot *s, mod_token *t, unsigned key_index, const uint8_t **pub,
                       size_t *pub_len);
/* The same as an OpenSSL key (*pkey a new reference, EVP_PKEY_free it), for everything the
 * module does with a token public key in software (verify, encrypt). CKR_DEVICE_ERROR when
 * the token described its key badly; no OpenSSL error left queued. */
CK_RV mod_token_pubkey_evp(mod_slot *s, mod_token *t, unsigned key_index, EVP_PKEY **pkey);
/* The certificate of a key slot (one GET DATA, once): CKR_OBJECT_HANDLE_INVALID when the
 * container is empty or unreadable (compressed), CKR_DEVICE_ERROR when it is garbage. */
CK_RV mod_token_cert(mod_slot *s, mod_token *t, unsigned key_index);
/* What C_GetTokenInfo shows and the first learning did not need, once: the firmware
 * version (GET VERSION), and for a card without INVENTORY its serial (GET SERIAL, or the
 * CHUID of a plain PIV card) and PIN and PUK state (GET METADATA). */
CK_RV mod_token_version(mod_slot *s, mod_token *t);
/* The token's serial number as CK_TOKEN_INFO and labels show it. */
void mod_token_serial_text(const mod_token *t, char *buf, size_t len);
/* After a change this module made: the token's counter moved by one, so the next
 * INVENTORY does not throw the cache away unless someone else changed something too. */
void mod_token_changed(mod_token *t);
/* The container of key slot i holds this certificate: cache a copy. False when out of
 * memory (the cache then reads it again when asked). */
bool mod_token_keep_cert(mod_token *t, unsigned key_index, const uint8_t *der, size_t len);
/* Forget a key slot's cached key or certificate (after deleting it). */
void mod_token_forget_key(mod_token *t, unsigned key_index);
void mod_token_forget_cert(mod_token *t, unsigned key_index);

/* ---- attestation (mod_attest.c) ---- */
/* CKA_KINKO_ATTESTATION of key i: one ATTEST, or the answer a length query kept
 * (query: keep it for the read that follows). *der points into *owned (caller
 * OPENSSL_free's it) or into the cache. CKR_ATTRIBUTE_TYPE_INVALID when the token cannot
 * attest this key (imported, no attestation key, no ATTEST). */
CK_RV mod_attest_key(mod_slot *s, mod_token *t, unsigned i, bool query, const uint8_t **der,
                     size_t *len, uint8_t **owned);
/* The F9 certificate's DER: CKR_OBJECT_HANDLE_INVALID when the token has none. */
CK_RV mod_attest_f9_cert(mod_slot *s, mod_token *t, const uint8_t **der, size_t *len);
/* Before a search whose template the F9 object could match: learn whether it exists, an
 * APDU only on a YubiKey-style card and only when the template names it by CKA_ID. */
CK_RV mod_attest_f9_learn(mod_slot *s, mod_token *t, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* The token's inventory (kinko's) said whether it holds 5FFF01. */
void mod_attest_f9_inventory(mod_token *t, bool present);
/* Forget what the cache holds of attestation (the token changed). */
void mod_attest_forget(mod_token *t);

/* ---- reading objects (mod_attr.c, mod_object.c) ---- */
/* Does h name an object of slot s that exists now (and is visible)? Learns the token if
 * needed; CKR_OBJECT_HANDLE_INVALID when not. */
CK_RV mod_object_check(mod_slot *s, CK_OBJECT_HANDLE h, unsigned *key_index, mod_obj_kind *kind);
/* The object a call with a template names: CKR_ARGUMENTS_BAD for a missing template,
 * then mod_object_check. */
CK_RV mod_object_check_template(mod_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl,
                                CK_ULONG n, unsigned *key_index, mod_obj_kind *kind);
/* C_GetAttributeValue with PKCS#11's length rules, for an object of slot s. */
CK_RV mod_object_get_attributes(mod_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* C_GetObjectSize: CK_UNAVAILABLE_INFORMATION for an object that exists. */
CK_RV mod_object_size(mod_slot *s, CK_OBJECT_HANDLE h, CK_ULONG *size);
/* C_CopyObject and C_WrapKey: the answers for objects that cannot be copied or leave. */
CK_RV mod_object_copy(mod_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *out);
CK_RV mod_object_wrap(mod_slot *s, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping,
                      CK_OBJECT_HANDLE key, const CK_ULONG *len);
/* C_FindObjectsInit: the handles of every object matching the template (byte-exact
 * values) are kept in the session; reads from the token only what the template's
 * attributes need. C_FindObjects hands them out, C_FindObjectsFinal ends the search. */
CK_RV mod_object_find_init(mod_session *sess, mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV mod_object_find_next(mod_session *sess, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count);
CK_RV mod_object_find_final(mod_session *sess);

/* ---- writing objects (mod_keygen.c, mod_objwrite.c), in a R/W session, user logged in ---- */
/* Run op on the card right after authenticating as the card management key the way
 * MODULE.md says: the PIN-protected key, else the factory key when GET METADATA 9B says the
 * token still has it, else CKR_USER_NOT_LOGGED_IN (with a trace). A reset underneath is
 * repaired by mod_slot_with_pin (re-VERIFY, then authentication and op again). *op_st is
 * op's own status (CARD_OK when it never ran), for callers that map it themselves. */
CK_RV mod_objwrite_with_mgmt(mod_slot *s, mod_card_op op, void *arg, card_status *op_st);
CK_RV mod_keygen_generate(mod_slot *s, mod_session *sess, const CK_MECHANISM *mech,
                          const CK_ATTRIBUTE *pub_tmpl, CK_ULONG n_pub,
                          const CK_ATTRIBUTE *priv_tmpl, CK_ULONG n_priv, CK_OBJECT_HANDLE *pub,
                          CK_OBJECT_HANDLE *priv);
CK_RV mod_objwrite_create(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          CK_OBJECT_HANDLE *h);
CK_RV mod_objwrite_destroy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h);
/* C_SetAttributeValue (mod_objmove.c): only CKA_ID, and only on a private key, where a new
 * value moves the key and its certificate to that slot (MOVE KEY); the key's own CKA_ID is
 * accepted on any of its objects and changes nothing. */
CK_RV mod_objmove_set_attributes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h,
                                 const CK_ATTRIBUTE *tmpl, CK_ULONG n);

#endif
