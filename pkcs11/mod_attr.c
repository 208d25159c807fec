/* The attribute values of the token's objects, computed on demand from the cache, and
 * C_GetAttributeValue's length rules. The values that need something read from the token
 * (a certificate, a public key) are fetched only when asked for (mod_attr_cost tells find
 * which ones those are, so it can look at them last). */
#include "mod_attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kinko-pkcs11.h"
#include "mod_mech.h"
#include "piv.h"

/* A slot's name (SP 800-73-4), the label of its certificate and of both halves of its key. */
static const char *const attr_slot_names[4] = {
	"PIV Authentication",
	"Digital Signature",
	"Key Management",
	"Card Authentication",
};

void mod_attr_ctx_init(mod_attr_ctx *c, mod_slot *s, mod_token *t, unsigned index,
                       mod_obj_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->t = t;
	c->index = index;
	c->kind = kind;
}

void mod_attr_ctx_cleanup(mod_attr_ctx *c)
{
	if (c->have_ci)
		mod_parse_cert_info_free(&c->ci);
	c->have_ci = false;
	c->have_pk = false;
}

void mod_attr_val_free(mod_attr_val *v)
{
	OPENSSL_free(v->owned);
	v->owned = NULL;
}

static bool attr_kind_cert(mod_obj_kind kind)
{
	return kind == MOD_OBJ_CERT || kind == MOD_OBJ_F9;
}

/* Which attributes need a read from the token: find evaluates those last. */
int mod_attr_cost(mod_obj_kind kind, CK_ATTRIBUTE_TYPE type)
{
	switch (type) {
	case CKA_KINKO_ATTESTATION: return MOD_ATTR_COST_CERT;
	case CKA_SUBJECT: return MOD_ATTR_COST_CERT;
	case CKA_VALUE:
	case CKA_ISSUER:
	case CKA_SERIAL_NUMBER:
	case CKA_CHECK_VALUE:
	case CKA_START_DATE:
	case CKA_END_DATE: return attr_kind_cert(kind) ? MOD_ATTR_COST_CERT : MOD_ATTR_COST_NONE;
	case CKA_PUBLIC_KEY_INFO:
		return attr_kind_cert(kind) ? MOD_ATTR_COST_CERT : MOD_ATTR_COST_PUBKEY;
	case CKA_MODULUS:
	case CKA_PUBLIC_EXPONENT:
	case CKA_EC_POINT: return MOD_ATTR_COST_PUBKEY;
	default: return MOD_ATTR_COST_NONE;
	}
}

/* ---- what values are made of ---- */

static void attr_val_bytes(mod_attr_val *v, const void *p, size_t len)
{
	v->rv = CKR_OK;
	v->p = p;
	v->len = len;
}

static void attr_val_bool(mod_attr_val *v, bool b)
{
	v->u.b = b ? CK_TRUE : CK_FALSE;
	attr_val_bytes(v, &v->u.b, sizeof(v->u.b));
}

static void attr_val_ulong(mod_attr_val *v, CK_ULONG ul)
{
	v->u.ul = ul;
	attr_val_bytes(v, &v->u.ul, sizeof(v->u.ul));
}

static void attr_val_empty(mod_attr_val *v)
{
	attr_val_bytes(v, NULL, 0);
}

static void attr_val_rv(mod_attr_val *v, CK_RV rv)
{
	v->rv = rv;
	v->p = NULL;
	v->len = 0;
}

static void attr_val_owned(mod_attr_val *v, uint8_t *p, size_t len)
{
	v->owned = p;
	attr_val_bytes(v, p, len);
}

static CK_RV attr_ctx_cert(mod_attr_ctx *c)
{
	mod_keyslot *k = &c->t->keys[c->index];
	CK_RV rv;

	if (c->have_ci)
		return CKR_OK;
	if (c->kind == MOD_OBJ_F9) {
		rv = mod_attest_f9_cert(c->s, c->t, &c->der, &c->der_len);
	} else {
		rv = mod_token_cert(c->s, c->t, c->index);
		c->der = k->cert;
		c->der_len = k->cert_len;
	}
	if (rv != CKR_OK)
		return rv;
	if (mod_parse_cert(c->der, c->der_len, &c->ci) != MOD_PARSE_OK)
		return CKR_DEVICE_ERROR;
	c->have_ci = true;
	return CKR_OK;
}

static CK_RV attr_ctx_pubkey(mod_attr_ctx *c)
{
	const uint8_t *pub = NULL;
	size_t len = 0;
	CK_RV rv;

	if (c->have_pk)
		return CKR_OK;
	rv = mod_token_pubkey(c->s, c->t, c->index, &pub, &len);
	if (rv != CKR_OK)
		return rv;
	if (!card_pubkey_parse(c->t->keys[c->index].alg, pub, len, &c->pk))
		return CKR_DEVICE_ERROR;
	c->have_pk = true;
	return CKR_OK;
}

static bool attr_ctx_rsa(const mod_attr_ctx *c)
{
	return piv_alg_is_rsa(c->t->keys[c->index].alg);
}

/* Does the key's slot allow this use (CKF_SIGN, CKF_DECRYPT, CKF_DERIVE)? */
static bool attr_ctx_may(const mod_attr_ctx *c, CK_FLAGS use)
{
	return (mod_object_key_usage(c->index, attr_ctx_rsa(c)) & use) != 0;
}

/* PIV stores no labels: the certificate, the private and the public key of a slot are all
 * named for the slot, so one pkcs11: URI (id and object) names the certificate and its key
 * in p11tool and libp11, and reading a label never costs a certificate read. */
void mod_object_label(unsigned key_index, char *buf, size_t len)
{
	if (key_index < 4)
		snprintf(buf, len, "%s", attr_slot_names[key_index]);
	else
		snprintf(buf, len, "Retired Key %u", key_index - 3);
}

static void attr_val_label(mod_attr_ctx *c, mod_attr_val *v)
{
	if (c->kind == MOD_OBJ_F9)
		snprintf(v->u.text, sizeof(v->u.text), "PIV Attestation");
	else
		mod_object_label(c->index, v->u.text, sizeof(v->u.text));
	attr_val_bytes(v, v->u.text, strlen(v->u.text));
}

/* A key's CKA_SUBJECT is its certificate's subject, empty without one. */
static void attr_val_key_subject(mod_attr_ctx *c, mod_attr_val *v)
{
	CK_RV rv;

	if (!c->t->keys[c->index].has_cert) {
		attr_val_empty(v);
		return;
	}
	rv = attr_ctx_cert(c);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		attr_val_empty(v);
	else if (rv != CKR_OK)
		attr_val_rv(v, rv);
	else
		attr_val_bytes(v, c->ci.subject, c->ci.subject_len);
}

/* The mechanisms of the module for the key's type and its slot's uses (signing,
 * decryption, derivation). */
static void attr_val_mechanisms(mod_attr_ctx *c, mod_attr_val *v)
{
	size_t n = 0, i, count = 0;
	const mod_mech *table = mod_mech_table(&n);
	bool rsa = attr_ctx_rsa(c);
	CK_FLAGS uses = mod_object_key_usage(c->index, rsa);

	for (i = 0; i < n && count < MOD_ATTR_MAX_MECHS; i++) {
		if ((table[i].info.flags & uses) && table[i].key_type == (rsa ? CKK_RSA : CKK_EC))
			v->u.mechs[count++] = table[i].type;
	}
	attr_val_bytes(v, v->u.mechs, count * sizeof(CK_MECHANISM_TYPE));
}

static void attr_val_pubkey_part(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	uint8_t *der = NULL;
	size_t len = 0;
	CK_RV rv = attr_ctx_pubkey(c);

	if (rv != CKR_OK) {
		attr_val_rv(v, rv);
		return;
	}
	switch (type) {
	case CKA_MODULUS: attr_val_bytes(v, c->pk.n, c->pk.n_len); return;
	case CKA_PUBLIC_EXPONENT: attr_val_bytes(v, c->pk.e, c->pk.e_len); return;
	case CKA_EC_POINT:
		if (mod_parse_ec_point_der(&c->pk, &der, &len) != MOD_PARSE_OK)
			attr_val_rv(v, CKR_HOST_MEMORY);
		else
			attr_val_owned(v, der, len);
		return;
	default: /* CKA_PUBLIC_KEY_INFO */
		if (mod_parse_pubkey_spki(&c->pk, &der, &len) != MOD_PARSE_OK)
			attr_val_rv(v, CKR_DEVICE_ERROR);
		else
			attr_val_owned(v, der, len);
		return;
	}
}

/* The key's attestation (mod_attest.c): an attribute this key does not have when the token
 * cannot attest it. */
static void attr_val_attestation(mod_attr_ctx *c, mod_attr_val *v)
{
	const uint8_t *der = NULL;
	uint8_t *owned = NULL;
	size_t len = 0;
	CK_RV rv = mod_attest_key(c->s, c->t, c->index, c->attest_query, &der, &len, &owned);

	if (rv != CKR_OK) {
		attr_val_rv(v, rv);
		return;
	}
	if (!owned) {
		attr_val_bytes(v, der, len); /* kept in the cache for the read that follows */
		return;
	}
	/* the value's owner frees it the OpenSSL way */
	v->owned = OPENSSL_memdup(owned, len);
	free(owned);
	if (v->owned)
		attr_val_bytes(v, v->owned, len);
	else
		attr_val_rv(v, CKR_HOST_MEMORY);
}

/* ---- per kind ---- */

/* Attributes every object has. true when type was one of them. */
static bool attr_val_common(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	switch (type) {
	case CKA_CLASS:
		attr_val_ulong(v, c->kind == MOD_OBJ_PRIVATE ? CKO_PRIVATE_KEY :
		                  c->kind == MOD_OBJ_PUBLIC  ? CKO_PUBLIC_KEY :
		                                               CKO_CERTIFICATE);
		return true;
	case CKA_TOKEN: attr_val_bool(v, true); return true;
	case CKA_PRIVATE: attr_val_bool(v, c->kind == MOD_OBJ_PRIVATE); return true;
	case CKA_MODIFIABLE: attr_val_bool(v, false); return true;
	case CKA_COPYABLE: attr_val_bool(v, false); return true;
	case CKA_DESTROYABLE:
		attr_val_bool(v, c->kind != MOD_OBJ_PUBLIC && c->kind != MOD_OBJ_F9);
		return true;
	case CKA_LABEL: attr_val_label(c, v); return true;
	case CKA_ID:
		v->u.id =
			c->kind == MOD_OBJ_F9 ? KINKO_CKA_ID_ATTESTATION : mod_object_id(c->index);
		attr_val_bytes(v, &v->u.id, 1);
		return true;
	default: return false;
	}
}

/* Attributes of both key objects. */
static bool attr_val_key(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	const mod_keyslot *k = &c->t->keys[c->index];
	bool rsa = attr_ctx_rsa(c);
	size_t len = 0;
	const uint8_t *params;

	switch (type) {
	case CKA_KEY_TYPE: attr_val_ulong(v, rsa ? CKK_RSA : CKK_EC); return true;
	case CKA_START_DATE:
	case CKA_END_DATE: attr_val_empty(v); return true;
	case CKA_DERIVE:
		attr_val_bool(v, c->kind == MOD_OBJ_PRIVATE && attr_ctx_may(c, CKF_DERIVE));
		return true;
	case CKA_LOCAL: attr_val_bool(v, k->origin == PIV_ORIGIN_GENERATED); return true;
	case CKA_KEY_GEN_MECHANISM:
		attr_val_ulong(v, k->origin != PIV_ORIGIN_GENERATED ? CK_UNAVAILABLE_INFORMATION :
		                  rsa                               ? CKM_RSA_PKCS_KEY_PAIR_GEN :
		                                                      CKM_EC_KEY_PAIR_GEN);
		return true;
	case CKA_ALLOWED_MECHANISMS: attr_val_mechanisms(c, v); return true;
	case CKA_KINKO_ATTESTATION: attr_val_attestation(c, v); return true;
	case CKA_SUBJECT: attr_val_key_subject(c, v); return true;
	case CKA_PUBLIC_KEY_INFO: attr_val_pubkey_part(c, type, v); return true;
	case CKA_MODULUS:
	case CKA_PUBLIC_EXPONENT:
		if (!rsa)
			return false;
		attr_val_pubkey_part(c, type, v);
		return true;
	case CKA_MODULUS_BITS:
		if (!rsa)
			return false;
		attr_val_ulong(v, piv_alg_bytes(k->alg) * 8);
		return true;
	case CKA_EC_PARAMS:
		if (rsa)
			return false;
		params = mod_parse_ec_params_der(k->alg, &len);
		attr_val_bytes(v, params, len);
		return true;
	default: return false;
	}
}

static bool attr_val_private(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	switch (type) {
	case CKA_SENSITIVE:
	case CKA_ALWAYS_SENSITIVE:
	case CKA_NEVER_EXTRACTABLE: attr_val_bool(v, true); return true;
	case CKA_SIGN: attr_val_bool(v, attr_ctx_may(c, CKF_SIGN)); return true;
	case CKA_DECRYPT: attr_val_bool(v, attr_ctx_may(c, CKF_DECRYPT)); return true;
	case CKA_EXTRACTABLE:
	case CKA_SIGN_RECOVER:
	case CKA_UNWRAP:
	case CKA_WRAP_WITH_TRUSTED: attr_val_bool(v, false); return true;
	case CKA_ALWAYS_AUTHENTICATE:
		attr_val_bool(v, mod_object_always_authenticate(c->t, c->index));
		return true;
	case CKA_VALUE: attr_val_rv(v, CKR_ATTRIBUTE_SENSITIVE); return true;
	case CKA_PRIVATE_EXPONENT:
	case CKA_PRIME_1:
	case CKA_PRIME_2:
	case CKA_EXPONENT_1:
	case CKA_EXPONENT_2:
	case CKA_COEFFICIENT:
		if (!attr_ctx_rsa(c))
			return false;
		attr_val_rv(v, CKR_ATTRIBUTE_SENSITIVE);
		return true;
	default: return false;
	}
}

static bool attr_val_public(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	switch (type) {
	case CKA_VERIFY: attr_val_bool(v, attr_ctx_may(c, CKF_SIGN)); return true;
	case CKA_ENCRYPT: attr_val_bool(v, attr_ctx_may(c, CKF_DECRYPT)); return true;
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP:
	case CKA_TRUSTED: attr_val_bool(v, false); return true;
	case CKA_EC_POINT:
		if (attr_ctx_rsa(c))
			return false;
		attr_val_pubkey_part(c, type, v);
		return true;
	default: return false;
	}
}

static bool attr_val_cert(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	CK_RV rv;

	switch (type) {
	case CKA_CERTIFICATE_TYPE: attr_val_ulong(v, CKC_X_509); return true;
	case CKA_TRUSTED: attr_val_bool(v, false); return true;
	case CKA_CERTIFICATE_CATEGORY: /* the F9 one is an authority's, the others the user's */
		attr_val_ulong(v, c->kind == MOD_OBJ_F9 ? 2 : 1);
		return true;
	case CKA_JAVA_MIDP_SECURITY_DOMAIN: attr_val_ulong(v, 0); return true;
	case CKA_URL:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY: attr_val_empty(v); return true;
	case CKA_VALUE:
	case CKA_CHECK_VALUE:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_SUBJECT:
	case CKA_ISSUER:
	case CKA_SERIAL_NUMBER:
	case CKA_PUBLIC_KEY_INFO: break;
	default: return false;
	}
	rv = attr_ctx_cert(c);
	if (rv != CKR_OK) {
		attr_val_rv(v, rv);
		return true;
	}
	switch (type) {
	case CKA_VALUE: attr_val_bytes(v, c->der, c->der_len); break;
	case CKA_CHECK_VALUE: attr_val_bytes(v, c->ci.check_value, 3); break;
	case CKA_START_DATE:
		attr_val_bytes(v, c->ci.start_date, c->ci.start_date[0] ? 8 : 0);
		break;
	case CKA_END_DATE: attr_val_bytes(v, c->ci.end_date, c->ci.end_date[0] ? 8 : 0); break;
	case CKA_SUBJECT: attr_val_bytes(v, c->ci.subject, c->ci.subject_len); break;
	case CKA_ISSUER: attr_val_bytes(v, c->ci.issuer, c->ci.issuer_len); break;
	case CKA_SERIAL_NUMBER: attr_val_bytes(v, c->ci.serial, c->ci.serial_len); break;
	default: attr_val_bytes(v, c->ci.spki, c->ci.spki_len); break;
	}
	return true;
}

/* kinko's PIN counters (kinko-pkcs11.h): the tries as the token last told them. */
static bool attr_val_hw(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	const mod_token *t = c->t;

	switch (type) {
	case CKA_CLASS: attr_val_ulong(v, CKO_HW_FEATURE); return true;
	case CKA_HW_FEATURE_TYPE: attr_val_ulong(v, CKH_KINKO_PIN_COUNTERS); return true;
	case CKA_TOKEN: attr_val_bool(v, true); return true;
	case CKA_PRIVATE:
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
	case CKA_DESTROYABLE: attr_val_bool(v, false); return true;
	case CKA_KINKO_PIN_TRIES_LEFT: attr_val_ulong(v, t->pin_tries_left); return true;
	case CKA_KINKO_PIN_TRIES_MAX: attr_val_ulong(v, t->pin_tries_max); return true;
	case CKA_KINKO_PUK_TRIES_LEFT: attr_val_ulong(v, t->puk_tries_left); return true;
	case CKA_KINKO_PUK_TRIES_MAX: attr_val_ulong(v, t->puk_tries_max); return true;
	default: return false;
	}
}

void mod_attr_get(mod_attr_ctx *c, CK_ATTRIBUTE_TYPE type, mod_attr_val *v)
{
	bool known;

	memset(v, 0, sizeof(*v));
	if (c->kind == MOD_OBJ_HW) {
		if (!attr_val_hw(c, type, v))
			attr_val_rv(v, CKR_ATTRIBUTE_TYPE_INVALID);
		return;
	}
	known = attr_val_common(c, type, v);
	if (!known && attr_kind_cert(c->kind))
		known = attr_val_cert(c, type, v);
	if (!known && !attr_kind_cert(c->kind))
		known = attr_val_key(c, type, v) ||
		        (c->kind == MOD_OBJ_PRIVATE ? attr_val_private(c, type, v) :
		                                      attr_val_public(c, type, v));
	if (!known)
		attr_val_rv(v, CKR_ATTRIBUTE_TYPE_INVALID);
}

/* ---- C_GetAttributeValue ---- */

/* PKCS#11 lets a module answer any of the errors when several apply; ours in this order. */
static int attr_error_rank(CK_RV rv)
{
	switch (rv) {
	case CKR_ATTRIBUTE_SENSITIVE: return 3;
	case CKR_ATTRIBUTE_TYPE_INVALID: return 2;
	case CKR_BUFFER_TOO_SMALL: return 1;
	default: return 0;
	}
}

CK_RV mod_attr_fill(mod_attr_ctx *c, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_RV result = CKR_OK, rv;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE *a = &tmpl[i];
		mod_attr_val v;

		c->attest_query = !a->pValue;
		mod_attr_get(c, a->type, &v);
		rv = v.rv;
		if (rv != CKR_OK && attr_error_rank(rv) == 0) {
			/* the token failed us (or the object went away): no partial answer */
			mod_attr_val_free(&v);
			return rv;
		}
		if (rv != CKR_OK) {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else if (!a->pValue) {
			a->ulValueLen = v.len;
		} else if (a->ulValueLen < v.len) {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (v.len)
				memcpy(a->pValue, v.p, v.len);
			a->ulValueLen = v.len;
		}
		mod_attr_val_free(&v);
		if (attr_error_rank(rv) > attr_error_rank(result))
			result = rv;
	}
	return result;
}
