/* Attribute values of the token's objects (mod_attr.c), shared by C_GetAttributeValue and
 * find; internal to the object layer. All under the slot lock. */
#ifndef KINKO_MOD_ATTR_H
#define KINKO_MOD_ATTR_H

#include <stdbool.h>
#include <stddef.h>

#include "mod_object.h"
#include "mod_parse.h"

#define MOD_ATTR_MAX_MECHS 32u

/* One object being looked at; what it needed from the token is kept for the next
 * attribute of the same call. */
typedef struct {
	mod_slot *s;
	mod_token *t;
	unsigned index;
	mod_obj_kind kind;
	bool have_pk, have_ci;
	card_pubkey pk; /* points into t->keys[index].pubkey */
	mod_cert_info ci;
	const uint8_t *der; /* the certificate's DER, in the token cache, once have_ci */
	size_t der_len;
	/* C_GetAttributeValue asks for a length only (CKA_KINKO_ATTESTATION keeps it) */
	bool attest_query;
} mod_attr_ctx;

/* One value: rv is CKR_OK (p, len), CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE,
 * or an error of the token (the call must end with it). */
typedef struct {
	CK_RV rv;
	const void *p;
	CK_ULONG len;
	union {
		CK_ULONG ul;
		CK_BBOOL b;
		CK_BYTE id;
		CK_MECHANISM_TYPE mechs[MOD_ATTR_MAX_MECHS];
		char text[64];
	} u;
	void *owned; /* OPENSSL_free'd by mod_attr_val_free */
} mod_attr_val;

enum { MOD_ATTR_COST_NONE = 0, MOD_ATTR_COST_PUBKEY = 1, MOD_ATTR_COST_CERT = 2 };

void mod_attr_ctx_init(mod_attr_ctx *c, mod_slot *s, mod_token *t, unsigned index,
                       mod_obj_kind kind);
void mod_attr_ctx_cleanup(mod_attr_ctx *c);
/* What reading this attribute of such an object may cost (MOD_ATTR_COST_*). */
int mod_attr_cost(mod_obj_kind kind, CK_ATTRIBUTE_TYPE type);
void mod_attr_get(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v);
void mod_attr_val_free(mod_attr_val *v);
/* Fill a C_GetAttributeValue template: every attribute is processed; the result is
 * CKR_OK, or CKR_ATTRIBUTE_SENSITIVE / CKR_ATTRIBUTE_TYPE_INVALID / CKR_BUFFER_TOO_SMALL
 * when one of them applied (ulValueLen CK_UNAVAILABLE_INFORMATION there), or the token's
 * error. */
CK_RV mod_attr_fill(mod_attr_ctx *c, CK_ATTRIBUTE *tmpl, CK_ULONG n);

#endif
