/* kinko: PKCS#10 requests signed on the token. OpenSSL builds the request body; the token
 * signs its DER (the private key never leaves it); OpenSSL checks the result before the bank
 * sees it, so a wrong signature format is caught here and not as a 400 from the bank. */
#include "kinko_csr.h"
#include "i18n.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

/* sha256WithRSAEncryption takes NULL parameters, ecdsa-with-SHA256 none (RFC 4055, 5758). */
static X509_ALGOR *csr_sig_alg(kinko_key_type type)
{
	X509_ALGOR *alg = X509_ALGOR_new();
	if (alg == NULL)
		return NULL;
	int ok = type == KINKO_KEY_RSA2048 ?
	                 X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL,
	                                 NULL) :
	                 X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF,
	                                 NULL);
	if (!ok) {
		X509_ALGOR_free(alg);
		return NULL;
	}
	return alg;
}

static int csr_set_subject(X509_REQ *req, const char *cn)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);
	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                                  -1, 0) == 1;
}

/* Signs the request's to-be-signed part on the token and installs the signature. */
static int csr_sign_on_token(kinko_ctx *ctx, const kinko_keyobj *k, X509_REQ *req)
{
	unsigned char *tbs = NULL, *sig = NULL;
	size_t sig_len = 0;
	X509_ALGOR *alg = csr_sig_alg(k->type);
	if (alg == NULL || X509_REQ_set1_signature_algo(req, alg) != 1) {
		X509_ALGOR_free(alg);
		kinko_err(ctx, "csr_build_failed", NULL, _("cannot build the certificate request"));
		return KINKO_EXIT_FAIL;
	}
	X509_ALGOR_free(alg);
	int tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
	if (tbs_len <= 0) {
		kinko_err(ctx, "csr_build_failed", NULL,
		          _("cannot encode the certificate request"));
		return KINKO_EXIT_FAIL;
	}
	int rc = kinko_p11_sign(ctx, k, tbs, (size_t)tbs_len, &sig, &sig_len);
	OPENSSL_free(tbs);
	if (rc != KINKO_EXIT_OK)
		return rc;
	ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
	if (bits == NULL || sig_len > INT_MAX ||
	    ASN1_BIT_STRING_set(bits, sig, (int)sig_len) != 1) {
		ASN1_BIT_STRING_free(bits);
		OPENSSL_free(sig);
		kinko_err(ctx, "out_of_memory", NULL, _("out of memory"));
		return KINKO_EXIT_FAIL;
	}
	OPENSSL_free(sig);
	/* A signature is whole bytes: say "0 unused bits" rather than let OpenSSL count the last
	 * byte's trailing zero bits as unused, which would break the signature. */
	bits->flags &= ~(long)0x07;
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	return KINKO_EXIT_OK;
}

int kinko_csr_build(kinko_ctx *ctx, const kinko_keyobj *k, EVP_PKEY *pub, const char *cn,
                    X509_REQ **out)
{
	*out = NULL;
	X509_REQ *req = X509_REQ_new();
	if (req == NULL || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    !csr_set_subject(req, cn) || X509_REQ_set_pubkey(req, pub) != 1) {
		X509_REQ_free(req);
		kinko_err(ctx, "csr_build_failed", NULL, _("cannot build the certificate request"));
		return KINKO_EXIT_FAIL;
	}
	kinko_csr_attest_add(ctx, k, req);
	int rc = csr_sign_on_token(ctx, k, req);
	if (rc != KINKO_EXIT_OK) {
		X509_REQ_free(req);
		return rc;
	}
	/* The self-check: the token signed with the key whose public half the request carries. */
	if (X509_REQ_verify(req, pub) != 1) {
		X509_REQ_free(req);
		kinko_err(ctx, "csr_signature_invalid", "X509_REQ_verify failed",
		          _("the token's signature on the certificate request does not verify"));
		return KINKO_EXIT_TOKEN;
	}
	*out = req;
	return KINKO_EXIT_OK;
}

char *kinko_csr_base64(X509_REQ *req)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	if (n <= 0)
		return NULL;
	/* EVP_EncodeBlock: 4 output characters per 3 input bytes, and the NUL. */
	size_t cap = ((size_t)n + 2) / 3 * 4 + 1;
	char *b64 = OPENSSL_malloc(cap);
	if (b64 != NULL)
		EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	return b64;
}
