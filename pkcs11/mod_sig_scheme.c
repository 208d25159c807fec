/* The signature schemes: what differs between the paddings, as the functions a mechanism
 * row points to. The card only does raw RSA and ECDSA over a digest; every step around
 * that one operation is chosen here, so signing and verification have no case of their own
 * for a padding. */
#include "mod_sig.h"

#include <string.h>

#include <openssl/rsa.h>

/* ---- what several schemes share ---- */

/* Mechanisms without parameters: the row's hash, if it has one, is the data's. */
static CK_RV scheme_no_params(mod_sig_op *op, const CK_MECHANISM *mech)
{
	if (mech->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if (op->mm->hash)
		op->md = mod_pad_md(op->mm->hash);
	return CKR_OK;
}

/* The digest (or the caller's input) is the primitive's input as it is. */
static CK_RV scheme_input_as_is(const mod_sig_op *op, const uint8_t *src, size_t len, uint8_t *in,
                                size_t cap, size_t *in_len)
{
	(void)op;
	if (cap < len)
		return CKR_GENERAL_ERROR;
	if (len)
		memcpy(in, src, len);
	*in_len = len;
	return CKR_OK;
}

/* The primitive's input is what the card signs (the card pads or truncates nothing). */
static CK_RV scheme_encode_as_is(const mod_sig_op *op, const uint8_t *in, size_t in_len,
                                 uint8_t *block, size_t *block_len)
{
	(void)op;
	if (in_len > MOD_SIG_MAX_KEY_BYTES)
		return CKR_GENERAL_ERROR;
	memcpy(block, in, in_len);
	*block_len = in_len;
	return CKR_OK;
}

/* A raw RSA result, left-padded to the modulus size (the card may drop leading zeros). */
static CK_RV scheme_rsa_from_card(const mod_sig_op *op, const uint8_t *out, size_t out_len,
                                  uint8_t *sig)
{
	size_t k = op->key_bytes;

	if (out_len == 0 || out_len > k)
		return CKR_DEVICE_ERROR;
	memset(sig, 0, k - out_len);
	memcpy(sig + k - out_len, out, out_len);
	return CKR_OK;
}

/* An RSA signature is the same bytes for PKCS#11 and OpenSSL. */
static CK_RV scheme_rsa_to_openssl(const uint8_t *sig, size_t len, uint8_t **der, size_t *der_len)
{
	(void)sig;
	*der = NULL;
	*der_len = len;
	return CKR_OK;
}

/* ---- EMSA-PKCS1-v1_5: CKM_RSA_PKCS takes the DigestInfo, the hash mechanisms a digest ---- */

static CK_RV scheme_pkcs1_check(const mod_sig_op *op, size_t len)
{
	return len <= op->key_bytes - MOD_PAD_PKCS1_MIN ? CKR_OK : CKR_DATA_LEN_RANGE;
}

static CK_RV scheme_pkcs1_encode(const mod_sig_op *op, const uint8_t *in, size_t in_len,
                                 uint8_t *block, size_t *block_len)
{
	*block_len = op->key_bytes;
	return mod_pad_pkcs1(op->mm->hash ? op->md : NULL, in, in_len, block, op->key_bytes);
}

static bool scheme_pkcs1_verify_setup(const mod_sig_op *op, EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	       (!op->mm->hash || EVP_PKEY_CTX_set_signature_md(ctx, op->md) > 0);
}

const mod_sig_scheme mod_sig_scheme_pkcs1 = {
	.params = scheme_no_params,
	.check = scheme_pkcs1_check,
	.input = scheme_input_as_is,
	.encode = scheme_pkcs1_encode,
	.from_card = scheme_rsa_from_card,
	.to_openssl = scheme_rsa_to_openssl,
	.verify_setup = scheme_pkcs1_verify_setup,
	.sig_parts = 1,
};

/* ---- EMSA-PSS: CKM_RSA_PKCS_PSS takes a digest of its hashAlg ---- */

/* CK_RSA_PKCS_PSS_PARAMS (PKCS#11 3.0 current mechanisms) names the hash of the data (for
 * CKM_SHAxxx_RSA_PKCS_PSS it must be that xxx), MGF1's hash and the salt length, which
 * must leave room in the encoded message: sLen <= emLen - hLen - 2 (RFC 8017 9.1.1). */
static CK_RV scheme_pss_params(mod_sig_op *op, const CK_MECHANISM *mech)
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

static CK_RV scheme_pss_check(const mod_sig_op *op, size_t len)
{
	return len == (size_t)EVP_MD_get_size(op->md) ? CKR_OK : CKR_DATA_LEN_RANGE;
}

static CK_RV scheme_pss_encode(const mod_sig_op *op, const uint8_t *in, size_t in_len,
                               uint8_t *block, size_t *block_len)
{
	*block_len = op->key_bytes;
	return mod_pad_pss(op->md, op->mgf_md, op->salt_len, in, in_len, op->key_bits, block,
	                   op->key_bytes);
}

static bool scheme_pss_verify_setup(const mod_sig_op *op, EVP_PKEY_CTX *ctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_signature_md(ctx, op->md) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, op->mgf_md) > 0 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)op->salt_len) > 0;
}

const mod_sig_scheme mod_sig_scheme_pss = {
	.params = scheme_pss_params,
	.check = scheme_pss_check,
	.input = scheme_input_as_is,
	.encode = scheme_pss_encode,
	.from_card = scheme_rsa_from_card,
	.to_openssl = scheme_rsa_to_openssl,
	.verify_setup = scheme_pss_verify_setup,
	.sig_parts = 1,
};

/* ---- raw RSA (CKM_RSA_X_509): the operation PIV cards do natively; libp11 makes TLS 1.3
 * RSA-PSS signatures with it ---- */

static CK_RV scheme_x509_check(const mod_sig_op *op, size_t len)
{
	return len > 0 && len <= op->key_bytes ? CKR_OK : CKR_DATA_LEN_RANGE;
}

/* The value, left-padded with zeros to the modulus size. */
static CK_RV scheme_x509_input(const mod_sig_op *op, const uint8_t *src, size_t len, uint8_t *in,
                               size_t cap, size_t *in_len)
{
	if (cap < op->key_bytes || len > op->key_bytes)
		return CKR_GENERAL_ERROR;
	memset(in, 0, op->key_bytes - len);
	memcpy(in + op->key_bytes - len, src, len);
	*in_len = op->key_bytes;
	return CKR_OK;
}

static bool scheme_x509_verify_setup(const mod_sig_op *op, EVP_PKEY_CTX *ctx)
{
	(void)op;
	return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0;
}

const mod_sig_scheme mod_sig_scheme_x509 = {
	.params = scheme_no_params,
	.check = scheme_x509_check,
	.input = scheme_x509_input,
	.encode = scheme_encode_as_is,
	.from_card = scheme_rsa_from_card,
	.to_openssl = scheme_rsa_to_openssl,
	.verify_setup = scheme_x509_verify_setup,
	.sig_parts = 1,
};

/* ---- ECDSA: CKM_ECDSA takes a digest of any non-zero length; only its leftmost field
 * bytes count ---- */

static CK_RV scheme_ecdsa_check(const mod_sig_op *op, size_t len)
{
	(void)op;
	return len > 0 ? CKR_OK : CKR_DATA_LEN_RANGE;
}

static CK_RV scheme_ecdsa_input(const mod_sig_op *op, const uint8_t *src, size_t len, uint8_t *in,
                                size_t cap, size_t *in_len)
{
	if (cap < op->key_bytes)
		return CKR_GENERAL_ERROR;
	mod_pad_ecdsa_fit(src, len, in, op->key_bytes);
	*in_len = op->key_bytes;
	return CKR_OK;
}

/* The card answers a DER ECDSA-Sig-Value; PKCS#11 carries r||s. */
static CK_RV scheme_ecdsa_from_card(const mod_sig_op *op, const uint8_t *out, size_t out_len,
                                    uint8_t *sig)
{
	return mod_pad_ecdsa_raw(out, out_len, sig, op->key_bytes);
}

/* No padding to choose: the key says ECDSA. */
static bool scheme_ecdsa_verify_setup(const mod_sig_op *op, EVP_PKEY_CTX *ctx)
{
	(void)op;
	(void)ctx;
	return true;
}

const mod_sig_scheme mod_sig_scheme_ecdsa = {
	.params = scheme_no_params,
	.check = scheme_ecdsa_check,
	.input = scheme_ecdsa_input,
	.encode = scheme_encode_as_is,
	.from_card = scheme_ecdsa_from_card,
	.to_openssl = mod_pad_ecdsa_der,
	.verify_setup = scheme_ecdsa_verify_setup,
	.sig_parts = 2,
};
