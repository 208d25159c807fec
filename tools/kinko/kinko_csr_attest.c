/* kinko: the key's attestation in its certificate request. The module gives the certificate
 * ATTEST answered as a vendor attribute of the private key (one length query and one read; a
 * module or token without attestation says "no such attribute" without asking the token), and
 * the token's F9 certificate as an authority certificate object; the bank checks the chain. */
#include "attest_asn1.h"
#include "kinko_csr.h"
/* By path: the CLI is built apart from the module and needs none of its other headers. */
#include "../../pkcs11/kinko-pkcs11.h"

#include <limits.h>
#include <stdlib.h>

/* DER of a certificate object or attribute, parsed whole (nothing after it). */
static X509 *csr_attest_cert(kinko_ctx *ctx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	size_t len = 0;
	CK_BYTE *der = kinko_p11_attr(ctx, h, type, &len);
	const unsigned char *p = der;
	X509 *x = der != NULL && len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;

	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	free(der);
	return x;
}

/* The token's F9 certificate (the attestation key's, which the manufacturer CA issued). */
static X509 *csr_attest_f9(kinko_ctx *ctx)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_BYTE id = KINKO_CKA_ID_ATTESTATION;
	CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, &id, sizeof id}};
	CK_OBJECT_HANDLE h = 0;
	CK_ULONG n = 0;
	CK_RV rv;

	if (ctx->p11->C_FindObjectsInit(ctx->session, q, 2) != CKR_OK)
		return NULL;
	rv = ctx->p11->C_FindObjects(ctx->session, &h, 1, &n);
	ctx->p11->C_FindObjectsFinal(ctx->session);
	return rv == CKR_OK && n == 1 ? csr_attest_cert(ctx, h, CKA_VALUE) : NULL;
}

void kinko_csr_attest_add(kinko_ctx *ctx, const kinko_keyobj *k, X509_REQ *req)
{
	X509 *att = k->priv != 0 ? csr_attest_cert(ctx, k->priv, CKA_KINKO_ATTESTATION) : NULL;
	X509 *f9 = att != NULL ? csr_attest_f9(ctx) : NULL;
	STACK_OF(X509) *certs = f9 != NULL ? sk_X509_new_null() : NULL;

	/* An attestation without its F9 certificate could not be verified: none is sent. */
	if (certs != NULL && sk_X509_push(certs, f9) > 0) {
		f9 = NULL;
		(void)attest_req_add(req, att, certs);
	}
	X509_free(f9);
	sk_X509_pop_free(certs, X509_free);
	X509_free(att);
}
