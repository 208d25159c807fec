/* Signing: C_SignInit checks the key and the mechanism, C_Sign/C_SignUpdate/C_SignFinal
 * hash and pad in software and send one GENERAL AUTHENTICATE. Everything runs under the
 * session's slot lock (P11_SESSION_CALL), so the card sees one command at a time however
 * many threads sign. */
#include "mod_mech.h"

#include <openssl/crypto.h>

#include "mod_object.h"
#include "mod_sig.h"

/* The card's answer: an RSA block, or a DER ECDSA-Sig-Value (at most 2 x 49 + 8 bytes
 * for P-384). */
#define SIGN_CARD_OUT_MAX (MOD_SIG_MAX_KEY_BYTES + 16u)

CK_RV mod_sign_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                    CK_OBJECT_HANDLE key)
{
	mod_sig_op *op;
	mod_token *t;
	unsigned index;
	CK_RV rv = mod_sig_session_init(slot, &sess->sign, mech, key, CKF_SIGN, &op, &t, &index);

	if (rv == CKR_OK)
		mod_sig_op_start(&sess->sign, mech->mechanism, key, op);
	return rv;
}

/* ---- the private-key operation ---- */

static CK_RV sign_on_card(mod_slot *slot, const mod_sig_op *op, const uint8_t *in, size_t in_len,
                          CK_BYTE *sig)
{
	uint8_t block[MOD_SIG_MAX_KEY_BYTES], out[SIGN_CARD_OUT_MAX];
	mod_sig_card_req rq = {.key_ref = op->key_ref,
	                       .alg = op->alg,
	                       .needs_login = op->needs_login,
	                       .always_auth = op->always_auth,
	                       .what = "signature",
	                       .in = block,
	                       .out = out,
	                       .cap = sizeof(out)};
	CK_RV rv = op->mm->sig->encode(op, in, in_len, block, &rq.in_len);

	if (rv != CKR_OK)
		return rv;
	rv = mod_sig_session_card(slot, &rq);
	OPENSSL_cleanse(block, sizeof(block));
	if (rv == CKR_OK)
		rv = op->mm->sig->from_card(op, out, rq.out_len, sig);
	else if (rq.st == CARD_ERR_BAD_INPUT)
		rv = CKR_DATA_INVALID; /* a well-formed block the card would not sign */
	else if (rq.st == CARD_ERR_NOT_FOUND)
		rv = CKR_KEY_HANDLE_INVALID; /* the key was deleted underneath */
	return rv;
}

/* The length query and the too-small buffer: answered before any work, and the
 * operation stays active (PKCS#11 3.0 5.2, "Conventions for functions returning output
 * in a variable-length buffer"). */
static bool sign_len_answer(const mod_sig_op *op, CK_BYTE *sig, CK_ULONG *sig_len, CK_RV *rv)
{
	CK_ULONG need = (CK_ULONG)mod_sig_op_sig_len(op);

	if (sig && *sig_len >= need)
		return false;
	*rv = sig ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	*sig_len = need;
	return true;
}

/* Input ready: size conventions, then the card. Ends the operation unless the caller
 * only asked for the length or gave a buffer too small. */
static CK_RV sign_finish(mod_session *sess, mod_slot *slot, const uint8_t *in, size_t in_len,
                         CK_BYTE *sig, CK_ULONG *sig_len)
{
	mod_sig_op *op = sess->sign.ctx;
	CK_RV rv;

	if (sign_len_answer(op, sig, sig_len, &rv))
		return rv;
	rv = sign_on_card(slot, op, in, in_len, sig);
	if (rv == CKR_OK)
		*sig_len = (CK_ULONG)mod_sig_op_sig_len(op);
	mod_session_op_clear(&sess->sign);
	return rv;
}

/* C_Sign (parts false: data is all of it) and C_SignFinal (parts true). */
static CK_RV sign_end(mod_session *sess, mod_slot *slot, bool parts, const CK_BYTE *data,
                      CK_ULONG len, CK_BYTE *sig, CK_ULONG *sig_len)
{
	uint8_t in[MOD_SIG_MAX_KEY_BYTES];
	size_t in_len = 0;
	CK_RV rv = mod_sig_op_can_end(&sess->sign, parts, sig_len != NULL);

	/* C_SignFinal answers a length query before the running hash is finished. */
	if (rv == CKR_OK && parts && sign_len_answer(sess->sign.ctx, sig, sig_len, &rv))
		return rv;
	if (rv == CKR_OK)
		rv = mod_sig_op_input(sess->sign.ctx, parts, data, len, in, sizeof(in), &in_len);
	if (rv != CKR_OK) {
		mod_session_op_clear(&sess->sign);
		return rv;
	}
	return sign_finish(sess, slot, in, in_len, sig, sig_len);
}

CK_RV mod_sign_oneshot(mod_session *sess, mod_slot *slot, const CK_BYTE *data, CK_ULONG len,
                       CK_BYTE *sig, CK_ULONG *sig_len)
{
	return sign_end(sess, slot, false, data, len, sig, sig_len);
}

CK_RV mod_sign_final(mod_session *sess, mod_slot *slot, CK_BYTE *sig, CK_ULONG *sig_len)
{
	return sign_end(sess, slot, true, NULL, 0, sig, sig_len);
}
