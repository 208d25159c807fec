/* Changing the token's objects: the card management key strategy every write needs,
 * writing a certificate (C_CreateObject) and destroying objects (C_DestroyObject). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kinko-pkcs11.h"
#include "mod_object.h"
#include "mod_parse.h"
#include "mod_sobj.h"
#include "mod_tmpl.h"
#include "piv.h"

/* The factory management key of PIV tokens (YubiKey's, SP 800-78's test key): used only
 * when GET METADATA 9B says the token still has it. */
static const uint8_t mod_factory_mgmt_key[24] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

typedef struct {
	mod_card_op op;
	void *arg;
	card_status op_st;
	bool no_key; /* neither a PIN-protected nor a factory management key */
} mgmt_call;

/* The factory key when GET METADATA 9B says it is still set; a card without metadata (plain
 * PIV) is tried with it once (3DES, the SP 800-78 default): refused, it has another one. */
static card_status objwrite_mgmt_factory(card *c, mgmt_call *m)
{
	card_metadata md;
	card_status st = card_get_metadata(c, PIV_KEY_CARDMGMT, &md);

	if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT || st == CARD_ERR_NOT_FOUND) {
		st = card_auth_mgmt(c, PIV_ALG_3DES, mod_factory_mgmt_key,
		                    sizeof(mod_factory_mgmt_key));
		/* refused, or a 9B of another algorithm: not the factory key */
		if (st != CARD_OK && st != CARD_ERR_ABSENT && st != CARD_ERR_DEVICE &&
		    st != CARD_ERR_NO_MEMORY)
			m->no_key = true;
		return st;
	}
	if (st == CARD_OK && (!md.has_default || !md.is_default ||
	                      (md.algorithm != PIV_ALG_3DES && md.algorithm != PIV_ALG_AES192))) {
		m->no_key = true;
		return CARD_ERR_UNSUPPORTED;
	}
	if (st != CARD_OK)
		return st;
	return card_auth_mgmt(c, md.algorithm, mod_factory_mgmt_key, sizeof(mod_factory_mgmt_key));
}

static card_status objwrite_mgmt_run(card *c, void *arg)
{
	mgmt_call *m = arg;
	card_status st = card_auth_mgmt_with_pin(c);

	m->no_key = false;
	m->op_st = CARD_OK;
	if (st == CARD_ERR_NOT_FOUND)
		st = objwrite_mgmt_factory(c, m);
	if (st != CARD_OK)
		return st;
	m->op_st = m->op(c, m->arg);
	return m->op_st;
}

CK_RV mod_objwrite_with_mgmt(mod_slot *s, mod_card_op op, void *arg, card_status *op_st)
{
	mgmt_call m = {.op = op, .arg = arg, .op_st = CARD_OK};
	CK_RV rv;

	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	rv = mod_slot_with_pin(s, objwrite_mgmt_run, &m);
	if (op_st)
		*op_st = m.op_st;
	if (m.no_key) {
		mod_trace_msg(
			"slot %lu: changing the token needs its card management key (9B), which "
			"is neither PIN-protected nor the factory default: use the token's admin "
			"tool",
			(unsigned long)s->id);
		return CKR_KINKO_MGMT_KEY_UNKNOWN;
	}
	return rv;
}

/* ---- C_CreateObject: certificates ---- */

typedef struct {
	const CK_ATTRIBUTE *value, *id;
	bool have_class, have_type;
} cert_tmpl;

static CK_RV objwrite_cert_attr(cert_tmpl *ct, const CK_ATTRIBUTE *a)
{
	CK_ULONG ul = 0;
	CK_RV rv;

	switch (a->type) {
	case CKA_CLASS:
		rv = mod_tmpl_ulong_read(a, &ul);
		ct->have_class = true;
		return rv != CKR_OK          ? rv :
		       ul == CKO_CERTIFICATE ? CKR_OK :
		                               CKR_ATTRIBUTE_VALUE_INVALID;
	case CKA_CERTIFICATE_TYPE:
		rv = mod_tmpl_ulong_read(a, &ul);
		ct->have_type = true;
		return rv != CKR_OK ? rv : ul == CKC_X_509 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKA_VALUE:
		ct->value = a;
		return a->pValue && a->ulValueLen > 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKA_ID: ct->id = a; return CKR_OK;
	case CKA_TOKEN: return mod_tmpl_bool_expect(a, true, CKR_TEMPLATE_INCONSISTENT);
	case CKA_PRIVATE: return mod_tmpl_bool_expect(a, false, CKR_ATTRIBUTE_VALUE_INVALID);
	case CKA_MODIFIABLE:
	case CKA_COPYABLE: return mod_tmpl_bool_expect(a, false, CKR_ATTRIBUTE_VALUE_INVALID);
	case CKA_DESTROYABLE: return mod_tmpl_bool_expect(a, true, CKR_ATTRIBUTE_VALUE_INVALID);
	case CKA_TRUSTED: return mod_tmpl_bool_expect(a, false, CKR_ATTRIBUTE_READ_ONLY);
	case CKA_CERTIFICATE_CATEGORY:
		rv = mod_tmpl_ulong_read(a, &ul);
		return rv != CKR_OK ? rv : ul <= 1 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKA_JAVA_MIDP_SECURITY_DOMAIN:
		rv = mod_tmpl_ulong_read(a, &ul);
		return rv != CKR_OK ? rv : ul == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	/* Derived from the certificate or with no place on a PIV token: accepted, unused. */
	case CKA_LABEL:
	case CKA_SUBJECT:
	case CKA_ISSUER:
	case CKA_SERIAL_NUMBER:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_URL:
	case CKA_CHECK_VALUE:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
		return a->pValue || a->ulValueLen == 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

static CK_RV objwrite_cert_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, cert_tmpl *ct,
                                    unsigned *idx)
{
	CK_ULONG i;
	CK_RV rv;

	memset(ct, 0, sizeof(*ct));
	if (n > 0 && !tmpl)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < n; i++) {
		rv = objwrite_cert_attr(ct, &tmpl[i]);
		if (rv != CKR_OK)
			return rv;
	}
	if (!ct->have_class || !ct->have_type || !ct->value || !ct->id)
		return CKR_TEMPLATE_INCOMPLETE;
	if (!mod_object_index_from_id(ct->id->pValue, ct->id->ulValueLen, idx))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

typedef struct {
	uint32_t tag;
	const uint8_t *value;
	size_t len;
} put_arg;

static card_status objwrite_op_put(card *c, void *arg)
{
	const put_arg *p = arg;

	return card_put_data(c, p->tag, p->value, p->len);
}

/* Is the certificate for the key in this slot? */
static CK_RV objwrite_cert_for_slot(mod_slot *s, mod_token *t, unsigned idx, const uint8_t *der,
                                    size_t len)
{
	const uint8_t *pub = NULL;
	size_t pub_len = 0;
	card_pubkey pk;
	CK_RV rv;

	/* A plain PIV card cannot say whether a slot holds a key (only a certificate shows
	 * one), so the certificate of a key generated in an earlier process is taken on
	 * trust, as yubico-piv-tool's import-certificate does: the card will tell at signing. */
	if (t->kind == MOD_KIND_PIV && !t->keys[idx].has_key && !t->keys[idx].has_cert)
		return CKR_OK;
	if (!mod_object_exists(t, idx, MOD_OBJ_PUBLIC, true)) {
		mod_trace_msg("slot %lu: no key in slot %02X for this certificate",
		              (unsigned long)s->id, piv_key_slot_ref(idx));
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if (t->keys[idx].has_cert) {
		mod_trace_msg("slot %lu: slot %02X already holds a certificate; destroy it first",
		              (unsigned long)s->id, piv_key_slot_ref(idx));
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	rv = mod_token_pubkey(s, t, idx, &pub, &pub_len);
	if (rv != CKR_OK)
		return rv;
	if (!card_pubkey_parse(t->keys[idx].alg, pub, pub_len, &pk))
		return CKR_DEVICE_ERROR;
	if (!mod_parse_cert_has_key(der, len, &pk)) {
		mod_trace_msg("slot %lu: the certificate is not for the key in slot %02X",
		              (unsigned long)s->id, piv_key_slot_ref(idx));
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

CK_RV mod_objwrite_create(mod_slot *s, mod_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n,
                          CK_OBJECT_HANDLE *h)
{
	mod_cert_info ci;
	cert_tmpl ct;
	put_arg put;
	uint8_t *container = NULL;
	size_t container_len = 0;
	mod_token *t;
	unsigned idx = 0;
	bool token = false;
	CK_RV rv;

	if (!h || (n > 0 && !tmpl))
		return CKR_ARGUMENTS_BAD;
	/* PKCS#11's default is a session object; the read-only check is for token objects */
	rv = mod_sobj_wants_token(tmpl, n, &token);
	if (rv == CKR_OK && !token)
		return mod_sobj_create(s, sess, tmpl, n, h);
	if (rv == CKR_OK)
		rv = mod_sobj_token_storable(s, tmpl, n);
	if (rv != CKR_OK)
		return rv;
	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	rv = objwrite_cert_template(tmpl, n, &ct, &idx);
	if (rv != CKR_OK)
		return rv;
	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	if (mod_parse_cert(ct.value->pValue, ct.value->ulValueLen, &ci) != MOD_PARSE_OK)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	mod_parse_cert_info_free(&ci);
	rv = mod_token_fresh(s, &t);
	if (rv == CKR_OK)
		rv = objwrite_cert_for_slot(s, t, idx, ct.value->pValue, ct.value->ulValueLen);
	if (rv != CKR_OK)
		return rv;
	switch (mod_parse_cert_container_build(ct.value->pValue, ct.value->ulValueLen, &container,
	                                       &container_len)) {
	case MOD_PARSE_OK: break;
	case MOD_PARSE_NO_MEMORY: return CKR_HOST_MEMORY;
	default: return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	put.tag = piv_cert_tag(piv_key_slot_ref(idx));
	put.value = container;
	put.len = container_len;
	rv = mod_objwrite_with_mgmt(s, objwrite_op_put, &put, NULL);
	free(container);
	if (rv != CKR_OK)
		return rv;
	mod_token_changed(t);
	/* The cache keeps it: the next read of it costs nothing (or, short of memory, a GET
	 * DATA). */
	(void)mod_token_keep_cert(t, idx, ct.value->pValue, ct.value->ulValueLen);
	*h = mod_object_handle(s, idx, MOD_OBJ_CERT);
	return CKR_OK;
}

/* ---- C_DestroyObject ---- */

typedef struct {
	uint8_t ref;
	bool key, cert; /* what to delete */
	bool key_gone;  /* the key is deleted (even if the certificate then failed) */
} destroy_arg;

static card_status objwrite_op_destroy(card *c, void *arg)
{
	destroy_arg *d = arg;
	card_status st = CARD_OK;

	if (d->key && !d->key_gone) {
		st = card_delete_key(c, d->ref);
		if (st != CARD_OK)
			return st;
		d->key_gone = true;
	}
	if (d->cert)
		st = card_put_data(c, piv_cert_tag(d->ref), NULL, 0);
	return st;
}

CK_RV mod_objwrite_destroy(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h)
{
	destroy_arg d;
	mod_obj_kind kind;
	mod_token *t;
	unsigned idx;
	CK_RV rv;

	if (mod_sobj_is_handle(h))
		return mod_sobj_destroy(s, sess, h);
	/* the token's attestation certificate is the manufacturer's: the token refuses too */
	if (h == mod_object_handle(s, 0, MOD_OBJ_F9)) {
		rv = mod_object_check(s, h, &idx, &kind);
		return rv != CKR_OK ? rv : CKR_ACTION_PROHIBITED;
	}
	if (!mod_object_decode(s, h, &idx, &kind))
		return CKR_OBJECT_HANDLE_INVALID;
	rv = mod_token_get(s, &t);
	if (rv != CKR_OK)
		return rv;
	if (!mod_object_exists(t, idx, kind, mod_slot_user_logged_in(s)))
		return CKR_OBJECT_HANDLE_INVALID;
	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	/* The public key lives as long as its private key: destroy that one. */
	if (kind == MOD_OBJ_PUBLIC)
		return CKR_ACTION_PROHIBITED;
	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	memset(&d, 0, sizeof(d));
	d.ref = piv_key_slot_ref(idx);
	d.key = kind == MOD_OBJ_PRIVATE;
	d.cert = t->keys[idx].has_cert;
	rv = mod_objwrite_with_mgmt(s, objwrite_op_destroy, &d, NULL);
	if (rv != CKR_OK) {
		/* Half done, or not at all: the next use asks the token. */
		if (s->token)
			s->token->validated_ms = 0;
		return rv;
	}
	if (d.key) {
		mod_token_forget_key(t, idx);
		mod_token_changed(t);
	}
	if (d.cert) {
		mod_token_forget_cert(t, idx);
		mod_token_changed(t);
	}
	return CKR_OK;
}
