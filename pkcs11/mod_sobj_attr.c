/* The attributes of session objects: their values, and the rules PKCS#11 3.0 (sections
 * 4.4 to 4.9) gives each one per class, for creation, C_SetAttributeValue and
 * C_CopyObject. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mod_sobj_attr.h"
#include "mod_tmpl.h"

#define C MOD_SOBJ_F_CREATE
#define REQ MOD_SOBJ_F_REQUIRED
#define SET MOD_SOBJ_F_SET
#define TO_FALSE MOD_SOBJ_F_TO_FALSE
#define TO_TRUE MOD_SOBJ_F_TO_TRUE
#define FIXED MOD_SOBJ_F_FIXED
#define COMP MOD_SOBJ_F_COMPUTED
#define OPT MOD_SOBJ_F_OPTIONAL
#define BOOL MOD_SOBJ_K_BOOL
#define ULONG MOD_SOBJ_K_ULONG
#define BYTES MOD_SOBJ_K_BYTES
#define DATE MOD_SOBJ_K_DATE
#define MECHS MOD_SOBJ_K_MECHS

static const mod_sobj_rule rules_common[] = {
	{CKA_CLASS, ULONG, C | REQ, 0},
	{CKA_TOKEN, BOOL, C | FIXED, CK_FALSE},
	{CKA_PRIVATE, BOOL, C, CK_FALSE},
	{CKA_MODIFIABLE, BOOL, C, CK_TRUE},
	{CKA_COPYABLE, BOOL, C | SET | TO_FALSE, CK_TRUE},
	{CKA_DESTROYABLE, BOOL, C, CK_TRUE},
	{CKA_LABEL, BYTES, C | SET, 0},
};

static const mod_sobj_rule rules_data[] = {
	{CKA_APPLICATION, BYTES, C | SET, 0},
	{CKA_OBJECT_ID, BYTES, C | SET, 0},
	{CKA_VALUE, BYTES, C | SET, 0},
};

static const mod_sobj_rule rules_cert[] = {
	{CKA_CERTIFICATE_TYPE, ULONG, C | REQ, 0},
	{CKA_TRUSTED, BOOL, C | FIXED, CK_FALSE},
	{CKA_CERTIFICATE_CATEGORY, ULONG, C, 0},
	{CKA_CHECK_VALUE, BYTES, C | OPT, 0},
	{CKA_START_DATE, DATE, C | SET, 0},
	{CKA_END_DATE, DATE, C | SET, 0},
	{CKA_PUBLIC_KEY_INFO, BYTES, COMP, 0},
	{CKA_SUBJECT, BYTES, C, 0},
	{CKA_ID, BYTES, C | SET, 0},
	{CKA_ISSUER, BYTES, C | SET, 0},
	{CKA_SERIAL_NUMBER, BYTES, C | SET, 0},
	{CKA_VALUE, BYTES, C | REQ, 0},
	{CKA_URL, BYTES, C, 0},
	{CKA_HASH_OF_SUBJECT_PUBLIC_KEY, BYTES, C, 0},
	{CKA_HASH_OF_ISSUER_PUBLIC_KEY, BYTES, C, 0},
	{CKA_JAVA_MIDP_SECURITY_DOMAIN, ULONG, C, 0},
	{CKA_NAME_HASH_ALGORITHM, ULONG, C | OPT, 0},
};

static const mod_sobj_rule rules_key[] = {
	{CKA_KEY_TYPE, ULONG, C | REQ, 0},
	{CKA_ID, BYTES, C | SET, 0},
	{CKA_START_DATE, DATE, C | SET, 0},
	{CKA_END_DATE, DATE, C | SET, 0},
	{CKA_DERIVE, BOOL, C | SET, CK_FALSE},
	{CKA_LOCAL, BOOL, FIXED, CK_FALSE},
	{CKA_KEY_GEN_MECHANISM, ULONG, FIXED, CK_UNAVAILABLE_INFORMATION},
	{CKA_ALLOWED_MECHANISMS, MECHS, C | OPT, 0},
};

/* Usage defaults as SoftHSM and most token modules have them: an imported public key
 * verifies and encrypts unless told otherwise (Java's SunPKCS11 never says). */
static const mod_sobj_rule rules_public[] = {
	{CKA_SUBJECT, BYTES, C | SET, 0},      {CKA_ENCRYPT, BOOL, C | SET, CK_TRUE},
	{CKA_VERIFY, BOOL, C | SET, CK_TRUE},  {CKA_VERIFY_RECOVER, BOOL, C | SET, CK_TRUE},
	{CKA_WRAP, BOOL, C | SET, CK_TRUE},    {CKA_TRUSTED, BOOL, C | FIXED, CK_FALSE},
	{CKA_PUBLIC_KEY_INFO, BYTES, COMP, 0},
};

static const mod_sobj_rule rules_rsa[] = {
	{CKA_MODULUS, BYTES, C | REQ, 0},
	{CKA_MODULUS_BITS, ULONG, COMP, 0},
	{CKA_PUBLIC_EXPONENT, BYTES, C | REQ, 0},
};

static const mod_sobj_rule rules_ec[] = {
	{CKA_EC_PARAMS, BYTES, C | REQ, 0},
	{CKA_EC_POINT, BYTES, C | REQ, 0},
};

/* A derived secret (mod_sobj_add_secret): its value is the module's. */
static const mod_sobj_rule rules_secret[] = {
	{CKA_SENSITIVE, BOOL, C | SET | TO_TRUE, CK_TRUE},
	{CKA_EXTRACTABLE, BOOL, C | SET | TO_FALSE, CK_TRUE},
	{CKA_ENCRYPT, BOOL, C | SET, CK_FALSE},
	{CKA_DECRYPT, BOOL, C | SET, CK_FALSE},
	{CKA_SIGN, BOOL, C | SET, CK_FALSE},
	{CKA_VERIFY, BOOL, C | SET, CK_FALSE},
	{CKA_WRAP, BOOL, C | SET, CK_FALSE},
	{CKA_UNWRAP, BOOL, C | SET, CK_FALSE},
	{CKA_ALWAYS_SENSITIVE, BOOL, 0, 0},
	{CKA_NEVER_EXTRACTABLE, BOOL, 0, 0},
	{CKA_VALUE, BYTES, 0, 0},
	{CKA_VALUE_LEN, ULONG, C, 0},
};

typedef struct {
	const mod_sobj_rule *rules;
	size_t n;
} rule_set;

#define RULES(a)                                \
	{                                       \
		(a), sizeof(a) / sizeof((a)[0]) \
	}

/* The rule lists of a class, most specific last (a later rule of the same attribute
 * overrides: CKA_TRUSTED, CKA_ID). */
static size_t attr_rule_sets(CK_OBJECT_CLASS cls, CK_ULONG sub, rule_set *out)
{
	size_t k = 0;

	out[k++] = (rule_set)RULES(rules_common);
	switch (cls) {
	case CKO_DATA: out[k++] = (rule_set)RULES(rules_data); break;
	case CKO_CERTIFICATE: out[k++] = (rule_set)RULES(rules_cert); break;
	case CKO_PUBLIC_KEY:
		out[k++] = (rule_set)RULES(rules_key);
		out[k++] = (rule_set)RULES(rules_public);
		if (sub == CKK_RSA || sub == CK_UNAVAILABLE_INFORMATION)
			out[k++] = (rule_set)RULES(rules_rsa);
		if (sub == CKK_EC || sub == CK_UNAVAILABLE_INFORMATION)
			out[k++] = (rule_set)RULES(rules_ec);
		break;
	case CKO_SECRET_KEY:
		out[k++] = (rule_set)RULES(rules_key);
		out[k++] = (rule_set)RULES(rules_secret);
		break;
	default: break;
	}
	return k;
}

const mod_sobj_rule *mod_sobj_attr_rule(CK_OBJECT_CLASS cls, CK_ULONG sub, CK_ATTRIBUTE_TYPE type)
{
	const mod_sobj_rule *found = NULL;
	rule_set sets[5];
	size_t k, i, n = attr_rule_sets(cls, sub, sets);

	for (k = 0; k < n; k++)
		for (i = 0; i < sets[k].n; i++)
			if (sets[k].rules[i].type == type)
				found = &sets[k].rules[i];
	return found;
}

const CK_ATTRIBUTE *mod_sobj_attr_in(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (tmpl[i].type == type)
			return &tmpl[i];
	return NULL;
}

/* ---- values ---- */

const mod_sobj_val *mod_sobj_attr_find(const mod_sobj *o, CK_ATTRIBUTE_TYPE type)
{
	size_t i;

	for (i = 0; i < o->n_vals; i++)
		if (o->vals[i].type == type)
			return &o->vals[i];
	return NULL;
}

static void attr_val_wipe(mod_sobj_val *v)
{
	if (v->val) {
		OPENSSL_cleanse(v->val, v->len);
		free(v->val);
	}
	v->val = NULL;
	v->len = 0;
}

CK_RV mod_sobj_attr_put(mod_sobj *o, CK_ATTRIBUTE_TYPE type, const void *p, CK_ULONG len)
{
	mod_sobj_val *v = (mod_sobj_val *)mod_sobj_attr_find(o, type);
	uint8_t *copy = NULL;

	if (len > 0) {
		copy = malloc(len);
		if (!copy)
			return CKR_HOST_MEMORY;
		memcpy(copy, p, len);
	}
	if (!v) {
		mod_sobj_val *grown = realloc(o->vals, (o->n_vals + 1) * sizeof(*grown));

		if (!grown) {
			free(copy);
			return CKR_HOST_MEMORY;
		}
		o->vals = grown;
		v = &o->vals[o->n_vals++];
		memset(v, 0, sizeof(*v));
		v->type = type;
	}
	attr_val_wipe(v);
	v->val = copy;
	v->len = len;
	return CKR_OK;
}

CK_RV mod_sobj_attr_put_bool(mod_sobj *o, CK_ATTRIBUTE_TYPE type, bool v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	return mod_sobj_attr_put(o, type, &b, sizeof(b));
}

CK_RV mod_sobj_attr_put_ulong(mod_sobj *o, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	return mod_sobj_attr_put(o, type, &v, sizeof(v));
}

bool mod_sobj_attr_bool(const mod_sobj *o, CK_ATTRIBUTE_TYPE type)
{
	const mod_sobj_val *v = mod_sobj_attr_find(o, type);

	return v && v->len == sizeof(CK_BBOOL) && v->val[0] != CK_FALSE;
}

void mod_sobj_attr_clear(mod_sobj *o)
{
	size_t i;

	for (i = 0; i < o->n_vals; i++)
		attr_val_wipe(&o->vals[i]);
	free(o->vals);
	o->vals = NULL;
	o->n_vals = 0;
}

CK_RV mod_sobj_attr_copy_all(mod_sobj *dst, const mod_sobj *src)
{
	size_t i;
	CK_RV rv = CKR_OK;

	for (i = 0; i < src->n_vals && rv == CKR_OK; i++)
		rv = mod_sobj_attr_put(dst, src->vals[i].type, src->vals[i].val, src->vals[i].len);
	return rv;
}

bool mod_sobj_attr_sensitive(const mod_sobj *o, CK_ATTRIBUTE_TYPE type)
{
	return o->cls == CKO_SECRET_KEY && type == CKA_VALUE &&
	       (mod_sobj_attr_bool(o, CKA_SENSITIVE) || !mod_sobj_attr_bool(o, CKA_EXTRACTABLE));
}

/* ---- templates ---- */

/* CK_DATE: empty, or YYYYMMDD in ASCII digits. */
static bool attr_date_ok(const CK_ATTRIBUTE *a)
{
	CK_ULONG i;

	if (a->ulValueLen == 0)
		return true;
	if (!a->pValue || a->ulValueLen != sizeof(CK_DATE))
		return false;
	for (i = 0; i < a->ulValueLen; i++)
		if (((const uint8_t *)a->pValue)[i] < '0' || ((const uint8_t *)a->pValue)[i] > '9')
			return false;
	return true;
}

/* The value has the form of its kind and fits the cap. */
static CK_RV attr_value_ok(const mod_sobj_rule *r, const CK_ATTRIBUTE *a)
{
	CK_ULONG ul = 0;
	bool b = false;

	switch (r->kind) {
	case MOD_SOBJ_K_BOOL: return mod_tmpl_bool_read(a, &b);
	case MOD_SOBJ_K_ULONG: return mod_tmpl_ulong_read(a, &ul);
	case MOD_SOBJ_K_DATE: return attr_date_ok(a) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case MOD_SOBJ_K_MECHS:
		if (a->ulValueLen % sizeof(CK_MECHANISM_TYPE) != 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		/* fall through */
	case MOD_SOBJ_K_BYTES:
		if ((!a->pValue && a->ulValueLen > 0) || a->ulValueLen > MOD_SOBJ_MAX_VALUE)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		return CKR_OK;
	}
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

/* Values PKCS#11 limits beyond their form. */
static CK_RV attr_value_allowed(const CK_ATTRIBUTE *a)
{
	CK_ULONG ul = 0;

	switch (a->type) {
	case CKA_CERTIFICATE_CATEGORY:
	case CKA_JAVA_MIDP_SECURITY_DOMAIN:
		(void)mod_tmpl_ulong_read(a, &ul);
		return ul <= 3 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	default: return CKR_OK;
	}
}

/* A value the module fixes, repeated in a template: the same is fine, another is not the
 * caller's to choose (CKA_TOKEN TRUE: no token object here). */
static CK_RV attr_fixed_ok(const mod_sobj_rule *r, const CK_ATTRIBUTE *a)
{
	CK_ULONG ul = 0;
	bool b = false;

	if (r->kind == MOD_SOBJ_K_BOOL) {
		(void)mod_tmpl_bool_read(a, &b);
		if (b == (r->dflt != CK_FALSE))
			return CKR_OK;
		return a->type == CKA_TOKEN ? CKR_TEMPLATE_INCONSISTENT : CKR_ATTRIBUTE_READ_ONLY;
	}
	(void)mod_tmpl_ulong_read(a, &ul);
	return ul == r->dflt ? CKR_OK : CKR_ATTRIBUTE_READ_ONLY;
}

CK_RV mod_sobj_attr_check_create(CK_OBJECT_CLASS cls, CK_ULONG sub, const CK_ATTRIBUTE *tmpl,
                                 CK_ULONG n)
{
	rule_set sets[5];
	size_t k, i, n_sets;
	CK_ULONG j;
	CK_RV rv;

	for (j = 0; j < n; j++) {
		const mod_sobj_rule *r = mod_sobj_attr_rule(cls, sub, tmpl[j].type);

		if (!r)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		rv = attr_value_ok(r, &tmpl[j]);
		if (rv == CKR_OK)
			rv = attr_value_allowed(&tmpl[j]);
		if (rv == CKR_OK && (r->flags & MOD_SOBJ_F_FIXED))
			rv = attr_fixed_ok(r, &tmpl[j]);
		else if (rv == CKR_OK && !(r->flags & (MOD_SOBJ_F_CREATE | MOD_SOBJ_F_COMPUTED)))
			rv = CKR_ATTRIBUTE_READ_ONLY;
		if (rv == CKR_OK && mod_sobj_attr_in(tmpl, j, tmpl[j].type))
			rv = CKR_TEMPLATE_INCONSISTENT;
		if (rv != CKR_OK)
			return rv;
	}
	n_sets = attr_rule_sets(cls, sub, sets);
	for (k = 0; k < n_sets; k++)
		for (i = 0; i < sets[k].n; i++)
			if ((sets[k].rules[i].flags & MOD_SOBJ_F_REQUIRED) &&
			    !mod_sobj_attr_in(tmpl, n, sets[k].rules[i].type))
				return CKR_TEMPLATE_INCOMPLETE;
	return CKR_OK;
}

/* The attributes a copy may set whatever their rule (PKCS#11 3.0, C_CopyObject): where it
 * lives (CKA_TOKEN: only FALSE here), who sees it, and its protections, which only grow. */
static CK_RV attr_copy_only(const mod_sobj *o, const CK_ATTRIBUTE *a, bool *handled)
{
	bool b = false;
	CK_RV rv;

	*handled = true;
	switch (a->type) {
	case CKA_TOKEN:
	case CKA_PRIVATE:
	case CKA_MODIFIABLE:
	case CKA_DESTROYABLE: break;
	default: *handled = false; return CKR_OK;
	}
	rv = mod_tmpl_bool_read(a, &b);
	if (rv != CKR_OK)
		return rv;
	if (a->type == CKA_TOKEN && b) {
		mod_trace_msg("a copy of a session object stays a session object: the token "
		              "stores only its certificates and the keys it generates");
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if ((a->type == CKA_MODIFIABLE || a->type == CKA_DESTROYABLE) && b &&
	    !mod_sobj_attr_bool(o, a->type))
		return CKR_ATTRIBUTE_READ_ONLY;
	return CKR_OK;
}

CK_RV mod_sobj_attr_check_change(const mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool copy)
{
	bool modifiable = mod_sobj_attr_bool(o, CKA_MODIFIABLE);
	CK_ULONG j;

	for (j = 0; j < n; j++) {
		const mod_sobj_rule *r = mod_sobj_attr_rule(o->cls, o->sub, tmpl[j].type);
		const mod_sobj_val *cur;
		bool handled = false, b = false;
		CK_RV rv;

		if (!r)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		if (copy) {
			rv = attr_copy_only(o, &tmpl[j], &handled);
			if (rv != CKR_OK)
				return rv;
			if (handled)
				continue;
		}
		if (!(r->flags & MOD_SOBJ_F_SET) || !modifiable)
			return CKR_ATTRIBUTE_READ_ONLY;
		rv = attr_value_ok(r, &tmpl[j]);
		if (rv == CKR_OK)
			rv = attr_value_allowed(&tmpl[j]);
		if (rv != CKR_OK)
			return rv;
		if (mod_sobj_attr_in(tmpl, j, tmpl[j].type))
			return CKR_TEMPLATE_INCONSISTENT;
		if (!(r->flags & (MOD_SOBJ_F_TO_FALSE | MOD_SOBJ_F_TO_TRUE)))
			continue;
		(void)mod_tmpl_bool_read(&tmpl[j], &b);
		cur = mod_sobj_attr_find(o, tmpl[j].type);
		if (cur && cur->len == 1 && (cur->val[0] != CK_FALSE) != b &&
		    b != !!(r->flags & MOD_SOBJ_F_TO_TRUE))
			return CKR_ATTRIBUTE_READ_ONLY;
	}
	return CKR_OK;
}

CK_RV mod_sobj_attr_build(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	rule_set sets[5];
	size_t k, i, n_sets = attr_rule_sets(o->cls, o->sub, sets);
	CK_RV rv = CKR_OK;

	for (k = 0; k < n_sets && rv == CKR_OK; k++) {
		for (i = 0; i < sets[k].n && rv == CKR_OK; i++) {
			const mod_sobj_rule *r = &sets[k].rules[i];

			if (r->flags & (MOD_SOBJ_F_OPTIONAL | MOD_SOBJ_F_COMPUTED))
				continue;
			if (r->kind == MOD_SOBJ_K_BOOL)
				rv = mod_sobj_attr_put_bool(o, r->type, r->dflt != CK_FALSE);
			else if (r->kind == MOD_SOBJ_K_ULONG)
				rv = mod_sobj_attr_put_ulong(o, r->type, r->dflt);
			else
				rv = mod_sobj_attr_put(o, r->type, NULL, 0);
		}
	}
	return rv == CKR_OK ? mod_sobj_attr_apply(o, tmpl, n) : rv;
}

CK_RV mod_sobj_attr_apply(mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG j;
	CK_RV rv = CKR_OK;

	for (j = 0; j < n && rv == CKR_OK; j++) {
		const mod_sobj_rule *r = mod_sobj_attr_rule(o->cls, o->sub, tmpl[j].type);

		if (r && !(r->flags & MOD_SOBJ_F_COMPUTED))
			rv = mod_sobj_attr_put(o, tmpl[j].type, tmpl[j].pValue, tmpl[j].ulValueLen);
	}
	return rv;
}

CK_RV mod_sobj_attr_check_computed(const mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG j;

	for (j = 0; j < n; j++) {
		const mod_sobj_rule *r = mod_sobj_attr_rule(o->cls, o->sub, tmpl[j].type);
		const mod_sobj_val *v = mod_sobj_attr_find(o, tmpl[j].type);

		if (!r || !(r->flags & MOD_SOBJ_F_COMPUTED))
			continue;
		if (!v || v->len != tmpl[j].ulValueLen ||
		    (v->len > 0 && memcmp(v->val, tmpl[j].pValue, v->len) != 0))
			return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}
