/* The session objects' store (mod_sobj.h): a list per slot (mod_slot.sobjs), used under
 * the slot lock; handles and the object count are process-wide. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mod_sobj_attr.h"
#include "mod_tmpl.h"

#define SOBJ_COUNTER_MASK 0x3FFFFFFFUL

static atomic_ulong sobj_next;
static atomic_uint sobj_count;

bool mod_sobj_is_handle(CK_OBJECT_HANDLE h)
{
	return (h & ~(CK_OBJECT_HANDLE)SOBJ_COUNTER_MASK) == MOD_SOBJ_HANDLE_BIT;
}

static void sobj_free(mod_sobj *o)
{
	mod_sobj_attr_clear(o);
	OPENSSL_cleanse(o, sizeof(*o));
	free(o);
	atomic_fetch_sub(&sobj_count, 1);
}

/* Unlink and free every object of s for which drop(o, arg) holds. */
static void sobj_drop_if(mod_slot *s, bool (*drop)(const mod_slot *s, const mod_sobj *o, void *arg),
                         void *arg)
{
	mod_sobj **pp = &s->sobjs;

	while (*pp) {
		mod_sobj *o = *pp;

		if (drop(s, o, arg)) {
			*pp = o->next;
			sobj_free(o);
		} else {
			pp = &o->next;
		}
	}
}

static bool sobj_stale(const mod_slot *s, const mod_sobj *o, void *arg)
{
	(void)arg;
	return o->generation != s->generation;
}

/* A removal since an object was made ends its session: the object goes with it. */
static void sobj_prune(mod_slot *s)
{
	sobj_drop_if(s, sobj_stale, NULL);
}

static bool sobj_visible(const mod_slot *s, const mod_sobj *o)
{
	return !mod_sobj_attr_bool(o, CKA_PRIVATE) || mod_slot_user_logged_in(s);
}

static mod_sobj *sobj_lookup(mod_slot *s, CK_OBJECT_HANDLE h)
{
	mod_sobj *o;

	if (!mod_sobj_is_handle(h))
		return NULL;
	sobj_prune(s);
	for (o = s->sobjs; o; o = o->next)
		if (o->handle == h)
			return sobj_visible(s, o) ? o : NULL;
	return NULL;
}

/* A new object of sess with the class's defaults and the template's values (checked
 * already), counted, not linked yet. CKR_DEVICE_MEMORY past the cap. */
static CK_RV sobj_new(mod_slot *s, mod_session *sess, CK_OBJECT_CLASS cls, CK_ULONG sub,
                      const CK_ATTRIBUTE *tmpl, CK_ULONG n, mod_sobj **out)
{
	mod_sobj *o;
	CK_RV rv;

	sobj_prune(s);
	if (atomic_fetch_add(&sobj_count, 1) >= MOD_SOBJ_MAX_OBJECTS) {
		atomic_fetch_sub(&sobj_count, 1);
		mod_trace_msg("slot %lu: %u session objects already: destroy some first",
		              (unsigned long)s->id, MOD_SOBJ_MAX_OBJECTS);
		return CKR_DEVICE_MEMORY;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		atomic_fetch_sub(&sobj_count, 1);
		return CKR_HOST_MEMORY;
	}
	o->owner = sess->handle;
	o->generation = s->generation;
	o->cls = cls;
	o->sub = sub;
	rv = mod_sobj_attr_build(o, tmpl, n);
	if (rv != CKR_OK) {
		sobj_free(o);
		return rv;
	}
	*out = o;
	return CKR_OK;
}

/* Give o a handle no object of s has and link it. */
static void sobj_link(mod_slot *s, mod_sobj *o, CK_OBJECT_HANDLE *h)
{
	const mod_sobj *other;

	do {
		o->handle = MOD_SOBJ_HANDLE_BIT |
		            (atomic_fetch_add(&sobj_next, 1) % SOBJ_COUNTER_MASK + 1);
		for (other = s->sobjs; other && other->handle != o->handle; other = other->next)
			;
	} while (other);
	o->next = s->sobjs;
	s->sobjs = o;
	*h = o->handle;
}

/* ---- creating ---- */

/* The class and its subtype (key or certificate type) of a creation template; cls is
 * CK_UNAVAILABLE_INFORMATION when the template has none. */
static CK_RV sobj_class(const mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                        CK_OBJECT_CLASS *cls, CK_ULONG *sub)
{
	const CK_ATTRIBUTE *a = mod_sobj_attr_in(tmpl, n, CKA_CLASS);
	CK_ATTRIBUTE_TYPE sub_type = CKA_KEY_TYPE;
	CK_RV rv;

	*cls = *sub = CK_UNAVAILABLE_INFORMATION;
	if (!a)
		return CKR_OK;
	rv = mod_tmpl_ulong_read(a, cls);
	if (rv != CKR_OK)
		return rv;
	switch (*cls) {
	case CKO_DATA: return CKR_OK;
	case CKO_CERTIFICATE: sub_type = CKA_CERTIFICATE_TYPE; break;
	case CKO_PUBLIC_KEY: break;
	default:
		mod_trace_msg("slot %lu: session objects are data objects, certificates and "
		              "public keys; not class 0x%lx",
		              (unsigned long)s->id, (unsigned long)*cls);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	a = mod_sobj_attr_in(tmpl, n, sub_type);
	if (!a)
		return CKR_OK;
	rv = mod_tmpl_ulong_read(a, sub);
	if (rv != CKR_OK)
		return rv;
	if (*cls == CKO_CERTIFICATE ? *sub != CKC_X_509 : (*sub != CKK_RSA && *sub != CKK_EC)) {
		mod_trace_msg("slot %lu: session certificates are X.509 and public keys RSA or EC",
		              (unsigned long)s->id);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* Links o, or frees it on error. */
static CK_RV sobj_finish(mod_slot *s, mod_sobj *o, CK_RV rv, CK_OBJECT_HANDLE *h)
{
	if (rv == CKR_OK && mod_sobj_attr_bool(o, CKA_PRIVATE) && !mod_slot_user_logged_in(s))
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv != CKR_OK) {
		sobj_free(o);
		return rv;
	}
	sobj_link(s, o, h);
	return CKR_OK;
}

CK_RV mod_sobj_create(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls;
	CK_ULONG sub;
	mod_sobj *o;
	CK_RV rv;

	if (!h || (n > 0 && !tmpl))
		return CKR_ARGUMENTS_BAD;
	rv = sobj_class(s, tmpl, n, &cls, &sub);
	if (rv == CKR_OK)
		rv = mod_sobj_attr_check_create(cls, sub, tmpl, n);
	if (rv == CKR_OK && cls == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_TEMPLATE_INCOMPLETE;
	if (rv != CKR_OK)
		return rv;
	rv = sobj_new(s, sess, cls, sub, tmpl, n, &o);
	if (rv != CKR_OK)
		return rv;
	if (cls == CKO_CERTIFICATE)
		rv = mod_sobj_key_cert(o, tmpl, n);
	else if (cls == CKO_PUBLIC_KEY)
		rv = mod_sobj_key_public(o);
	if (rv == CKR_OK)
		rv = mod_sobj_attr_check_computed(o, tmpl, n);
	return sobj_finish(s, o, rv, h);
}

/* The class and key type a derivation template may name: this secret's. */
static CK_RV sobj_secret_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG ul = 0;
	CK_RV rv;

	a = mod_sobj_attr_in(tmpl, n, CKA_CLASS);
	if (a && (rv = mod_tmpl_ulong_read(a, &ul)) != CKR_OK)
		return rv;
	if (a && ul != CKO_SECRET_KEY)
		return CKR_TEMPLATE_INCONSISTENT;
	a = mod_sobj_attr_in(tmpl, n, CKA_KEY_TYPE);
	if (a && (rv = mod_tmpl_ulong_read(a, &ul)) != CKR_OK)
		return rv;
	if (a && ul != CKK_GENERIC_SECRET)
		return CKR_TEMPLATE_INCONSISTENT;
	return mod_sobj_attr_check_create(CKO_SECRET_KEY, CKK_GENERIC_SECRET, tmpl, n);
}

CK_RV mod_sobj_add_secret(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          const uint8_t *value, size_t len, CK_OBJECT_HANDLE *h)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG want = (CK_ULONG)len;
	mod_sobj *o;
	CK_RV rv;

	if (!h || (n > 0 && !tmpl) || (!value && len > 0))
		return CKR_ARGUMENTS_BAD;
	rv = sobj_secret_template(tmpl, n);
	/* the class and key type are the module's: a template need not say them */
	if (rv == CKR_TEMPLATE_INCOMPLETE)
		rv = CKR_OK;
	a = mod_sobj_attr_in(tmpl, n, CKA_VALUE_LEN);
	if (rv == CKR_OK && a && (rv = mod_tmpl_ulong_read(a, &want)) == CKR_OK && want > len)
		rv = CKR_TEMPLATE_INCONSISTENT;
	if (rv != CKR_OK)
		return rv;
	rv = sobj_new(s, sess, CKO_SECRET_KEY, CKK_GENERIC_SECRET, tmpl, n, &o);
	if (rv != CKR_OK)
		return rv;
	rv = mod_sobj_attr_put_ulong(o, CKA_CLASS, CKO_SECRET_KEY);
	if (rv == CKR_OK)
		rv = mod_sobj_attr_put_ulong(o, CKA_KEY_TYPE, CKK_GENERIC_SECRET);
	/* PKCS#11 leaves CKA_PRIVATE's default to the token: a secret made while logged in
	 * goes at logout */
	if (rv == CKR_OK && !mod_sobj_attr_in(tmpl, n, CKA_PRIVATE))
		rv = mod_sobj_attr_put_bool(o, CKA_PRIVATE, mod_slot_user_logged_in(s));
	if (rv == CKR_OK)
		rv = mod_sobj_attr_put(o, CKA_VALUE, value, want);
	if (rv == CKR_OK)
		rv = mod_sobj_attr_put_ulong(o, CKA_VALUE_LEN, want);
	/* the base key, a token private key, never left the token */
	if (rv == CKR_OK)
		rv = mod_sobj_attr_put_bool(o, CKA_ALWAYS_SENSITIVE,
		                            mod_sobj_attr_bool(o, CKA_SENSITIVE));
	if (rv == CKR_OK)
		rv = mod_sobj_attr_put_bool(o, CKA_NEVER_EXTRACTABLE,
		                            !mod_sobj_attr_bool(o, CKA_EXTRACTABLE));
	return sobj_finish(s, o, rv, h);
}

/* ---- C_CreateObject's choice ---- */

CK_RV mod_sobj_wants_token(const CK_ATTRIBUTE *tmpl, CK_ULONG n, bool *token)
{
	const CK_ATTRIBUTE *a = mod_sobj_attr_in(tmpl, n, CKA_TOKEN);

	*token = false;
	return a ? mod_tmpl_bool_read(a, token) : CKR_OK;
}

CK_RV mod_sobj_token_storable(const mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const CK_ATTRIBUTE *a = mod_sobj_attr_in(tmpl, n, CKA_CLASS);
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;

	/* no class, or a malformed one: the certificate path says what is wrong */
	if (!a || mod_tmpl_ulong_read(a, &cls) != CKR_OK || cls == CKO_CERTIFICATE)
		return CKR_OK;
	mod_trace_msg("slot %lu: the token stores certificates (C_CreateObject) and the keys "
	              "it generates (C_GenerateKeyPair), not objects of class 0x%lx: "
	              "CKA_TOKEN FALSE makes a session object",
	              (unsigned long)s->id, (unsigned long)cls);
	return CKR_TEMPLATE_INCONSISTENT;
}

/* ---- lifetime ---- */

static bool sobj_owned_by(const mod_slot *s, const mod_sobj *o, void *arg)
{
	(void)s;
	return o->owner == *(const CK_SESSION_HANDLE *)arg;
}

void mod_sobj_session_closed(mod_slot *s, CK_SESSION_HANDLE sess)
{
	sobj_drop_if(s, sobj_owned_by, &sess);
}

static bool sobj_private(const mod_slot *s, const mod_sobj *o, void *arg)
{
	(void)s;
	(void)arg;
	return mod_sobj_attr_bool(o, CKA_PRIVATE);
}

void mod_sobj_logout(mod_slot *s)
{
	sobj_drop_if(s, sobj_private, NULL);
}

static bool sobj_any(const mod_slot *s, const mod_sobj *o, void *arg)
{
	(void)s;
	(void)o;
	(void)arg;
	return true;
}

void mod_sobj_slot_free(mod_slot *s)
{
	sobj_drop_if(s, sobj_any, NULL);
}

void mod_sobj_forget_all(void)
{
	atomic_store(&sobj_count, 0);
}

/* ---- the object functions ---- */

static bool sobj_matches(const mod_sobj *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		const mod_sobj_val *v = mod_sobj_attr_find(o, tmpl[i].type);

		if (!v || mod_sobj_attr_sensitive(o, tmpl[i].type) ||
		    v->len != tmpl[i].ulValueLen ||
		    (v->len > 0 && memcmp(v->val, tmpl[i].pValue, v->len) != 0))
			return false;
	}
	return true;
}

CK_RV mod_sobj_find(mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE **found,
                    size_t *n_found)
{
	CK_OBJECT_HANDLE *grown;
	const mod_sobj *o;
	size_t count = 0, i;

	sobj_prune(s);
	for (o = s->sobjs; o; o = o->next)
		count += sobj_visible(s, o) && sobj_matches(o, tmpl, n);
	if (count == 0)
		return CKR_OK;
	grown = realloc(*found, (*n_found + count) * sizeof(*grown));
	if (!grown)
		return CKR_HOST_MEMORY;
	*found = grown;
	/* the list is newest first: the handles go out oldest first, as they were made */
	i = *n_found + count;
	for (o = s->sobjs; o; o = o->next)
		if (sobj_visible(s, o) && sobj_matches(o, tmpl, n))
			grown[--i] = o->handle;
	*n_found += count;
	return CKR_OK;
}

/* PKCS#11 lets a module answer any of the errors when several apply; these in this order,
 * as mod_attr.c does for token objects. */
static int sobj_error_rank(CK_RV rv)
{
	switch (rv) {
	case CKR_ATTRIBUTE_SENSITIVE: return 3;
	case CKR_ATTRIBUTE_TYPE_INVALID: return 2;
	case CKR_BUFFER_TOO_SMALL: return 1;
	default: return 0;
	}
}

CK_RV mod_sobj_get_attributes(mod_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	const mod_sobj *o;
	CK_RV result = CKR_OK;
	CK_ULONG i;

	if (!tmpl && n > 0)
		return CKR_ARGUMENTS_BAD;
	o = sobj_lookup(s, h);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE *a = &tmpl[i];
		const mod_sobj_val *v = mod_sobj_attr_find(o, a->type);
		CK_RV rv = CKR_OK;

		if (!v)
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		else if (mod_sobj_attr_sensitive(o, a->type))
			rv = CKR_ATTRIBUTE_SENSITIVE;
		if (rv != CKR_OK) {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		} else if (!a->pValue) {
			a->ulValueLen = v->len;
		} else if (a->ulValueLen < v->len) {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (v->len)
				memcpy(a->pValue, v->val, v->len);
			a->ulValueLen = v->len;
		}
		if (sobj_error_rank(rv) > sobj_error_rank(result))
			result = rv;
	}
	return result;
}

CK_RV mod_sobj_size(mod_slot *s, CK_OBJECT_HANDLE h, CK_ULONG *size)
{
	const mod_sobj *o;
	CK_ULONG total = 0;
	size_t i;

	if (!size)
		return CKR_ARGUMENTS_BAD;
	o = sobj_lookup(s, h);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	for (i = 0; i < o->n_vals; i++)
		total += o->vals[i].len;
	*size = total;
	return CKR_OK;
}

CK_RV mod_sobj_set_attributes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h,
                              const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	mod_sobj *o;
	CK_RV rv;

	(void)sess;
	if (!tmpl && n > 0)
		return CKR_ARGUMENTS_BAD;
	o = sobj_lookup(s, h);
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	if (n > 0 && !mod_sobj_attr_bool(o, CKA_MODIFIABLE))
		return CKR_ACTION_PROHIBITED;
	rv = mod_sobj_attr_check_change(o, tmpl, n, false);
	return rv == CKR_OK ? mod_sobj_attr_apply(o, tmpl, n) : rv;
}

CK_RV mod_sobj_copy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl,
                    CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	const mod_sobj *src;
	mod_sobj *o;
	CK_RV rv;

	if (!out || (!tmpl && n > 0))
		return CKR_ARGUMENTS_BAD;
	src = sobj_lookup(s, h);
	if (!src)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!mod_sobj_attr_bool(src, CKA_COPYABLE))
		return CKR_ACTION_PROHIBITED;
	rv = mod_sobj_attr_check_change(src, tmpl, n, true);
	if (rv != CKR_OK)
		return rv;
	rv = sobj_new(s, sess, src->cls, src->sub, NULL, 0, &o);
	if (rv != CKR_OK)
		return rv;
	rv = mod_sobj_attr_copy_all(o, src);
	if (rv == CKR_OK)
		rv = mod_sobj_attr_apply(o, tmpl, n);
	return sobj_finish(s, o, rv, out);
}

CK_RV mod_sobj_destroy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h)
{
	mod_sobj *o = sobj_lookup(s, h);
	mod_sobj **pp;

	(void)sess;
	if (!o)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!mod_sobj_attr_bool(o, CKA_DESTROYABLE))
		return CKR_ACTION_PROHIBITED;
	for (pp = &s->sobjs; *pp != o; pp = &(*pp)->next)
		;
	*pp = o->next;
	sobj_free(o);
	return CKR_OK;
}

/* ---- keys for the crypto layer ---- */

CK_RV mod_sobj_pubkey(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE use,
                      EVP_PKEY **pkey)
{
	const mod_sobj *o = sobj_lookup(s, h);

	(void)sess;
	*pkey = NULL;
	if (!o || o->cls != CKO_PUBLIC_KEY)
		return CKR_KEY_HANDLE_INVALID;
	if (use != 0 && !mod_sobj_attr_bool(o, use))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	return mod_sobj_key_evp(o, pkey);
}

bool mod_sobj_is_key(mod_slot *s, CK_OBJECT_HANDLE h)
{
	const mod_sobj *o = sobj_lookup(s, h);

	return o && (o->cls == CKO_PUBLIC_KEY || o->cls == CKO_SECRET_KEY);
}

CK_RV mod_sobj_digest_bytes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h, uint8_t **bytes,
                            size_t *len)
{
	const mod_sobj *o = sobj_lookup(s, h);
	const mod_sobj_val *v;

	(void)sess;
	*bytes = NULL;
	*len = 0;
	if (!o || (o->cls != CKO_PUBLIC_KEY && o->cls != CKO_SECRET_KEY))
		return CKR_KEY_HANDLE_INVALID;
	v = mod_sobj_attr_find(o, o->cls == CKO_SECRET_KEY ? CKA_VALUE : CKA_PUBLIC_KEY_INFO);
	if (!v || v->len == 0)
		return CKR_KEY_INDIGESTIBLE;
	*bytes = malloc(v->len);
	if (!*bytes)
		return CKR_HOST_MEMORY;
	memcpy(*bytes, v->val, v->len);
	*len = v->len;
	return CKR_OK;
}
