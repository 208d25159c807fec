/* C_GenerateKeyPair on the token: RSA 2048/3072 and EC P-256/P-384 in a free slot, chosen
 * by CKA_ID or the first free of 9A then the retired slots. A key is never overwritten:
 * the caller destroys it first. No template can make the private key leave the token. */
#include <stdlib.h>
#include <string.h>

#include "kinko-pkcs11.h"
#include "mod_mech.h"
#include "mod_object.h"
#include "mod_parse.h"
#include "mod_tmpl.h"
#include "piv.h"

#define KEYGEN_PUB_MAX 1100u /* 7F49 contents of RSA-3072 with room to spare */

/* A value both templates may give, and more than once: always the same one. */
typedef struct {
	bool have;
	CK_ULONG value;
} keygen_once;

typedef struct {
	bool rsa;
	keygen_once bits;   /* CKA_MODULUS_BITS */
	keygen_once ec_alg; /* the PIV algorithm of CKA_EC_PARAMS' curve */
	keygen_once index;  /* the key slot CKA_ID names */
} keygen_req;

static CK_RV keygen_once_set(keygen_once *o, CK_ULONG value)
{
	if (o->have && o->value != value)
		return CKR_TEMPLATE_INCONSISTENT;
	o->have = true;
	o->value = value;
	return CKR_OK;
}

/* Only 65537: the token makes its RSA keys with it. */
static CK_RV keygen_exponent(const CK_ATTRIBUTE *a)
{
	static const uint8_t f4[] = {0x01, 0x00, 0x01};
	const uint8_t *p = a->pValue;
	size_t n = a->ulValueLen;

	if (!p)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	return n == sizeof(f4) && memcmp(p, f4, n) == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

static CK_RV keygen_bits(keygen_req *r, const CK_ATTRIBUTE *a)
{
	CK_ULONG bits = 0;
	CK_RV rv = mod_tmpl_ulong_read(a, &bits);

	if (rv != CKR_OK)
		return rv;
	if (!r->rsa)
		return CKR_TEMPLATE_INCONSISTENT;
	if (bits != 2048 && bits != 3072)
		return CKR_KEY_SIZE_RANGE;
	return keygen_once_set(&r->bits, bits);
}

static CK_RV keygen_params(keygen_req *r, const CK_ATTRIBUTE *a)
{
	uint8_t alg = 0;

	if (r->rsa)
		return CKR_TEMPLATE_INCONSISTENT;
	switch (mod_parse_ec_params(a->pValue, a->ulValueLen, &alg)) {
	case MOD_PARSE_OK: break;
	case MOD_PARSE_UNSUPPORTED: return CKR_CURVE_NOT_SUPPORTED;
	default: return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return keygen_once_set(&r->ec_alg, alg);
}

static CK_RV keygen_id(keygen_req *r, const CK_ATTRIBUTE *a)
{
	unsigned idx = 0;

	if (!mod_object_index_from_id(a->pValue, a->ulValueLen, &idx))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return keygen_once_set(&r->index, idx);
}

/* Attributes of one template; priv says which. */
static CK_RV keygen_attr(keygen_req *r, const CK_ATTRIBUTE *a, bool priv)
{
	CK_ULONG ul = 0;
	bool b = false;
	CK_RV rv;

	switch (a->type) {
	case CKA_CLASS:
		rv = mod_tmpl_ulong_read(a, &ul);
		return rv != CKR_OK                                    ? rv :
		       ul == (priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY) ? CKR_OK :
		                                                         CKR_TEMPLATE_INCONSISTENT;
	case CKA_KEY_TYPE:
		rv = mod_tmpl_ulong_read(a, &ul);
		return rv != CKR_OK                      ? rv :
		       ul == (r->rsa ? CKK_RSA : CKK_EC) ? CKR_OK :
		                                           CKR_TEMPLATE_INCONSISTENT;
	case CKA_TOKEN: return mod_tmpl_bool_expect(a, true, CKR_TEMPLATE_INCONSISTENT);
	case CKA_ID: return keygen_id(r, a);
	case CKA_MODULUS_BITS: return keygen_bits(r, a);
	case CKA_PUBLIC_EXPONENT: return r->rsa ? keygen_exponent(a) : CKR_TEMPLATE_INCONSISTENT;
	case CKA_EC_PARAMS: return keygen_params(r, a);
	/* What PIV cannot store: accepted and not kept (the token names its keys). */
	case CKA_LABEL:
	case CKA_SUBJECT:
	case CKA_START_DATE:
	case CKA_END_DATE:
		return a->pValue || a->ulValueLen == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	/* Usage flags are requests; the objects tell what the token does with the key. */
	case CKA_SIGN:
	case CKA_DECRYPT:
	case CKA_UNWRAP:
	case CKA_SIGN_RECOVER:
	case CKA_DERIVE:
	case CKA_VERIFY:
	case CKA_ENCRYPT:
	case CKA_WRAP:
	case CKA_VERIFY_RECOVER:
	case CKA_MODIFIABLE:
	case CKA_COPYABLE:
	case CKA_DESTROYABLE:
	case CKA_ALWAYS_AUTHENTICATE:
	case CKA_WRAP_WITH_TRUSTED: return mod_tmpl_bool_read(a, &b);
	case CKA_TRUSTED: return mod_tmpl_bool_expect(a, false, CKR_ATTRIBUTE_READ_ONLY);
	case CKA_PRIVATE:
		return priv ? mod_tmpl_bool_expect(a, true, CKR_ATTRIBUTE_VALUE_INVALID) :
		              mod_tmpl_bool_read(a, &b);
	/* The private key stays sensitive and unextractable, whatever is asked. */
	case CKA_SENSITIVE:
		return priv ? mod_tmpl_bool_expect(a, true, CKR_ATTRIBUTE_VALUE_INVALID) :
		              CKR_ATTRIBUTE_TYPE_INVALID;
	case CKA_EXTRACTABLE:
		return priv ? mod_tmpl_bool_expect(a, false, CKR_ATTRIBUTE_VALUE_INVALID) :
		              CKR_ATTRIBUTE_TYPE_INVALID;
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

static CK_RV keygen_templates(keygen_req *r, const CK_ATTRIBUTE *pub, CK_ULONG n_pub,
                              const CK_ATTRIBUTE *priv, CK_ULONG n_priv, uint8_t *alg)
{
	CK_ULONG i;
	CK_RV rv;

	for (i = 0; i < n_pub; i++)
		if ((rv = keygen_attr(r, &pub[i], false)) != CKR_OK)
			return rv;
	for (i = 0; i < n_priv; i++)
		if ((rv = keygen_attr(r, &priv[i], true)) != CKR_OK)
			return rv;
	if (r->rsa ? !r->bits.have : !r->ec_alg.have)
		return CKR_TEMPLATE_INCOMPLETE;
	*alg = r->rsa ? (r->bits.value == 2048 ? PIV_ALG_RSA2048 : PIV_ALG_RSA3072) :
	                (uint8_t)r->ec_alg.value;
	return CKR_OK;
}

/* Is key slot i free? The cache knows, except for the retired slots of a YubiKey-style
 * card, which are not learnt at start: GET METADATA of the one slot then. */
static CK_RV keygen_slot_free(mod_slot *s, const mod_token *t, unsigned i, bool *free_slot)
{
	card_metadata md;
	card_status st;

	*free_slot = !t->keys[i].has_key;
	if (!*free_slot || t->kind != MOD_KIND_YUBIKEY || i < 4)
		return CKR_OK;
	st = card_get_metadata(&s->card, piv_key_slot_ref(i), &md);
	if (st == CARD_OK)
		*free_slot = false;
	else if (st != CARD_ERR_NOT_FOUND)
		return mod_slot_rv(s, st);
	return CKR_OK;
}

/* The slot: CKA_ID's, which must be free, or the first free one kinko-pkcs11.h lets a key
 * without CKA_ID have (9A, then 82..95). A plain PIV card shows a key only by its
 * certificate: its retired slots are never chosen for the caller, who names one. */
static CK_RV keygen_slot(mod_slot *s, const mod_token *t, const keygen_req *r, unsigned *idx)
{
	bool free_slot = false;
	unsigned i;
	CK_RV rv;

	if (r->index.have) {
		*idx = (unsigned)r->index.value;
		rv = keygen_slot_free(s, t, *idx, &free_slot);
		if (rv == CKR_OK && !free_slot) {
			mod_trace_msg("slot %lu: slot %02X already holds a key; destroy it first",
			              (unsigned long)s->id, piv_key_slot_ref(*idx));
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
		}
		return rv;
	}
	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		if (!kinko_cka_id_generated(mod_object_id(i)) ||
		    (t->kind == MOD_KIND_PIV && i >= 4))
			continue;
		rv = keygen_slot_free(s, t, i, &free_slot);
		if (rv != CKR_OK)
			return rv;
		if (free_slot) {
			*idx = i;
			return CKR_OK;
		}
	}
	mod_trace_msg("slot %lu: no free key slot (9A and 82..95 are taken%s)",
	              (unsigned long)s->id,
	              t->kind == MOD_KIND_PIV ?
	                      "; on a plain PIV card name a retired slot by CKA_ID" :
	                      "");
	return CKR_DEVICE_MEMORY;
}

typedef struct {
	uint8_t ref, alg;
	uint8_t pub[KEYGEN_PUB_MAX];
	size_t pub_len;
} keygen_arg;

static card_status keygen_card_run(card *c, void *arg)
{
	keygen_arg *g = arg;

	return card_generate(c, g->ref, g->alg, PIV_PIN_POLICY_DEFAULT, g->pub, sizeof(g->pub),
	                     &g->pub_len);
}

/* The new key in the cache, public part included: nothing to read back. */
static CK_RV keygen_remember(mod_token *t, unsigned idx, const keygen_arg *g)
{
	mod_keyslot *k = &t->keys[idx];
	card_pubkey pk;
	uint8_t *copy;

	if (!card_pubkey_parse(g->alg, g->pub, g->pub_len, &pk))
		return CKR_DEVICE_ERROR;
	copy = malloc(g->pub_len);
	if (!copy)
		return CKR_HOST_MEMORY;
	memcpy(copy, g->pub, g->pub_len);
	mod_token_forget_key(t, idx);
	k->has_key = true;
	k->alg = g->alg;
	k->origin = PIV_ORIGIN_GENERATED;
	k->pin_policy = PIV_PIN_POLICY_DEFAULT; /* the slot's own, as the token chose it */
	k->pubkey = copy;
	k->pubkey_len = g->pub_len;
	mod_token_changed(t);
	return CKR_OK;
}

CK_RV mod_keygen_generate(mod_slot *s, mod_session *sess, const CK_MECHANISM *mech,
                          const CK_ATTRIBUTE *pub_tmpl, CK_ULONG n_pub,
                          const CK_ATTRIBUTE *priv_tmpl, CK_ULONG n_priv, CK_OBJECT_HANDLE *pub,
                          CK_OBJECT_HANDLE *priv)
{
	keygen_req r;
	keygen_arg g;
	mod_token *t;
	unsigned idx = 0;
	uint8_t alg = 0;
	CK_RV rv;

	if (!mech || !pub || !priv || (n_pub && !pub_tmpl) || (n_priv && !priv_tmpl))
		return CKR_ARGUMENTS_BAD;
	rv = mod_mech_for(mech, CKF_GENERATE_KEY_PAIR, NULL);
	if (rv != CKR_OK)
		return rv;
	if (mech->pParameter || mech->ulParameterLen)
		return CKR_MECHANISM_PARAM_INVALID;
	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	memset(&r, 0, sizeof(r));
	r.rsa = mech->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN;
	rv = keygen_templates(&r, pub_tmpl, n_pub, priv_tmpl, n_priv, &alg);
	if (rv != CKR_OK)
		return rv;
	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	rv = mod_token_fresh(s, &t);
	if (rv == CKR_OK)
		rv = keygen_slot(s, t, &r, &idx);
	if (rv != CKR_OK)
		return rv;
	memset(&g, 0, sizeof(g));
	g.ref = piv_key_slot_ref(idx);
	g.alg = alg;
	rv = mod_objwrite_with_mgmt(s, keygen_card_run, &g, NULL);
	if (rv == CKR_OK)
		rv = keygen_remember(t, idx, &g);
	else if (s->token)
		s->token->validated_ms = 0; /* who knows what the token did */
	if (rv != CKR_OK)
		return rv;
	*pub = mod_object_handle(s, idx, MOD_OBJ_PUBLIC);
	*priv = mod_object_handle(s, idx, MOD_OBJ_PRIVATE);
	return CKR_OK;
}
