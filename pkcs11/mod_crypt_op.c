/* An RSA encryption or decryption operation: the mechanism's parameters checked once at
 * C_*Init, encryption with OpenSSL on the public key, and the padding of a decrypted block
 * removed (mod_unpad.c). No card and no session here: the pure part, unit-tested. */
#include "mod_crypt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

/* CK_RSA_PKCS_OAEP_PARAMS: the hashes offered for signing, a label given as data. */
static CK_RV crypt_op_oaep_params(mod_crypt_op *op, const CK_MECHANISM *mech)
{
	CK_RSA_PKCS_OAEP_PARAMS p;

	if (!mech->pParameter || mech->ulParameterLen != sizeof(p))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&p, mech->pParameter, sizeof(p));
	op->md = mod_pad_md(p.hashAlg);
	op->mgf_md = mod_pad_mgf_md(p.mgf);
	/* source 0 with no label: what some callers send for "no label" */
	if (!op->md || !op->mgf_md || (p.source != CKZ_DATA_SPECIFIED && p.source != 0) ||
	    (p.source == 0 && p.ulSourceDataLen > 0) || (!p.pSourceData && p.ulSourceDataLen > 0))
		return CKR_MECHANISM_PARAM_INVALID;
	if (op->key_bytes < 2 * (size_t)EVP_MD_get_size(op->md) + 2)
		return CKR_MECHANISM_PARAM_INVALID;
	if (p.ulSourceDataLen > 0) {
		op->label = malloc(p.ulSourceDataLen);
		if (!op->label)
			return CKR_HOST_MEMORY;
		memcpy(op->label, p.pSourceData, p.ulSourceDataLen);
		op->label_len = p.ulSourceDataLen;
	}
	return CKR_OK;
}

CK_RV mod_crypt_op_new(const mod_mech *mm, const CK_MECHANISM *mech, size_t key_bytes,
                       mod_crypt_op **out)
{
	mod_crypt_op *op;
	CK_RV rv = CKR_OK;

	if (mm->enc == MOD_ENC_NONE || key_bytes == 0 || key_bytes > MOD_SIG_MAX_KEY_BYTES)
		return CKR_KEY_TYPE_INCONSISTENT;
	op = calloc(1, sizeof(*op));
	if (!op)
		return CKR_HOST_MEMORY;
	op->mm = mm;
	op->key_bytes = key_bytes;
	if (mm->enc == MOD_ENC_OAEP)
		rv = crypt_op_oaep_params(op, mech);
	else if (mech->pParameter || mech->ulParameterLen)
		rv = CKR_MECHANISM_PARAM_INVALID;
	if (rv != CKR_OK) {
		mod_crypt_op_free(op);
		return rv;
	}
	*out = op;
	return CKR_OK;
}

void mod_crypt_op_free(void *p)
{
	mod_crypt_op *op = p;

	if (!op)
		return;
	free(op->label);
	EVP_PKEY_free(op->pkey);
	OPENSSL_cleanse(op, sizeof(*op));
	free(op);
}

void mod_crypt_op_start(mod_crypto_op *cop, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                        mod_crypt_op *op)
{
	cop->mech = mech;
	cop->key = key;
	cop->ctx = op;
	cop->ctx_free = mod_crypt_op_free;
	cop->multipart = false;
}

size_t mod_crypt_op_msg_max(const mod_crypt_op *op)
{
	switch (op->mm->enc) {
	case MOD_ENC_PKCS1: return op->key_bytes - MOD_PAD_PKCS1_MIN;
	case MOD_ENC_OAEP: return op->key_bytes - 2 * (size_t)EVP_MD_get_size(op->md) - 2;
	default: return op->key_bytes;
	}
}

/* OpenSSL's encrypter with the operation's padding. */
static bool crypt_op_setup(const mod_crypt_op *op, EVP_PKEY_CTX *ctx)
{
	uint8_t *label;

	switch (op->mm->enc) {
	case MOD_ENC_PKCS1: return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
	case MOD_ENC_RAW: return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0;
	default: break;
	}
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, op->md) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, op->mgf_md) <= 0)
		return false;
	if (!op->label_len)
		return true;
	/* the context takes ownership of its copy */
	label = OPENSSL_memdup(op->label, op->label_len);
	if (label && EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, (int)op->label_len) > 0)
		return true;
	OPENSSL_free(label);
	return false;
}

CK_RV mod_crypt_op_encrypt(const mod_crypt_op *op, const uint8_t *in, size_t in_len, uint8_t *out,
                           size_t *out_len)
{
	static const uint8_t none[1];
	EVP_PKEY_CTX *ctx;
	size_t len = op->key_bytes;
	CK_RV rv = CKR_FUNCTION_FAILED;

	if (in_len > mod_crypt_op_msg_max(op) || (op->mm->enc == MOD_ENC_RAW && in_len != len))
		return CKR_DATA_LEN_RANGE;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	if (!ctx)
		return CKR_HOST_MEMORY;
	if (EVP_PKEY_encrypt_init(ctx) > 0 && crypt_op_setup(op, ctx)) {
		if (EVP_PKEY_encrypt(ctx, out, &len, in_len ? in : none, in_len) > 0)
			rv = CKR_OK;
		else if (op->mm->enc == MOD_ENC_RAW)
			rv = CKR_DATA_INVALID; /* raw: a value not below the modulus */
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (rv == CKR_OK)
		*out_len = len;
	return rv;
}

CK_RV mod_crypt_op_unpad(const mod_crypt_op *op, uint8_t *em, uint8_t *out, size_t *out_len)
{
	switch (op->mm->enc) {
	case MOD_ENC_PKCS1: return mod_unpad_pkcs1(em, op->key_bytes, out, out_len);
	case MOD_ENC_OAEP:
		return mod_unpad_oaep(op->md, op->mgf_md, op->label, op->label_len, em,
		                      op->key_bytes, out, out_len);
	default:
		memcpy(out, em, op->key_bytes);
		OPENSSL_cleanse(em, op->key_bytes);
		*out_len = op->key_bytes;
		return CKR_OK;
	}
}
