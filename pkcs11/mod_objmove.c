/* C_SetAttributeValue: the one attribute of the token's objects that can change is a private
 * key's CKA_ID, and changing it moves the key to the slot of the new CKA_ID (YubiKey 5.7's
 * MOVE KEY), with its certificate, so key, public key and certificate keep one CKA_ID. */
#include <stdlib.h>
#include <string.h>

#include "mod_object.h"
#include "mod_sobj.h"
#include "piv.h"

typedef struct {
	uint8_t from, to;            /* key references */
	bool cert;                   /* the source slot has a certificate container to carry */
	bool copied, moved, emptied; /* done so far: a retry after a reset skips them */
} move_arg;

/* The certificate's container is written to the destination before the key moves and
 * emptied at the source only after: an interruption leaves it twice, never nowhere. */
static card_status objmove_op_move(card *c, void *arg)
{
	move_arg *m = arg;
	uint8_t *value = NULL;
	size_t len = 0;
	card_status st;

	if (m->cert && !m->copied) {
		st = card_get_data(c, piv_cert_tag(m->from), &value, &len);
		if (st == CARD_OK)
			st = card_put_data(c, piv_cert_tag(m->to), value, len);
		free(value);
		if (st != CARD_OK)
			return st;
		m->copied = true;
	}
	if (!m->moved) {
		st = card_move_key(c, m->to, m->from);
		if (st != CARD_OK)
			return st;
		m->moved = true;
	}
	if (m->cert && !m->emptied) {
		st = card_put_data(c, piv_cert_tag(m->from), NULL, 0);
		if (st != CARD_OK)
			return st;
		m->emptied = true;
	}
	return CARD_OK;
}

/* The key did not move: take back the copy of the certificate (the destination had none). */
static card_status objmove_op_uncopy(card *c, void *arg)
{
	const move_arg *m = arg;

	return card_put_data(c, piv_cert_tag(m->to), NULL, 0);
}

static CK_RV objmove_refused(const mod_slot *s, const char *why, uint8_t ref)
{
	mod_trace_msg("slot %lu: cannot move the key to slot %02X: %s", (unsigned long)s->id, ref,
	              why);
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

/* The cache follows what the token did, so no read is needed to see it. */
static void objmove_cached(mod_token *t, unsigned from, unsigned to, bool cert)
{
	mod_token_forget_key(t, to);
	mod_token_forget_cert(t, to);
	t->keys[to] = t->keys[from];
	memset(&t->keys[from], 0, sizeof(t->keys[from]));
	mod_token_changed(t);
	if (cert) {
		mod_token_changed(t);
		mod_token_changed(t);
	}
}

static CK_RV objmove_key(mod_slot *s, unsigned from, unsigned to)
{
	move_arg m;
	card_status op_st = CARD_OK;
	mod_token *t;
	CK_RV rv;

	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	rv = mod_token_fresh(s, &t);
	if (rv != CKR_OK)
		return rv;
	if (!t->keys[from].has_key)
		return CKR_OBJECT_HANDLE_INVALID;
	memset(&m, 0, sizeof(m));
	m.from = piv_key_slot_ref(from);
	m.to = piv_key_slot_ref(to);
	if (t->keys[to].has_key)
		return objmove_refused(s, "it holds a key (destroy that first)", m.to);
	if (t->keys[to].has_cert)
		return objmove_refused(s, "it holds a certificate (destroy that first)", m.to);
	m.cert = t->keys[from].has_cert;

	rv = mod_objwrite_with_mgmt(s, objmove_op_move, &m, &op_st);
	if (rv == CKR_OK) {
		objmove_cached(t, from, to, m.cert);
		return CKR_OK;
	}
	if (m.copied && !m.moved)
		(void)mod_objwrite_with_mgmt(s, objmove_op_uncopy, &m, NULL);
	/* Half done, or not at all: the next use asks the token. */
	if (s->token)
		s->token->validated_ms = 0;
	if (!m.moved && op_st == CARD_ERR_FAILED && s->card.last_sw == SW_CONDITIONS_NOT_SATISFIED)
		return objmove_refused(s, "the token says it is occupied", m.to);
	return rv;
}

CK_RV mod_objmove_set_attributes(mod_slot *s, mod_session *sess, CK_OBJECT_HANDLE h,
                                 const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	mod_obj_kind kind;
	unsigned idx, to, dest = 0;
	bool move = false;
	CK_ULONG i;
	CK_RV rv;

	if (mod_sobj_is_handle(h))
		return mod_sobj_set_attributes(s, sess, h, tmpl, n);
	rv = mod_object_check_template(s, h, tmpl, n, &idx, &kind);
	if (rv != CKR_OK)
		return rv;
	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if ((kind == MOD_OBJ_HW || kind == MOD_OBJ_F9) && n > 0)
		return CKR_ATTRIBUTE_READ_ONLY;
	for (i = 0; i < n; i++) {
		if (tmpl[i].type != CKA_ID)
			return CKR_ATTRIBUTE_READ_ONLY;
		if (!mod_object_index_from_id(tmpl[i].pValue, tmpl[i].ulValueLen, &to))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (to == idx)
			continue;
		/* The public key and the certificate follow their private key. */
		if (kind != MOD_OBJ_PRIVATE)
			return CKR_ATTRIBUTE_READ_ONLY;
		if (move && to != dest)
			return CKR_TEMPLATE_INCONSISTENT;
		move = true;
		dest = to;
	}
	return move ? objmove_key(s, idx, dest) : CKR_OK;
}
