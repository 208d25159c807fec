/* Inside the session objects (mod_sobj.h): one object as its attribute values, the rules
 * PKCS#11 3.0 gives each attribute of each class (mod_sobj_attr.c), and what the module
 * derives from the values: a certificate's names, a public key's checked form
 * (mod_sobj_key.c). All under the slot lock. */
#ifndef KINKO_MOD_SOBJ_ATTR_H
#define KINKO_MOD_SOBJ_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mod_sobj.h"

/* One attribute's value, as C_GetAttributeValue copies it out (a CK_BBOOL, a CK_ULONG or
 * bytes); val is NULL when len is 0. */
typedef struct {
	CK_ATTRIBUTE_TYPE type;
	CK_ULONG len;
	uint8_t *val;
} mod_sobj_val;

typedef struct mod_sobj {
	struct mod_sobj *next;
	CK_OBJECT_HANDLE handle;
	CK_SESSION_HANDLE owner;  /* the session that made it: it goes when that one closes */
	unsigned long generation; /* the slot's then: a removal since makes it stale */
	CK_OBJECT_CLASS cls;
	CK_ULONG sub; /* CKA_KEY_TYPE of a key, CKA_CERTIFICATE_TYPE of a certificate */
	mod_sobj_val *vals;
	size_t n_vals;
} mod_sobj;

/* How an attribute of a class may be given and changed. */
enum {
	MOD_SOBJ_F_CREATE = 1u << 0,   /* may be in a C_CreateObject template */
	MOD_SOBJ_F_REQUIRED = 1u << 1, /* must be */
	MOD_SOBJ_F_SET = 1u << 2,      /* C_SetAttributeValue / C_CopyObject may change it */
	MOD_SOBJ_F_TO_FALSE = 1u << 3, /* ... only from TRUE to FALSE */
	MOD_SOBJ_F_TO_TRUE = 1u << 4,  /* ... only from FALSE to TRUE */
	MOD_SOBJ_F_FIXED = 1u << 5,    /* the module's value (dflt); a template may repeat it */
	MOD_SOBJ_F_COMPUTED = 1u << 6, /* derived from other values; a template may repeat it */
	MOD_SOBJ_F_OPTIONAL = 1u << 7, /* no default: absent unless given */
};

typedef enum {
	MOD_SOBJ_K_BOOL = 1,
	MOD_SOBJ_K_ULONG,
	MOD_SOBJ_K_BYTES,
	MOD_SOBJ_K_DATE,
	MOD_SOBJ_K_MECHS,
} mod_sobj_kind;

typedef struct {
	CK_ATTRIBUTE_TYPE type;
	mod_sobj_kind kind;
	unsigned flags;
	CK_ULONG dflt; /* a CK_BBOOL's or CK_ULONG's value when not given */
} mod_sobj_rule;

/* ---- values (mod_sobj_attr.c) ---- */
const mod_sobj_val *mod_sobj_attr_find(const mod_sobj *o, CK_ATTRIBUTE_TYPE type);
/* Set (or add) a value, copied; the old one is wiped. CKR_HOST_MEMORY. */
CK_RV mod_sobj_attr_put(mod_sobj *o, CK_ATTRIBUTE_TYPE type, const void *p, CK_ULONG len);
CK_RV mod_sobj_attr_put_bool(mod_sobj *o, CK_ATTRIBUTE_TYPE type, bool v);
CK_RV mod_sobj_attr_put_ulong(mod_sobj *o, CK_ATTRIBUTE_TYPE type, CK_ULONG v);
bool mod_sobj_attr_bool(const mod_sobj *o, CK_ATTRIBUTE_TYPE type);
/* Every value wiped and freed (o itself stays). */
void mod_sobj_attr_clear(mod_sobj *o);
/* A copy of every value of src into dst (empty). */
CK_RV mod_sobj_attr_copy_all(mod_sobj *dst, const mod_sobj *src);
/* Is this value hidden from the caller (a secret key's CKA_VALUE unless it is neither
 * sensitive nor unextractable)? */
bool mod_sobj_attr_sensitive(const mod_sobj *o, CK_ATTRIBUTE_TYPE type);

/* ---- templates (mod_sobj_attr.c) ---- */
/* The rule of an attribute of a class (sub CK_UNAVAILABLE_INFORMATION: any subtype); NULL
 * when the class has no such attribute. */
const mod_sobj_rule *mod_sobj_attr_rule(CK_OBJECT_CLASS cls, CK_ULONG sub, CK_ATTRIBUTE_TYPE type);
/* The template's attribute of this type, or NULL. */
const CK_ATTRIBUTE *mod_sobj_attr_in(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE type);
/* A creation template, attribute by attribute: CKR_ATTRIBUTE_TYPE_INVALID,
 * CKR_ATTRIBUTE_VALUE_INVALID, CKR_ATTRIBUTE_READ_ONLY (the module's own), and
 * CKR_TEMPLATE_INCONSISTENT (twice the same, CKA_TOKEN TRUE); then
 * CKR_TEMPLATE_INCOMPLETE when a required one is missing. */
CK_RV mod_sobj_attr_check_create(CK_OBJECT_CLASS cls, CK_ULONG sub, const CK_ATTRIBUTE *tmpl,
                                 CK_ULONG n);
/* A change of o (C_SetAttributeValue; copy: also CKA_PRIVATE, CKA_MODIFIABLE,
 * CKA_DESTROYABLE and CKA_TOKEN FALSE): CKR_ATTRIBUTE_TYPE_INVALID,
 * CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_VALUE_INVALID, CKR_TEMPLATE_INCONSISTENT. */
CK_RV mod_sobj_attr_check_change(const mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                                 bool copy);
/* The class's defaults, then the template's values (checked already). */
CK_RV mod_sobj_attr_build(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* The template's values into o (checked already). */
CK_RV mod_sobj_attr_apply(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* The computed values a template repeated are the computed ones: else
 * CKR_TEMPLATE_INCONSISTENT. */
CK_RV mod_sobj_attr_check_computed(const mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);

/* ---- derived values and keys (mod_sobj_key.c) ---- */
/* A certificate's CKA_VALUE is one X.509 DER structure; CKA_SUBJECT, CKA_ISSUER and
 * CKA_SERIAL_NUMBER from it unless the template gave them, CKA_PUBLIC_KEY_INFO.
 * CKR_ATTRIBUTE_VALUE_INVALID. */
CK_RV mod_sobj_key_cert(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* A public key's values checked (an RSA modulus and odd exponent; an EC point of its
 * curve, DER or raw, kept as DER) and completed: CKA_MODULUS_BITS, CKA_PUBLIC_KEY_INFO.
 * CKR_ATTRIBUTE_VALUE_INVALID, CKR_CURVE_NOT_SUPPORTED. */
CK_RV mod_sobj_key_public(mod_sobj *o);
/* The OpenSSL key of a public key object whose values mod_sobj_key_public checked. */
CK_RV mod_sobj_key_evp(const mod_sobj *o, EVP_PKEY **pkey);

#endif
