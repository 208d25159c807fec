/* Session objects: data objects, X.509 certificates and RSA/EC public keys an application
 * creates with CKA_TOKEN FALSE, and the secret keys the module derives. They live in module
 * memory (this process only), per slot, each tagged with the session that made it: visible
 * to every session of this process on that slot, gone when that session closes, the
 * private ones at logout, all at C_Finalize. Everything runs under the slot lock. */
#ifndef KINKO_MOD_SOBJ_H
#define KINKO_MOD_SOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mod.h"

/* Session handles never meet the computed token handles of mod_object.c (slot id + 1 in
 * bits 16..31, far below this bit for any slot count the module reaches). */
#define MOD_SOBJ_HANDLE_BIT 0x40000000UL
/* A caller cannot exhaust the process's memory through the module silently: past these,
 * CKR_DEVICE_MEMORY (objects) and CKR_ATTRIBUTE_VALUE_INVALID (one value). */
#define MOD_SOBJ_MAX_OBJECTS 4096u
#define MOD_SOBJ_MAX_VALUE 65536u

bool mod_sobj_is_handle(CK_OBJECT_HANDLE h);

/* C_CreateObject with CKA_TOKEN FALSE (or absent: the default is a session object):
 * CKO_DATA, CKO_CERTIFICATE (CKC_X_509), CKO_PUBLIC_KEY (CKK_RSA, CKK_EC); in R/O and R/W
 * sessions. CKA_PRIVATE TRUE needs the user logged in. */
CK_RV mod_sobj_create(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h);
/* A secret key made by the module (ECDH derive): CKO_SECRET_KEY, CKK_GENERIC_SECRET, value
 * copied (the caller wipes its own), tmpl = the caller's C_DeriveKey template (CKA_CLASS,
 * CKA_KEY_TYPE, CKA_VALUE_LEN (truncates the value; > len: CKR_TEMPLATE_INCONSISTENT),
 * CKA_SENSITIVE (default TRUE), CKA_EXTRACTABLE (default TRUE), CKA_LABEL, CKA_ID,
 * CKA_TOKEN TRUE -> CKR_TEMPLATE_INCONSISTENT, ...). Value wiped when destroyed. */
CK_RV mod_sobj_add_secret(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          const uint8_t *value, size_t len, CK_OBJECT_HANDLE *h);
/* A session public key for C_VerifyInit / C_EncryptInit / C_DigestKey: *pkey is a new
 * reference (EVP_PKEY_free it). CKR_KEY_HANDLE_INVALID when h is no session public key
 * visible to sess; CKR_KEY_FUNCTION_NOT_PERMITTED when its attribute `use` (CKA_VERIFY,
 * CKA_ENCRYPT; 0 = no check) is FALSE. */
CK_RV mod_sobj_pubkey(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE use,
                      EVP_PKEY **pkey);
/* Does h name a key (public or secret) visible on s? Such a key is never the private key
 * an operation on the card wants: CKR_KEY_FUNCTION_NOT_PERMITTED rather than an invalid
 * handle. */
bool mod_sobj_is_key(mod_slot *s, CK_OBJECT_HANDLE h);
/* The PIV algorithm of a key of that size and curve (RSA-2048/3072, P-256/384), which
 * the signature layer works with; 0 for any other key. */
uint8_t mod_sobj_piv_alg(EVP_PKEY *pkey);
/* For C_DigestKey: the bytes a key contributes (secret key: CKA_VALUE; public key: its DER
 * SubjectPublicKeyInfo), malloc'd copy. CKR_KEY_HANDLE_INVALID / CKR_KEY_INDIGESTIBLE. */
CK_RV mod_sobj_digest_bytes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, uint8_t **bytes,
                            size_t *len);

/* ---- the object functions on session handles ---- */
/* C_FindObjectsInit: append the handles of the visible session objects matching tmpl
 * (byte-exact values) to the malloc'd array *found of *n_found handles. */
CK_RV mod_sobj_find(mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **found,
                    size_t *n_found);
CK_RV mod_sobj_get_attributes(mod_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV mod_sobj_size(mod_slot *s, CK_OBJECT_HANDLE h, CK_ULONG *size);
CK_RV mod_sobj_set_attributes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h,
                              const CK_ATTRIBUTE *tmpl, CK_ULONG n);
CK_RV mod_sobj_copy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl,
                    CK_ULONG n, CK_OBJECT_HANDLE *out);
CK_RV mod_sobj_destroy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h);

/* ---- C_CreateObject's choice (mod_objwrite.c) ---- */
/* Does the template ask for a token object (CKA_TOKEN TRUE)? CKR_ATTRIBUTE_VALUE_INVALID
 * when CKA_TOKEN is malformed. */
CK_RV mod_sobj_wants_token(const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool *token);
/* A token object of this template: the token stores certificates only (its keys come from
 * C_GenerateKeyPair). CKR_TEMPLATE_INCONSISTENT otherwise, with the reason in the trace. */
CK_RV mod_sobj_token_storable(const mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* ---- lifetime ---- */
void mod_sobj_session_closed(mod_slot *s, CK_SESSION_HANDLE sess);
void mod_sobj_logout(mod_slot *s);
/* C_Finalize: every object of the slot. */
void mod_sobj_slot_free(mod_slot *s);
/* A forked child's C_Initialize: the parent's objects, left unfreed with its state, no
 * longer count against this process's cap. */
void mod_sobj_forget_all(void);

#endif
