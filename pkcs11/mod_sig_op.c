/* A signature or verification operation: the mechanism's parameters checked once at
 * C_*Init, the data hashed in software (one shot, or part by part for C_*Update), and the
 * input of the signature primitive checked against what the mechanism allows. */
#include "mod_sig.h"

#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "piv.h"

CK_RV mod_sig_op_new(const mod_mech *mm, const CK_MECHANISM *mech, uint8_t alg, uint8_t key_ref,
                     mod_sig_op **out)
{
	mod_sig_op *op;
	CK_RV rv;

	if (!mod_mech_signs_with(mm, piv_alg_is_rsa(alg)) || piv_alg_bytes(alg) == 0)
		return CKR_KEY_TYPE_INCONSISTENT;
	op = calloc(1, sizeof(*op));
	if (!op)
		return CKR_HOST_MEMORY;
	op->mm = mm;
	op->alg = alg;
	op->key_ref = key_ref;
	op->key_bytes = piv_alg_bytes(alg);
	/* PIV algorithms fix the size exactly: RSA-2048 has a 2048-bit modulus. */
	op->key_bits = op->key_bytes * 8;
	rv = mm->sig->params(op, mech);
	if (rv != CKR_OK) {
		free(op);
		return rv;
	}
	*out = op;
	return CKR_OK;
}

void mod_sig_op_free(void *p)
{
	mod_sig_op *op = p;

	if (!op)
		return;
	EVP_MD_CTX_free(op->mdctx);
	EVP_PKEY_free(op->pkey);
	free(op);
}

void mod_sig_op_start(mod_crypto_op *cop, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                      mod_sig_op *op)
{
	cop->mech = mech;
	cop->key = key;
	cop->ctx = op;
	cop->ctx_free = mod_sig_op_free;
	cop->multipart = false;
}

/* The running hash of a multi-part operation, started at its first use. */
static CK_RV sig_op_mdctx(mod_sig_op *op)
{
	if (op->mdctx)
		return CKR_OK;
	op->mdctx = EVP_MD_CTX_new();
	if (!op->mdctx)
		return CKR_HOST_MEMORY;
	if (EVP_DigestInit_ex(op->mdctx, op->md, NULL) != 1)
		return CKR_FUNCTION_FAILED;
	return CKR_OK;
}

CK_RV mod_sig_op_update(mod_crypto_op *cop, const CK_BYTE *part, CK_ULONG len)
{
	mod_sig_op *op = cop->ctx;
	CK_RV rv;

	/* The single-part mechanisms have no C_*Update (PKCS#11 3.0 mechanisms: "single-part
	 * operations only"). CKR_FUNCTION_NOT_SUPPORTED is what callers probe for: OpenSC's
	 * pkcs11-tool --test skips multi-part checks on exactly that code and fails on any
	 * other. The caller ends the operation either way. */
	if (!op->mm->hash)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (!part && len)
		return CKR_ARGUMENTS_BAD;
	rv = sig_op_mdctx(op);
	if (rv != CKR_OK)
		return rv;
	if (len && EVP_DigestUpdate(op->mdctx, part, len) != 1)
		return CKR_FUNCTION_FAILED;
	cop->multipart = true;
	return CKR_OK;
}

CK_RV mod_sig_op_can_end(const mod_crypto_op *cop, bool parts, bool args_ok)
{
	const mod_sig_op *op = cop->ctx;

	if (!op)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!args_ok)
		return CKR_ARGUMENTS_BAD;
	/* C_Sign/C_Verify cannot end a multi-part operation; single-part mechanisms have no
	 * C_*Final. */
	if (parts ? !op->mm->hash : cop->multipart)
		return CKR_OPERATION_NOT_INITIALIZED;
	return CKR_OK;
}

/* The digest of the data: one shot, or the end of the running hash. */
static CK_RV sig_op_digest(mod_sig_op *op, bool parts, const CK_BYTE *data, CK_ULONG len,
                           uint8_t *dg, size_t *dg_len)
{
	static const CK_BYTE none[1];
	unsigned int n = 0;
	CK_RV rv;

	if (parts) {
		rv = sig_op_mdctx(op);
		if (rv != CKR_OK)
			return rv;
		if (EVP_DigestFinal_ex(op->mdctx, dg, &n) != 1)
			return CKR_FUNCTION_FAILED;
	} else if (EVP_Digest(data ? data : none, len, dg, &n, op->md, NULL) != 1) {
		return CKR_FUNCTION_FAILED;
	}
	*dg_len = n;
	return CKR_OK;
}

CK_RV mod_sig_op_input(mod_sig_op *op, bool parts, const CK_BYTE *data, CK_ULONG len, uint8_t *in,
                       size_t cap, size_t *in_len)
{
	uint8_t dg[EVP_MAX_MD_SIZE];
	const uint8_t *src = data;
	size_t n = len;
	CK_RV rv;

	if (!parts && !data && len)
		return CKR_ARGUMENTS_BAD;
	if (op->mm->hash) {
		rv = sig_op_digest(op, parts, data, len, dg, &n);
		src = dg;
	} else {
		rv = parts ? CKR_OPERATION_NOT_INITIALIZED : op->mm->sig->check(op, len);
	}
	if (rv == CKR_OK)
		rv = op->mm->sig->input(op, src, n, in, cap, in_len);
	OPENSSL_cleanse(dg, sizeof(dg));
	return rv;
}

size_t mod_sig_op_sig_len(const mod_sig_op *op)
{
	return op->mm->sig->sig_parts * op->key_bytes;
}

CK_RV mod_sig_op_verify(const mod_sig_op *op, const uint8_t *in, size_t in_len, const CK_BYTE *sig,
                        CK_ULONG sig_len)
{
	EVP_PKEY_CTX *ctx;
	uint8_t *der = NULL;
	const uint8_t *s = sig;
	size_t s_len = sig_len;
	CK_RV rv;

	if (sig_len != (CK_ULONG)mod_sig_op_sig_len(op))
		return CKR_SIGNATURE_LEN_RANGE;
	rv = op->mm->sig->to_openssl(sig, sig_len, &der, &s_len);
	if (rv != CKR_OK)
		return rv;
	if (der)
		s = der;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	rv = CKR_HOST_MEMORY;
	if (ctx && EVP_PKEY_verify_init(ctx) > 0 && op->mm->sig->verify_setup(op, ctx))
		rv = EVP_PKEY_verify(ctx, s, s_len, in, in_len) == 1 ? CKR_OK :
		                                                       CKR_SIGNATURE_INVALID;
	else if (ctx)
		rv = CKR_FUNCTION_FAILED;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	/* A rejected signature leaves OpenSSL errors queued; they are not the caller's. */
	ERR_clear_error();
	return rv;
}
