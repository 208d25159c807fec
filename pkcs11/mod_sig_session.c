/* What signing (mod_sign.c) and verification (mod_verify.c) share in a session: C_SignInit's
 * and C_VerifyInit's checks in the standard's order and the new operation, and feeding a part
 * of the data to it. */
#include "mod_mech.h"

#include "mod_object.h"
#include "mod_pinask.h"
#include "mod_sig.h"
#include "mod_sobj.h"
#include "piv.h"

/* The key behind a handle of this slot: a private key to sign; either key of a pair to
 * verify (some applications verify with the handle they signed with). */
static CK_RV sig_session_key(mod_slot *slot, CK_OBJECT_HANDLE key, bool sign, mod_token **t,
                             unsigned *index)
{
	mod_obj_kind kind;
	CK_RV rv;

	if (!mod_object_decode(slot, key, index, &kind) || kind == MOD_OBJ_CERT)
		return CKR_KEY_HANDLE_INVALID;
	if (sign && kind == MOD_OBJ_PUBLIC)
		return CKR_KEY_FUNCTION_NOT_PERMITTED; /* public keys have CKA_SIGN FALSE */
	rv = mod_token_get(slot, t);
	if (rv != CKR_OK)
		return rv;
	/* A signing key exists regardless of CKA_PRIVATE's visibility: a no-PIN key (9E) signs
	 * without a login, and a missing login is reported as such below. */
	if (*index >= PIV_KEY_SLOTS ||
	    !mod_object_exists(*t, *index, kind, sign || mod_slot_user_logged_in(slot)))
		return CKR_KEY_HANDLE_INVALID;
	return CKR_OK;
}

/* The checks before the key's: the arguments, no operation active, the mechanism. */
static CK_RV sig_session_mech(const mod_crypto_op *cop, const CK_MECHANISM *mech, CK_FLAGS use,
                              const mod_mech **mm)
{
	CK_RV rv;

	if (!mech)
		return CKR_ARGUMENTS_BAD;
	if (cop->ctx)
		return CKR_OPERATION_ACTIVE;
	rv = mod_mech_for(mech, use, mm);
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

CK_RV mod_sig_session_init(mod_slot *slot, const mod_crypto_op *cop, const CK_MECHANISM *mech,
                           CK_OBJECT_HANDLE key, CK_FLAGS use, mod_sig_op **op, mod_token **t,
                           unsigned *index)
{
	bool sign = use == CKF_SIGN, needs_login = false;
	const mod_mech *mm;
	uint8_t ref;
	CK_RV rv;

	rv = sig_session_mech(cop, mech, use, &mm);
	if (rv != CKR_OK)
		return rv;
	rv = sig_session_key(slot, key, sign, t, index);
	if (rv != CKR_OK)
		return rv;
	ref = piv_key_slot_ref(*index);
	if (sign) {
		needs_login = mod_object_needs_login(*t, *index);
		/* Not logged in: with the PIN from a pinentry the module logs in now, as
		 * C_Login would (browsers never call it); then the key is looked up again, the
		 * token cache having possibly been learnt anew. */
		if (needs_login && !mod_slot_user_logged_in(slot)) {
			rv = mod_pinask_key_login(slot, *t, *index);
			if (rv == CKR_OK)
				rv = sig_session_key(slot, key, sign, t, index);
			if (rv != CKR_OK)
				return rv;
		}
	}
	rv = mod_sig_op_new(mm, mech, (*t)->keys[*index].alg, ref, op);
	if (rv != CKR_OK)
		return rv;
	(*op)->needs_login = needs_login;
	/* CKA_ALWAYS_AUTHENTICATE as the object layer reports it */
	(*op)->always_auth = sign && mod_object_always_authenticate(*t, *index);
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
