/* A signature or verification operation: the mechanism's parameters checked once at
 * C_*Init, the data hashed in software (one shot, or part by part for C_*Update), and the
 * input of the signature primitive checked against what the mechanism allows. */
#include "mod_sig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "piv.h"

/* CK_RSA_PKCS_PSS_PARAMS (PKCS#11 3.0 current mechanisms) names the hash of the data (for
 * CKM_SHAxxx_RSA_PKCS_PSS it must be that xxx), MGF1's hash and the salt length, which
 * must leave room in the encoded message: sLen <= emLen - hLen - 2 (RFC 8017 9.1.1). */
static CK_RV sig_op_pss_params(mod_sig_op *op, const CK_MECHANISM *mech)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
	size_t em_len = (op->key_bits - 1 + 7) / 8, h;

	if (!p || mech->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	op->md = mod_pad_md(p->hashAlg);
	op->mgf_md = mod_pad_mgf_md(p->mgf);
	if (!op->md || !op->mgf_md || (op->mm->hash && p->hashAlg != op->mm->hash))
		return CKR_MECHANISM_PARAM_INVALID;
	h = (size_t)EVP_MD_get_size(op->md);
	if (p->sLen > em_len - h - 2)
		return CKR_MECHANISM_PARAM_INVALID;
	op->salt_len = p->sLen;
	return CKR_OK;
}

CK_RV mod_sig_op_new(const mod_mech *mm, const CK_MECHANISM *mech, uint8_t alg,
                     uint8_t key_ref, mod_sig_op **out)
{
	mod_sig_op *op;
	CK_RV rv = CKR_OK;

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
	if (mm->pad == MOD_PAD_PSS)
		rv = sig_op_pss_params(op, mech);
	else if (mech->ulParameterLen != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (mm->hash)
		op->md = mod_pad_md(mm->hash);
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

/* A single-part mechanism's input as the caller gave it: CKM_RSA_PKCS takes the
 * DigestInfo (at most k - 11 bytes), CKM_RSA_PKCS_PSS exactly a digest of its hashAlg,
 * CKM_ECDSA a digest of any non-zero length (only its leftmost field bytes count). */
static CK_RV sig_op_raw_check(const mod_sig_op *op, CK_ULONG len)
{
	switch (op->mm->pad) {
	case MOD_PAD_PKCS1:
		return len <= op->key_bytes - 11 ? CKR_OK : CKR_DATA_LEN_RANGE;
	case MOD_PAD_PSS:
		return len == (CK_ULONG)EVP_MD_get_size(op->md) ? CKR_OK : CKR_DATA_LEN_RANGE;
	case MOD_PAD_ECDSA:
		return len > 0 ? CKR_OK : CKR_DATA_LEN_RANGE;
	case MOD_PAD_NONE:
		return len > 0 && len <= op->key_bytes ? CKR_OK : CKR_DATA_LEN_RANGE;
	}
	return CKR_GENERAL_ERROR;
}

CK_RV mod_sig_op_input(mod_sig_op *op, bool parts, const CK_BYTE *data, CK_ULONG len,
                       uint8_t *in, size_t cap, size_t *in_len)
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
		rv = parts ? CKR_OPERATION_NOT_INITIALIZED : sig_op_raw_check(op, len);
	}
	if (rv == CKR_OK && op->mm->pad == MOD_PAD_ECDSA) {
		if (cap < op->key_bytes)
			rv = CKR_GENERAL_ERROR;
		else
			mod_pad_ecdsa_fit(src, n, in, op->key_bytes);
		n = op->key_bytes;
	} else if (rv == CKR_OK && op->mm->pad == MOD_PAD_NONE) {
		/* CKM_RSA_X_509: the value, left-padded with zeros to the modulus size. */
		if (cap < op->key_bytes) {
			rv = CKR_GENERAL_ERROR;
		} else {
			memset(in, 0, op->key_bytes - n);
			memcpy(in + op->key_bytes - n, src, n);
		}
		n = op->key_bytes;
	} else if (rv == CKR_OK) {
		if (cap < n)
			rv = CKR_GENERAL_ERROR;
		else if (n)
			memcpy(in, src, n);
	}
	if (rv == CKR_OK)
		*in_len = n;
	OPENSSL_cleanse(dg, sizeof(dg));
	return rv;
}

size_t mod_sig_op_sig_len(const mod_sig_op *op)
{
	return op->mm->pad == MOD_PAD_ECDSA ? 2 * op->key_bytes : op->key_bytes;
}
