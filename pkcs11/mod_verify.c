/* Verification in software: the token's public key (learnt once, from the inventory's
 * GET METADATA) as an OpenSSL key, and EVP_PKEY_verify with the mechanism's padding.
 * No card command after C_VerifyInit. */
#include "mod_mech.h"

#include <openssl/err.h>

#include "mod_object.h"
#include "mod_parse.h"
#include "mod_sig.h"
#include "piv.h"

/* The key of a verification: the public key object, or the private key's handle (some
 * applications verify with the handle they signed with). */
static CK_RV verify_key(mod_slot *slot, CK_OBJECT_HANDLE key, mod_token **t, unsigned *index)
{
	mod_obj_kind kind;
	unsigned i;
	CK_RV rv;

	if (!mod_object_decode(slot, key, index, &kind) || kind == MOD_OBJ_CERT)
		return CKR_KEY_HANDLE_INVALID;
	rv = mod_token_get(slot, t);
	if (rv != CKR_OK)
		return rv;
	i = *index;
	if (i >= PIV_KEY_SLOTS || !mod_object_exists(*t, i, kind, mod_slot_user_logged_in(slot)))
		return CKR_KEY_HANDLE_INVALID;
	return CKR_OK;
}

CK_RV mod_verify_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                      CK_OBJECT_HANDLE key)
{
	const mod_mech *mm;
	const uint8_t *pub = NULL;
	size_t pub_len = 0;
	mod_sig_op *op;
	mod_token *t;
	unsigned index;
	uint8_t alg;
	card_pubkey pk;
	CK_RV rv;

	if (!mech)
		return CKR_ARGUMENTS_BAD;
	if (sess->verify.ctx)
		return CKR_OPERATION_ACTIVE;
	mm = mod_mech_find(mech->mechanism);
	if (!mm || !mm->sig || !(mm->info.flags & CKF_VERIFY))
		return CKR_MECHANISM_INVALID;
	rv = verify_key(slot, key, &t, &index);
	if (rv != CKR_OK)
		return rv;
	alg = t->keys[index].alg;
	rv = mod_sig_op_new(mm, mech, alg, piv_key_slot_ref(index), &op);
	if (rv != CKR_OK)
		return rv;
	rv = mod_token_pubkey(slot, t, index, &pub, &pub_len);
	if (rv == CKR_OK) {
		if (card_pubkey_parse(alg, pub, pub_len, &pk))
			op->pkey = mod_parse_pubkey_evp(&pk);
		if (!op->pkey)
			rv = CKR_DEVICE_ERROR;    /* the token described its key badly */
	}
	if (rv != CKR_OK) {
		ERR_clear_error();
		mod_sig_op_free(op);
		return rv;
	}
	mod_sig_op_start(&sess->verify, mech->mechanism, key, op);
	return CKR_OK;
}

CK_RV mod_verify_oneshot(mod_session *sess, const CK_BYTE *data, CK_ULONG len,
                         const CK_BYTE *sig, CK_ULONG sig_len)
{
	uint8_t in[MOD_SIG_MAX_KEY_BYTES];
	size_t in_len = 0;
	mod_sig_op *op = sess->verify.ctx;
	CK_RV rv;

	if (!op)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!sig && sig_len)
		rv = CKR_ARGUMENTS_BAD;
	else if (sess->verify.multipart)  /* C_Verify cannot end a multi-part operation */
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		rv = mod_sig_op_input(op, false, data, len, in, sizeof(in), &in_len);
	if (rv == CKR_OK)
		rv = mod_sig_op_verify(op, in, in_len, sig, sig_len);
	/* C_Verify always ends the operation: there is no length query. */
	mod_session_op_clear(&sess->verify);
	return rv;
}

CK_RV mod_verify_update(mod_session *sess, const CK_BYTE *part, CK_ULONG len)
{
	CK_RV rv;

	if (!sess->verify.ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = mod_sig_op_update(&sess->verify, part, len);
	if (rv != CKR_OK)
		mod_session_op_clear(&sess->verify);
	return rv;
}

CK_RV mod_verify_final(mod_session *sess, const CK_BYTE *sig, CK_ULONG sig_len)
{
	uint8_t in[MOD_SIG_MAX_KEY_BYTES];
	size_t in_len = 0;
	mod_sig_op *op = sess->verify.ctx;
	CK_RV rv;

	if (!op)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!sig && sig_len)
		rv = CKR_ARGUMENTS_BAD;
	else if (!op->mm->hash)           /* single-part mechanisms have no C_VerifyFinal */
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		rv = mod_sig_op_input(op, true, NULL, 0, in, sizeof(in), &in_len);
	if (rv == CKR_OK)
		rv = mod_sig_op_verify(op, in, in_len, sig, sig_len);
	mod_session_op_clear(&sess->verify);
	return rv;
}
