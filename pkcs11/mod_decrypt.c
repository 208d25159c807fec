/* Decryption: C_DecryptInit checks the key (a private key whose PIV slot decrypts, with the
 * login its PIN policy wants, as signing does), C_Decrypt sends the ciphertext to the card
 * (GENERAL AUTHENTICATE: the card's raw RSA) and removes the padding in the module in
 * constant time (mod_unpad.c). Everything runs under the session's slot lock. */
#include "mod_crypt.h"

#include <string.h>

#include <openssl/crypto.h>

#include "mod_object.h"
#include "piv.h"

CK_RV mod_decrypt_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                       CK_OBJECT_HANDLE key)
{
	mod_sig_key k = {0};
	const mod_mech *mm;
	mod_crypt_op *op;
	uint8_t alg;
	CK_RV rv = mod_mech_for_op(&sess->decrypt, mech, CKF_DECRYPT, &mm);

	if (rv == CKR_OK)
		rv = mod_sig_session_private_key(slot, key, mm->key_type, CKF_DECRYPT, &k);
	if (rv != CKR_OK)
		return rv;
	alg = k.t->keys[k.index].alg;
	rv = mod_crypt_op_new(mm, mech, piv_alg_bytes(alg), &op);
	if (rv != CKR_OK)
		return rv;
	op->alg = alg;
	op->key_ref = piv_key_slot_ref(k.index);
	op->needs_login = k.needs_login;
	op->always_auth = k.always_auth;
	mod_crypt_op_start(&sess->decrypt, mech->mechanism, key, op);
	return CKR_OK;
}

/* The card's private operation on in (k bytes), the padding removed into op->plain. */
static CK_RV decrypt_on_card(mod_slot *slot, mod_crypt_op *op, const uint8_t *in, size_t in_len)
{
	uint8_t block[MOD_SIG_MAX_KEY_BYTES], out[MOD_SIG_MAX_KEY_BYTES];
	mod_sig_card_req rq = {.key_ref = op->key_ref,
	                       .alg = op->alg,
	                       .needs_login = op->needs_login,
	                       .always_auth = op->always_auth,
	                       .what = "decryption",
	                       .in = in,
	                       .in_len = in_len,
	                       .out = out,
	                       .cap = sizeof(out)};
	size_t k = op->key_bytes;
	CK_RV rv = mod_sig_session_card(slot, &rq);

	if (rv == CKR_OK && (rq.out_len == 0 || rq.out_len > k))
		rv = CKR_DEVICE_ERROR;
	else if (rv != CKR_OK && rq.st == CARD_ERR_BAD_INPUT)
		rv = CKR_ENCRYPTED_DATA_INVALID; /* not below the modulus */
	else if (rv != CKR_OK && rq.st == CARD_ERR_NOT_FOUND)
		rv = CKR_KEY_HANDLE_INVALID; /* the key was deleted underneath */
	if (rv == CKR_OK) {
		/* a card may leave out the block's leading zeros */
		memset(block, 0, k - rq.out_len);
		memcpy(block + k - rq.out_len, out, rq.out_len);
		rv = mod_crypt_op_unpad(op, block, op->plain, &op->plain_len);
		op->have_plain = rv == CKR_OK;
	}
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(block, sizeof(block));
	return rv;
}

CK_RV mod_decrypt_oneshot(mod_session *sess, mod_slot *slot, const CK_BYTE *in, CK_ULONG in_len,
                          CK_BYTE *out, CK_ULONG *out_len)
{
	mod_crypt_op *op = sess->decrypt.ctx;
	CK_RV rv = CKR_OK;

	if (!op)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!out_len || (!in && in_len))
		rv = CKR_ARGUMENTS_BAD;
	else if (!op->have_plain && in_len != op->key_bytes)
		rv = CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (rv != CKR_OK) {
		mod_session_op_clear(&sess->decrypt);
		return rv;
	}
	/* The length query before any card work: the longest plaintext the padding allows
	 * (PKCS#11 lets a module answer a length somewhat more than needed). */
	if (!out && !op->have_plain) {
		*out_len = (CK_ULONG)mod_crypt_op_msg_max(op);
		return CKR_OK;
	}
	/* After CKR_BUFFER_TOO_SMALL the plaintext is kept: the caller's retry (same input)
	 * is answered from it. */
	if (!op->have_plain) {
		rv = decrypt_on_card(slot, op, in, in_len);
		if (rv != CKR_OK) {
			mod_session_op_clear(&sess->decrypt);
			return rv;
		}
	}
	if (!out || *out_len < op->plain_len) {
		rv = out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
		*out_len = (CK_ULONG)op->plain_len;
		return rv;
	}
	if (op->plain_len)
		memcpy(out, op->plain, op->plain_len);
	*out_len = (CK_ULONG)op->plain_len;
	mod_session_op_clear(&sess->decrypt);
	return CKR_OK;
}
