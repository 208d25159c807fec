/* Digests in software (OpenSSL EVP): the mechanism row names the hash, the running context
 * lives in the session's digest slot. No card command, except that C_DigestKey may have to
 * learn a token public key the module has not read yet. */
#include "mod_digest.h"

#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "mod_mech.h"
#include "mod_object.h"
#include "mod_parse.h"
#include "mod_sig.h"
#include "mod_sobj.h"

static void digest_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

CK_RV mod_digest_init(mod_session *sess, const CK_MECHANISM *mech)
{
	const mod_mech *mm;
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	CK_RV rv;

	if (!mech)
		return CKR_ARGUMENTS_BAD;
	if (sess->digest.ctx)
		return CKR_OPERATION_ACTIVE;
	rv = mod_mech_for(mech, CKF_DIGEST, &mm);
	if (rv != CKR_OK)
		return rv;
	/* The SHA mechanisms take no parameter. */
	if (mech->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	md = mod_pad_md(mm->hash);
	if (!md)
		return CKR_MECHANISM_INVALID;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return CKR_HOST_MEMORY;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		ERR_clear_error();
		return CKR_FUNCTION_FAILED;
	}
	sess->digest.mech = mm->type;
	sess->digest.key = CK_INVALID_HANDLE;
	sess->digest.ctx = ctx;
	sess->digest.ctx_free = digest_ctx_free;
	sess->digest.multipart = false;
	return CKR_OK;
}

/* The length query and the too-small buffer: answered before any work, and the operation
 * stays active (PKCS#11 3.0 5.2). True when answered (*rv set). */
static bool digest_len_answer(const EVP_MD_CTX *ctx, const CK_BYTE *out, CK_ULONG *out_len,
                              CK_RV *rv)
{
	CK_ULONG need = (CK_ULONG)EVP_MD_get_size(EVP_MD_CTX_get0_md(ctx));

	if (out && *out_len >= need)
		return false;
	*rv = out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	*out_len = need;
	return true;
}

static CK_RV digest_feed(EVP_MD_CTX *ctx, const CK_BYTE *data, CK_ULONG len)
{
	if (len == 0)
		return CKR_OK;
	if (EVP_DigestUpdate(ctx, data, len) != 1) {
		ERR_clear_error();
		return CKR_FUNCTION_FAILED;
	}
	return CKR_OK;
}

static CK_RV digest_out(EVP_MD_CTX *ctx, CK_BYTE *out, CK_ULONG *out_len)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(ctx, out, &n) != 1) {
		ERR_clear_error();
		return CKR_FUNCTION_FAILED;
	}
	*out_len = n;
	return CKR_OK;
}

/* C_Digest (parts false: data is all of it) and C_DigestFinal (parts true). C_Digest
 * cannot finish a multi-part operation (PKCS#11 3.0 5.8: "must be called after
 * C_DigestInit without intervening C_DigestUpdate calls"): CKR_OPERATION_NOT_INITIALIZED,
 * as C_Sign answers after C_SignUpdate. */
static CK_RV digest_end(mod_session *sess, bool parts, const CK_BYTE *data, CK_ULONG len,
                        CK_BYTE *out, CK_ULONG *out_len)
{
	EVP_MD_CTX *ctx = sess->digest.ctx;
	CK_RV rv = CKR_OK;

	if (!ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!out_len || (!parts && !data && len > 0))
		rv = CKR_ARGUMENTS_BAD;
	else if (!parts && sess->digest.multipart)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (digest_len_answer(ctx, out, out_len, &rv))
		return rv;
	if (rv == CKR_OK && !parts)
		rv = digest_feed(ctx, data, len);
	if (rv == CKR_OK)
		rv = digest_out(ctx, out, out_len);
	mod_session_op_clear(&sess->digest);
	return rv;
}

CK_RV mod_digest_oneshot(mod_session *sess, const CK_BYTE *data, CK_ULONG len, CK_BYTE *out,
                         CK_ULONG *out_len)
{
	return digest_end(sess, false, data, len, out, out_len);
}

CK_RV mod_digest_final(mod_session *sess, CK_BYTE *out, CK_ULONG *out_len)
{
	return digest_end(sess, true, NULL, 0, out, out_len);
}

/* A part of a multi-part digest; an error ends the operation (C_DigestUpdate's rule). */
static CK_RV digest_part(mod_session *sess, const CK_BYTE *part, CK_ULONG len)
{
	CK_RV rv = digest_feed(sess->digest.ctx, part, len);

	if (rv != CKR_OK)
		mod_session_op_clear(&sess->digest);
	else
		sess->digest.multipart = true;
	return rv;
}

CK_RV mod_digest_update(mod_session *sess, const CK_BYTE *part, CK_ULONG len)
{
	if (!sess->digest.ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!part && len > 0) {
		mod_session_op_clear(&sess->digest);
		return CKR_ARGUMENTS_BAD;
	}
	return digest_part(sess, part, len);
}

/* The DER SubjectPublicKeyInfo of a token public key (OPENSSL_free it). */
static CK_RV digest_key_spki(mod_slot *slot, CK_OBJECT_HANDLE key, uint8_t **der, size_t *len)
{
	const uint8_t *pub = NULL;
	size_t pub_len = 0;
	mod_obj_kind kind;
	unsigned index;
	card_pubkey pk;
	mod_token *t;
	CK_RV rv = mod_object_check(slot, key, &index, &kind);

	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if (kind == MOD_OBJ_PRIVATE)
		return CKR_KEY_INDIGESTIBLE;
	if (kind != MOD_OBJ_PUBLIC)
		return CKR_KEY_HANDLE_INVALID; /* a certificate or the PIN counters: no key */
	rv = mod_token_get(slot, &t);
	if (rv == CKR_OK)
		rv = mod_token_pubkey(slot, t, index, &pub, &pub_len);
	if (rv != CKR_OK)
		return rv;
	if (!card_pubkey_parse(t->keys[index].alg, pub, pub_len, &pk) ||
	    mod_parse_pubkey_spki(&pk, der, len) != MOD_PARSE_OK) {
		ERR_clear_error();
		return CKR_DEVICE_ERROR; /* the token described its key badly */
	}
	return CKR_OK;
}

/* A session key's bytes (mod_sobj.c: a secret key's value, a public key's
 * SubjectPublicKeyInfo), wiped once hashed. */
static CK_RV digest_key_session(mod_session *sess, mod_slot *slot, CK_OBJECT_HANDLE key)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	CK_RV rv = mod_sobj_digest_bytes(slot, sess, key, &bytes, &len);

	if (rv != CKR_OK) {
		mod_session_op_clear(&sess->digest);
		return rv;
	}
	rv = digest_part(sess, bytes, (CK_ULONG)len);
	OPENSSL_cleanse(bytes, len);
	free(bytes);
	return rv;
}

/* An error ends the operation, as for C_DigestUpdate: the caller cannot tell whether part
 * of the key went into the hash. */
CK_RV mod_digest_key(mod_session *sess, mod_slot *slot, CK_OBJECT_HANDLE key)
{
	uint8_t *der = NULL;
	size_t len = 0;
	CK_RV rv;

	if (!sess->digest.ctx)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (mod_sobj_is_handle(key))
		return digest_key_session(sess, slot, key);
	rv = digest_key_spki(slot, key, &der, &len);
	if (rv != CKR_OK) {
		mod_session_op_clear(&sess->digest);
		return rv;
	}
	rv = digest_part(sess, der, (CK_ULONG)len);
	OPENSSL_free(der);
	return rv;
}
