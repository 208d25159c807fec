/* What signing (mod_sign.c) and verification (mod_verify.c) share in a session: C_SignInit's
 * and C_VerifyInit's checks in the standard's order and the new operation, and feeding a part
 * of the data to it. */
#include "mod_mech.h"

#include "mod_object.h"
#include "mod_pinask.h"
#include "mod_sig.h"
#include "mod_sobj.h"
#include "piv.h"

/* The key behind a handle of this slot: a private key for an operation on the card (priv);
 * either key of a pair to verify (some applications verify with the handle they signed
 * with). */
static CK_RV sig_session_key(mod_slot *slot, CK_OBJECT_HANDLE key, bool priv, mod_token **t,
                             unsigned *index)
{
	mod_obj_kind kind;
	CK_RV rv;

	if (mod_sobj_is_handle(key))
		return priv && mod_sobj_is_key(slot, key) ? CKR_KEY_FUNCTION_NOT_PERMITTED :
		                                            CKR_KEY_HANDLE_INVALID;
	if (!mod_object_decode(slot, key, index, &kind) || kind == MOD_OBJ_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (priv && kind == MOD_OBJ_PUBLIC)
		return CKR_KEY_FUNCTION_NOT_PERMITTED; /* CKA_SIGN, CKA_DECRYPT FALSE */
	rv = mod_token_get(slot, t);
	if (rv != CKR_OK)
		return rv;
	/* A private key exists regardless of CKA_PRIVATE's visibility: a no-PIN key (9E) signs
	 * without a login, and a missing login is reported as such below. */
	if (*index >= PIV_KEY_SLOTS ||
	    !mod_object_exists(*t, *index, kind, priv || mod_slot_user_logged_in(slot)))
		return CKR_KEY_HANDLE_INVALID;
	return CKR_OK;
}

/* The checks before the key's: the arguments, no operation active, the mechanism. */
static CK_RV sig_session_mech(const mod_crypto_op *cop, const CK_MECHANISM *mech, CK_FLAGS use,
                              const mod_mech **mm)
{
	CK_RV rv = mod_mech_for_op(cop, mech, use, mm);

	if (rv == CKR_OK && !(*mm)->sig)
		rv = CKR_MECHANISM_INVALID;
	return rv;
}

CK_RV mod_sig_session_init_sobj(mod_slot *slot, mod_session *sess, const CK_MECHANISM *mech,
                                CK_OBJECT_HANDLE key, mod_sig_op **op)
{
	const mod_mech *mm;
	EVP_PKEY *pkey = NULL;
	uint8_t alg;
	CK_RV rv = sig_session_mech(&sess->verify, mech, CKF_VERIFY, &mm);

	if (rv == CKR_OK)
		rv = mod_sobj_pubkey(slot, sess, key, CKA_VERIFY, &pkey);
	if (rv != CKR_OK)
		return rv;
	/* the signature layer knows the token's key sizes and curves */
	alg = mod_sobj_piv_alg(pkey);
	rv = alg ? mod_sig_op_new(mm, mech, alg, 0, op) : CKR_KEY_SIZE_RANGE;
	if (rv != CKR_OK) {
		EVP_PKEY_free(pkey);
		return rv;
	}
	(*op)->pkey = pkey;
	return CKR_OK;
}

CK_RV mod_sig_session_private_key(mod_slot *slot, CK_OBJECT_HANDLE key, CK_KEY_TYPE key_type,
                                  CK_FLAGS use, mod_sig_key *k)
{
	bool rsa;
	CK_RV rv = sig_session_key(slot, key, true, &k->t, &k->index);

	if (rv != CKR_OK)
		return rv;
	rsa = piv_alg_is_rsa(k->t->keys[k->index].alg);
	if (key_type != (rsa ? CKK_RSA : CKK_EC))
		return CKR_KEY_TYPE_INCONSISTENT;
	/* refused before any PIN is asked for */
	if (!(mod_object_key_usage(k->index, rsa) & use))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	k->needs_login = mod_object_needs_login(k->t, k->index);
	/* Not logged in: with the PIN from a pinentry the module logs in now, as C_Login would
	 * (browsers never call it); then the key is looked up again, the token cache having
	 * possibly been learnt anew. */
	if (k->needs_login && !mod_slot_user_logged_in(slot)) {
		rv = mod_pinask_key_login(slot, k->t, k->index);
		if (rv == CKR_OK)
			rv = sig_session_key(slot, key, true, &k->t, &k->index);
		if (rv != CKR_OK)
			return rv;
	}
	/* CKA_ALWAYS_AUTHENTICATE as the object layer reports it */
	k->always_auth = mod_object_always_authenticate(k->t, k->index);
	return CKR_OK;
}

CK_RV mod_sig_session_login(mod_slot *slot, uint8_t key_ref, bool always_auth, const char *what)
{
	int index = piv_key_slot_index(key_ref);
	mod_token *t;
	CK_RV rv = mod_token_get(slot, &t);

	if (rv != CKR_OK)
		return rv;
	if (index < 0)
		return CKR_KEY_HANDLE_INVALID;
	rv = mod_pinask_key_login(slot, t, (unsigned)index);
	if (rv == CKR_USER_NOT_LOGGED_IN && always_auth && mod_slot_user_logged_in(slot))
		mod_trace_msg(
			"slot %lu: key %02X needs C_Login(CKU_CONTEXT_SPECIFIC) before each %s",
			(unsigned long)slot->id, key_ref, what);
	return rv;
}

static card_status sig_session_card_run(card *c, void *arg)
{
	mod_sig_card_req *rq = arg;

	if (rq->ecdh)
		rq->st = card_ecdh(c, rq->key_ref, rq->alg, rq->in, rq->in_len, rq->out, rq->cap,
		                   &rq->out_len);
	else
		rq->st = card_sign(c, rq->key_ref, rq->alg, rq->in, rq->in_len, rq->out, rq->cap,
		                   &rq->out_len);
	return rq->st;
}

CK_RV mod_sig_session_card(mod_slot *slot, mod_sig_card_req *rq)
{
	CK_RV rv;

	rq->st = CARD_OK;
	/* The login may have ended since the *Init (C_Logout in another session). A PIN-always
	 * key (9C) needs CKU_CONTEXT_SPECIFIC right before each use (PKCS#11 3.0
	 * CKA_ALWAYS_AUTHENTICATE): without it, CKR_USER_NOT_LOGGED_IN, unless the PIN comes
	 * from a pinentry, which then asks (mod_pinask_key_login). */
	if ((rq->needs_login && !mod_slot_user_logged_in(slot)) ||
	    (rq->always_auth && !slot->context_ok)) {
		rv = mod_sig_session_login(slot, rq->key_ref, rq->always_auth, rq->what);
		if (rv != CKR_OK)
			return rv;
	}
	rv = mod_slot_with_pin(slot, sig_session_card_run, rq);
	if (rq->always_auth)
		slot->context_ok = false;
	return rv;
}

CK_RV mod_sig_session_init(mod_slot *slot, const mod_crypto_op *cop, const CK_MECHANISM *mech,
                           CK_OBJECT_HANDLE key, CK_FLAGS use, mod_sig_op **op, mod_token **t,
                           unsigned *index)
{
	mod_sig_key k = {0};
	const mod_mech *mm;
	CK_RV rv;

	rv = sig_session_mech(cop, mech, use, &mm);
	if (rv != CKR_OK)
		return rv;
	if (use == CKF_SIGN) {
		rv = mod_sig_session_private_key(slot, key, mm->key_type, CKF_SIGN, &k);
	} else {
		rv = sig_session_key(slot, key, false, &k.t, &k.index);
		/* CKA_VERIFY follows the slot's CKA_SIGN */
		if (rv == CKR_OK &&
		    !(mod_object_key_usage(k.index, piv_alg_is_rsa(k.t->keys[k.index].alg)) &
		      CKF_SIGN))
			rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	}
	if (rv != CKR_OK)
		return rv;
	*t = k.t;
	*index = k.index;
	rv = mod_sig_op_new(mm, mech, k.t->keys[k.index].alg, piv_key_slot_ref(k.index), op);
	if (rv != CKR_OK)
		return rv;
	(*op)->needs_login = k.needs_login;
	(*op)->always_auth = k.always_auth;
	return CKR_OK;
}

CK_RV mod_sig_session_update(mod_crypto_op *cop, const CK_BYTE *part, CK_ULONG len)
{
	CK_RV rv;

	if (!cop->ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = mod_sig_op_update(cop, part, len);
	if (rv != CKR_OK)
		mod_session_op_clear(cop);
	return rv;
}
