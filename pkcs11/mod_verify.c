/* Verification in software: the token's public key (learnt once, from the inventory's
 * GET METADATA) as an OpenSSL key, and EVP_PKEY_verify with the mechanism's padding.
 * No card command after C_VerifyInit. */
#include "mod_mech.h"

#include "mod_object.h"
#include "mod_sig.h"
#include "mod_sobj.h"

CK_RV mod_verify_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                      CK_OBJECT_HANDLE key)
{
	mod_sig_op *op;
	mod_token *t;
	unsigned index;
	CK_RV rv;

	if (mod_sobj_is_handle(key)) {
		rv = mod_sig_session_init_sobj(slot, sess, mech, key, &op);
		if (rv == CKR_OK)
			mod_sig_op_start(&sess->verify, mech->mechanism, key, op);
		return rv;
	}
	rv = mod_sig_session_init(slot, &sess->verify, mech, key, CKF_VERIFY, &op, &t, &index);
	if (rv != CKR_OK)
		return rv;
	rv = mod_token_pubkey_evp(slot, t, index, &op->pkey);
	if (rv != CKR_OK) {
		mod_sig_op_free(op);
		return rv;
	}
	mod_sig_op_start(&sess->verify, mech->mechanism, key, op);
	return CKR_OK;
}

/* C_Verify (parts false: data is all of it) and C_VerifyFinal (parts true). C_Verify
 * always ends the operation: there is no length query. */
static CK_RV verify_end(mod_session *sess, bool parts, const CK_BYTE *data, CK_ULONG len,
                        const CK_BYTE *sig, CK_ULONG sig_len)
{
	mod_sig_op *op = sess->verify.ctx;
	uint8_t in[MOD_SIG_MAX_KEY_BYTES];
	size_t in_len = 0;
	CK_RV rv = mod_sig_op_can_end(&sess->verify, parts, sig || !sig_len);

	if (rv == CKR_OK)
		rv = mod_sig_op_input(op, parts, data, len, in, sizeof(in), &in_len);
	if (rv == CKR_OK)
		rv = mod_sig_op_verify(op, in, in_len, sig, sig_len);
	mod_session_op_clear(&sess->verify);
	return rv;
}

CK_RV mod_verify_oneshot(mod_session *sess, const CK_BYTE *data, CK_ULONG len, const CK_BYTE *sig,
                         CK_ULONG sig_len)
{
	return verify_end(sess, false, data, len, sig, sig_len);
}

CK_RV mod_verify_final(mod_session *sess, const CK_BYTE *sig, CK_ULONG sig_len)
{
	return verify_end(sess, true, NULL, 0, sig, sig_len);
}
