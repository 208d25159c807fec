/* Verification in software: the token's public key (learnt once, from the inventory's
 * GET METADATA) as an OpenSSL key, and EVP_PKEY_verify with the mechanism's padding.
 * No card command after C_VerifyInit. */
#include "mod_mech.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

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
	rv = mod_slot_token(slot, t);
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
	if (!mm || !mm->pad || !(mm->info.flags & CKF_VERIFY))
		return CKR_MECHANISM_INVALID;
	rv = verify_key(slot, key, &t, &index);
	if (rv != CKR_OK)
		return rv;
	alg = t->keys[index].alg;
	rv = mod_sig_op_new(mm, mech, alg, piv_key_slot_ref(index), &op);
	if (rv != CKR_OK)
		return rv;
	rv = mod_object_pubkey(slot, t, index, &pub, &pub_len);
	if (rv == CKR_OK) {
		op->pkey = card_pubkey_parse(alg, pub, pub_len, &pk) ? mod_pubkey_evp(&pk) : NULL;
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

/* The padding and digests of an RSA verification. */
static int verify_rsa_setup(const mod_sig_op *op, EVP_PKEY_CTX *ctx)
{
	if (op->mm->pad == MOD_PAD_NONE)
		return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0;
	if (op->mm->pad == MOD_PAD_PKCS1)
		return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		       (!op->mm->hash || EVP_PKEY_CTX_set_signature_md(ctx, op->md) > 0);
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_signature_md(ctx, op->md) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, op->mgf_md) > 0 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)op->salt_len) > 0;
}

/* in: the digest (or DigestInfo / fitted ECDSA digest) the signature must cover. */
static CK_RV verify_check(const mod_sig_op *op, const uint8_t *in, size_t in_len,
                          const CK_BYTE *sig, CK_ULONG sig_len)
{
	EVP_PKEY_CTX *ctx;
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	size_t s_len = sig_len;
	int ok = 0;
	CK_RV rv;

	if (sig_len != (CK_ULONG)mod_sig_op_sig_len(op))
		return CKR_SIGNATURE_LEN_RANGE;
	if (op->mm->pad == MOD_PAD_ECDSA) {
		/* PKCS#11 carries r||s; OpenSSL verifies the DER ECDSA-Sig-Value. */
		rv = mod_pad_ecdsa_der(sig, sig_len, &der, &s_len);
		if (rv != CKR_OK)
			return rv;
		s = der;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	rv = CKR_HOST_MEMORY;
	if (ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	    (op->mm->pad == MOD_PAD_ECDSA || verify_rsa_setup(op, ctx))) {
		ok = EVP_PKEY_verify(ctx, s, s_len, in, in_len);
		rv = ok == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
	} else if (ctx) {
		rv = CKR_FUNCTION_FAILED;
	}
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	/* A rejected signature leaves OpenSSL errors queued; they are not the caller's. */
	ERR_clear_error();
	return rv;
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
		rv = verify_check(op, in, in_len, sig, sig_len);
	/* C_Verify always ends the operation: there is no length query. */
	mod_crypto_op_clear(&sess->verify);
	return rv;
}

CK_RV mod_verify_update(mod_session *sess, const CK_BYTE *part, CK_ULONG len)
{
	CK_RV rv;

	if (!sess->verify.ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	rv = mod_sig_op_update(&sess->verify, part, len);
	if (rv != CKR_OK)
		mod_crypto_op_clear(&sess->verify);
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
		rv = verify_check(op, in, in_len, sig, sig_len);
	mod_crypto_op_clear(&sess->verify);
	return rv;
}
