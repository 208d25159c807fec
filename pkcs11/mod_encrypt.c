/* Encryption in software with a token public key whose PIV slot decrypts (CKA_ENCRYPT) or a
 * session public key, and the answers of the multi-part calls, which RSA encryption and
 * decryption do not have. */
#include "mod_crypt.h"

#include "mod_object.h"
#include "mod_sobj.h"
#include "piv.h"

/* The public key behind a handle of this slot, as an OpenSSL key, for an encryption with a
 * mechanism for key_type. */
static CK_RV encrypt_key(mod_slot *slot, CK_OBJECT_HANDLE key, CK_KEY_TYPE key_type,
                         size_t *key_bytes, EVP_PKEY **pkey)
{
	mod_obj_kind kind;
	unsigned index;
	mod_token *t;
	uint8_t alg;
	CK_RV rv;

	if (!mod_object_decode(slot, key, &index, &kind) || kind == MOD_OBJ_CERT)
		return CKR_KEY_HANDLE_INVALID;
	rv = mod_token_get(slot, &t);
	if (rv != CKR_OK)
		return rv;
	if (!mod_object_exists(t, index, kind, mod_slot_private_visible(slot)))
		return CKR_KEY_HANDLE_INVALID;
	alg = t->keys[index].alg;
	if (key_type != (piv_alg_is_rsa(alg) ? CKK_RSA : CKK_EC))
		return CKR_KEY_TYPE_INCONSISTENT;
	/* a private key has no CKA_ENCRYPT; a public key has it where its slot decrypts */
	if (kind != MOD_OBJ_PUBLIC || !(mod_object_key_usage(index, true) & CKF_DECRYPT))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	rv = mod_token_pubkey_evp(slot, t, index, pkey);
	if (rv != CKR_OK)
		return rv;
	*key_bytes = piv_alg_bytes(alg);
	return CKR_OK;
}

/* A session public key (C_CreateObject, mod_sobj.h) whose CKA_ENCRYPT is TRUE. */
static CK_RV encrypt_sobj_key(mod_slot *slot, mod_session *sess, CK_OBJECT_HANDLE key,
                              CK_KEY_TYPE key_type, size_t *key_bytes, EVP_PKEY **pkey)
{
	CK_RV rv = mod_sobj_pubkey(slot, sess, key, CKA_ENCRYPT, pkey);
	int size;

	if (rv != CKR_OK)
		return rv;
	size = EVP_PKEY_get_size(*pkey);
	if (key_type != (EVP_PKEY_is_a(*pkey, "RSA") ? CKK_RSA : CKK_EC))
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else if (size <= 0 || (size_t)size > MOD_SIG_MAX_KEY_BYTES)
		rv = CKR_KEY_SIZE_RANGE; /* larger than any the token decrypts with */
	if (rv != CKR_OK) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return rv;
	}
	*key_bytes = (size_t)size;
	return CKR_OK;
}

CK_RV mod_encrypt_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                       CK_OBJECT_HANDLE key)
{
	EVP_PKEY *pkey = NULL;
	const mod_mech *mm;
	mod_crypt_op *op;
	size_t key_bytes = 0;
	CK_RV rv = mod_mech_for_op(&sess->encrypt, mech, CKF_ENCRYPT, &mm);

	if (rv == CKR_OK && mod_sobj_is_handle(key))
		rv = encrypt_sobj_key(slot, sess, key, mm->key_type, &key_bytes, &pkey);
	else if (rv == CKR_OK)
		rv = encrypt_key(slot, key, mm->key_type, &key_bytes, &pkey);
	if (rv == CKR_OK)
		rv = mod_crypt_op_new(mm, mech, key_bytes, &op);
	if (rv != CKR_OK) {
		EVP_PKEY_free(pkey);
		return rv;
	}
	op->pkey = pkey;
	mod_crypt_op_start(&sess->encrypt, mech->mechanism, key, op);
	return CKR_OK;
}

CK_RV mod_encrypt_oneshot(mod_session *sess, const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out,
                          CK_ULONG *out_len)
{
	mod_crypt_op *op = sess->encrypt.ctx;
	size_t len = 0;
	CK_RV rv = CKR_OK;

	if (!op)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!out_len || (!in && in_len))
		rv = CKR_ARGUMENTS_BAD;
	else if (in_len > mod_crypt_op_msg_max(op) ||
	         (op->mm->enc == MOD_ENC_RAW && in_len != op->key_bytes))
		rv = CKR_DATA_LEN_RANGE;
	if (rv == CKR_OK && (!out || *out_len < op->key_bytes)) {
		/* the length query and the buffer too small keep the operation */
		rv = out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
		*out_len = (CK_ULONG)op->key_bytes;
		return rv;
	}
	if (rv == CKR_OK)
		rv = mod_crypt_op_encrypt(op, in, in_len, out, &len);
	if (rv == CKR_OK)
		*out_len = (CK_ULONG)len;
	mod_session_op_clear(&sess->encrypt);
	return rv;
}

CK_RV mod_crypt_session_update(mod_crypto_op *cop, bool args_ok)
{
	if (!cop->ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	mod_session_op_clear(cop);
	/* RSA is single-part (PKCS#11 3.0 mechanisms); callers probe for exactly this code */
	return args_ok ? CKR_FUNCTION_NOT_SUPPORTED : CKR_ARGUMENTS_BAD;
}

CK_RV mod_crypt_session_final(mod_crypto_op *cop, bool args_ok)
{
	if (!cop->ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	mod_session_op_clear(cop);
	/* a single-part operation has no C_*Final, as mod_sig_op_can_end answers for signing */
	return args_ok ? CKR_OPERATION_NOT_INITIALIZED : CKR_ARGUMENTS_BAD;
}
