/* The token's PKCS#11 objects: computed handles, which objects exist, C_GetAttributeValue
 * and the matching of C_FindObjectsInit. Nothing here is stored: every object is a view of
 * the token cache (mod_token.c). */
#include <stdlib.h>
#include <string.h>

#include "kinko-pkcs11.h"
#include "mod_attr.h"
#include "mod_pinask.h"
#include "mod_sobj.h"
#include "piv.h"

/* Handle: 0x00SS0IK (slot id + 1, key index + 1, kind). Never 0, and telling in traces:
 * 0x10101 is slot 0's 9A private key. */
#define MOD_H_SLOT_SHIFT 16
#define MOD_H_INDEX_SHIFT 8
#define MOD_H_MAX_SLOT 0xFFFFu

CK_OBJECT_HANDLE mod_object_handle(const mod_slot *s, unsigned key_index, mod_obj_kind kind)
{
	return (CK_OBJECT_HANDLE)(s->id + 1) << MOD_H_SLOT_SHIFT |
	       (CK_OBJECT_HANDLE)(key_index + 1) << MOD_H_INDEX_SHIFT | (CK_OBJECT_HANDLE)kind;
}

bool mod_object_decode(const mod_slot *s, CK_OBJECT_HANDLE h, unsigned *key_index,
                       mod_obj_kind *kind)
{
	CK_OBJECT_HANDLE slot = h >> MOD_H_SLOT_SHIFT;
	unsigned idx = (unsigned)((h >> MOD_H_INDEX_SHIFT) & 0xFF);
	unsigned k = (unsigned)(h & 0xFF);

	if (s->id >= MOD_H_MAX_SLOT || slot != s->id + 1 || idx < 1 || idx > PIV_KEY_SLOTS ||
	    k < MOD_OBJ_PRIVATE || k > MOD_OBJ_CERT)
		return false;
	*key_index = idx - 1;
	*kind = (mod_obj_kind)k;
	return true;
}

/* The CKA_IDs are the public header's (kinko-pkcs11.h), in the key index order of piv.h. */
_Static_assert(KINKO_CKA_ID_95 - KINKO_CKA_ID_9A + 1 == PIV_KEY_SLOTS, "one CKA_ID per key slot");

CK_BYTE mod_object_id(unsigned key_index)
{
	return (CK_BYTE)(key_index + KINKO_CKA_ID_9A);
}

bool mod_object_index_from_id(const CK_BYTE *id, CK_ULONG len, unsigned *key_index)
{
	if (!id || len != 1 || id[0] < KINKO_CKA_ID_9A || id[0] > KINKO_CKA_ID_95)
		return false;
	*key_index = id[0] - (unsigned)KINKO_CKA_ID_9A;
	return true;
}

bool mod_object_alg_supported(uint8_t alg)
{
	return piv_alg_bytes(alg) != 0;
}

bool mod_object_exists(const mod_token *t, unsigned key_index, mod_obj_kind kind,
                       bool private_visible)
{
	const mod_keyslot *k;

	if (!t || key_index >= PIV_KEY_SLOTS)
		return false;
	k = &t->keys[key_index];
	switch (kind) {
	case MOD_OBJ_PRIVATE:
		return private_visible && k->has_key && mod_object_alg_supported(k->alg);
	case MOD_OBJ_PUBLIC: return k->has_key && mod_object_alg_supported(k->alg);
	case MOD_OBJ_CERT: return k->has_cert;
	case MOD_OBJ_HW: return key_index == 0 && t->pin_tries_max > 0;
	case MOD_OBJ_F9: return key_index == 0 && t->f9 == MOD_F9_PRESENT;
	default: return false;
	}
}

/* PIV's roles (SP 800-73-4 3.1): 9A, 9C and 9E authenticate or sign; 9D is the key
 * management key, for decryption (RSA) or key agreement (EC) and never a signature; the
 * retired slots hold former key management keys, and kinko also generates signing keys
 * there, so they do both. */
CK_FLAGS mod_object_key_usage(unsigned key_index, bool rsa)
{
	uint8_t ref = piv_key_slot_ref(key_index);
	CK_FLAGS manage = rsa ? CKF_DECRYPT : CKF_DERIVE;

	if (ref == PIV_KEY_KEYMGMT)
		return manage;
	if (ref >= PIV_KEY_RETIRED1 && ref <= PIV_KEY_RETIRED20)
		return CKF_SIGN | manage;
	return ref ? CKF_SIGN : 0;
}

/* Policy "never", or "default" in 9E (the card authentication key), signs without the user's
 * PIN; the firmware applies the same defaults. */
bool mod_object_needs_login(const mod_token *t, unsigned key_index)
{
	uint8_t policy = t->keys[key_index].pin_policy;

	if (policy == PIV_PIN_POLICY_DEFAULT)
		return piv_key_slot_ref(key_index) != PIV_KEY_CARDAUTH;
	return policy != PIV_PIN_POLICY_NEVER;
}

bool mod_object_always_authenticate(const mod_token *t, unsigned key_index)
{
	uint8_t policy = t->keys[key_index].pin_policy;

	if (policy == PIV_PIN_POLICY_DEFAULT)
		return piv_key_slot_ref(key_index) == PIV_KEY_SIGN;
	return policy == PIV_PIN_POLICY_ALWAYS;
}

CK_RV mod_object_check(mod_slot *s, CK_OBJECT_HANDLE h, unsigned *key_index, mod_obj_kind *kind)
{
	mod_token *t;
	CK_RV rv;

	if (h == mod_object_handle(s, 0, MOD_OBJ_HW) || h == mod_object_handle(s, 0, MOD_OBJ_F9)) {
		*key_index = 0;
		*kind = (mod_obj_kind)(h & 0xFF);
	} else if (!mod_object_decode(s, h, key_index, kind)) {
		return CKR_OBJECT_HANDLE_INVALID;
	}
	rv = mod_token_get(s, &t);
	if (rv != CKR_OK)
		return rv;
	if (!mod_object_exists(t, *key_index, *kind, mod_slot_private_visible(s)))
		return CKR_OBJECT_HANDLE_INVALID;
	return CKR_OK;
}

CK_RV mod_object_check_template(mod_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl,
                                CK_ULONG n, unsigned *key_index, mod_obj_kind *kind)
{
	if (!tmpl && n > 0)
		return CKR_ARGUMENTS_BAD;
	return mod_object_check(s, h, key_index, kind);
}

CK_RV mod_object_get_attributes(mod_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	mod_attr_ctx c;
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (mod_sobj_is_handle(h))
		return mod_sobj_get_attributes(s, h, tmpl, n);
	rv = mod_object_check_template(s, h, tmpl, n, &idx, &kind);
	if (rv != CKR_OK)
		return rv;
	mod_attr_ctx_init(&c, s, s->token, idx, kind);
	rv = mod_attr_fill(&c, tmpl, n);
	mod_attr_ctx_cleanup(&c);
	return rv;
}

/* PKCS#11 allows "unavailable": an object's size on a PIV token means nothing useful. */
CK_RV mod_object_size(mod_slot *s, CK_OBJECT_HANDLE h, CK_ULONG *size)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (mod_sobj_is_handle(h))
		return mod_sobj_size(s, h, size);
	if (!size)
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check(s, h, &idx, &kind);
	if (rv == CKR_OK)
		*size = CK_UNAVAILABLE_INFORMATION;
	return rv;
}

/* CKA_COPYABLE is FALSE on every object of the token. */
CK_RV mod_object_copy(mod_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                      CK_OBJECT_HANDLE *out)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (!out)
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check_template(s, h, tmpl, n, &idx, &kind);
	return rv != CKR_OK ? rv : CKR_ACTION_PROHIBITED;
}

/* A token's private key never leaves it: that is the answer for it whatever wraps it. */
CK_RV mod_object_wrap(mod_slot *s, const CK_MECHANISM *mech, CK_OBJECT_HANDLE wrapping,
                      CK_OBJECT_HANDLE key, const CK_ULONG *len)
{
	mod_obj_kind kind;
	unsigned idx;
	CK_RV rv;

	if (!mech || !len)
		return CKR_ARGUMENTS_BAD;
	rv = mod_object_check(s, key, &idx, &kind);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (kind == MOD_OBJ_PRIVATE)
		return CKR_KEY_UNEXTRACTABLE;
	rv = mod_object_check(s, wrapping, &idx, &kind);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_WRAPPING_KEY_HANDLE_INVALID;
	return rv != CKR_OK ? rv : CKR_FUNCTION_NOT_SUPPORTED;
}

/* ---- find ---- */

/* Does the object have exactly these values? The template's attributes are looked at
 * cheapest first, so "class + id" never reads a certificate. *err: the token failed. */
static bool object_find_match(mod_attr_ctx *c, const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_RV *err)
{
	int cost;
	CK_ULONG i;

	for (cost = MOD_ATTR_COST_NONE; cost <= MOD_ATTR_COST_CERT; cost++) {
		for (i = 0; i < n; i++) {
			mod_attr_val v;
			bool same;

			if (mod_attr_cost(c->kind, tmpl[i].type) != cost)
				continue;
			mod_attr_get(c, tmpl[i].type, &v);
			if (v.rv == CKR_ATTRIBUTE_TYPE_INVALID || v.rv == CKR_ATTRIBUTE_SENSITIVE ||
			    v.rv == CKR_OBJECT_HANDLE_INVALID) {
				/* not an attribute of this object (or, unreadable, no object) */
				mod_attr_val_free(&v);
				return false;
			}
			if (v.rv != CKR_OK) {
				*err = v.rv;
				mod_attr_val_free(&v);
				return false;
			}
			same = v.len == tmpl[i].ulValueLen &&
			       (v.len == 0 || memcmp(v.p, tmpl[i].pValue, v.len) == 0);
			mod_attr_val_free(&v);
			if (!same)
				return false;
		}
	}
	return true;
}

static bool object_find_template_ok(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	if (n > 0 && !tmpl)
		return false;
	for (i = 0; i < n; i++)
		if (!tmpl[i].pValue && tmpl[i].ulValueLen > 0)
			return false;
	return true;
}

/* PKCS#11: hardware feature objects are found only by a template asking for their class,
 * so applications that do not know them never meet them. */
static bool object_find_asks_hw(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_CLASS cls;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (tmpl[i].type != CKA_CLASS || tmpl[i].ulValueLen != sizeof(cls))
			continue;
		memcpy(&cls, tmpl[i].pValue, sizeof(cls));
		if (cls == CKO_HW_FEATURE)
			return true;
	}
	return false;
}

/* Does the template ask for one private key by its CKA_ID (how NSS looks for the key of the
 * certificate it is about to use)? Its index in *key_index. */
static bool object_find_names_private_key(const CK_ATTRIBUTE *tmpl, CK_ULONG n, unsigned *key_index)
{
	bool priv = false, id = false;
	CK_OBJECT_CLASS cls;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (tmpl[i].type == CKA_CLASS && tmpl[i].ulValueLen == sizeof(cls)) {
			memcpy(&cls, tmpl[i].pValue, sizeof(cls));
			priv = cls == CKO_PRIVATE_KEY;
		} else if (tmpl[i].type == CKA_ID) {
			id = mod_object_index_from_id(tmpl[i].pValue, tmpl[i].ulValueLen,
			                              key_index);
		}
	}
	return priv && id;
}

/* Object i/kind, when it exists and matches, appended to out. */
static CK_RV object_find_one(mod_slot *s, mod_token *t, unsigned i, mod_obj_kind kind, bool visible,
                             const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out,
                             size_t *count)
{
	mod_attr_ctx c;
	bool match;
	CK_RV rv = CKR_OK;

	if (!mod_object_exists(t, i, kind, visible))
		return CKR_OK;
	mod_attr_ctx_init(&c, s, t, i, kind);
	match = object_find_match(&c, tmpl, n, &rv);
	mod_attr_ctx_cleanup(&c);
	if (match && rv == CKR_OK)
		out[(*count)++] = mod_object_handle(s, i, kind);
	return rv;
}

/* The handles of every object matching the template, malloc'd. */
static CK_RV mod_object_find(mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                             CK_OBJECT_HANDLE **found, size_t *n_found)
{
	static const mod_obj_kind kinds[] = {MOD_OBJ_CERT, MOD_OBJ_PRIVATE, MOD_OBJ_PUBLIC};
	bool visible = mod_slot_private_visible(s);
	CK_OBJECT_HANDLE *out;
	size_t count = 0, k;
	mod_token *t;
	unsigned i, key = 0;
	CK_RV rv;

	*found = NULL;
	*n_found = 0;
	if (!object_find_template_ok(tmpl, n))
		return CKR_ARGUMENTS_BAD;
	/* With the PIN from a pinentry, a browser is asked when it looks for the key of the
	 * certificate it is about to send: not unlocked (cancelled, and while that is
	 * remembered), the key is left out and the browser goes on without a certificate. A
	 * signature refused later would end its TLS handshake with an error page instead. */
	if (visible && object_find_names_private_key(tmpl, n, &key) &&
	    mod_pinask_key_search(s, key) != CKR_OK)
		visible = false;
	rv = mod_token_get(s, &t);
	if (rv != CKR_OK)
		return rv;
	out = calloc(PIV_KEY_SLOTS * 3 + 2, sizeof(*out));
	if (!out)
		return CKR_HOST_MEMORY;
	rv = CKR_OK;
	for (i = 0; i < PIV_KEY_SLOTS && rv == CKR_OK; i++)
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && rv == CKR_OK; k++)
			rv = object_find_one(s, t, i, kinds[k], visible, tmpl, n, out, &count);
	if (rv == CKR_OK && object_find_asks_hw(tmpl, n))
		rv = object_find_one(s, t, 0, MOD_OBJ_HW, visible, tmpl, n, out, &count);
	if (rv == CKR_OK)
		rv = mod_attest_f9_learn(s, t, tmpl, n);
	if (rv == CKR_OK)
		rv = object_find_one(s, t, 0, MOD_OBJ_F9, visible, tmpl, n, out, &count);
	if (rv == CKR_OK)
		rv = mod_sobj_find(s, tmpl, n, &out, &count);
	if (rv != CKR_OK) {
		free(out);
		return rv;
	}
	*found = out;
	*n_found = count;
	return CKR_OK;
}

CK_RV mod_object_find_init(mod_session *sess, mod_slot *s, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_OBJECT_HANDLE *found = NULL;
	size_t n_found = 0;
	CK_RV rv;

	if (sess->find_active)
		return CKR_OPERATION_ACTIVE;
	rv = mod_object_find(s, tmpl, n, &found, &n_found);
	if (rv != CKR_OK)
		return rv;
	mod_session_find_clear(sess);
	sess->found = found;
	sess->n_found = n_found;
	sess->find_active = true;
	return CKR_OK;
}

CK_RV mod_object_find_next(mod_session *sess, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
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

CK_RV mod_object_find_final(mod_session *sess)
{
	if (!sess->find_active)
		return CKR_OPERATION_NOT_INITIALIZED;
	mod_session_find_clear(sess);
	return CKR_OK;
}
