/* The attestation attribute's ASN.1 (draft-ietf-lamps-csr-attestation-28), by OpenSSL's
 * templates:
 *   AttestationBundle ::= SEQUENCE {
 *      attestations SEQUENCE SIZE (1..MAX) OF AttestationStatement,
 *      certs SEQUENCE SIZE (1..MAX) OF CertificateChoices OPTIONAL }  -- certificate only
 *   AttestationStatement ::= SEQUENCE { type OBJECT IDENTIFIER, stmt ANY DEFINED BY type } */
#include "attest_asn1.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/safestack.h>

typedef struct attest_stmt_st {
	ASN1_OBJECT *type;
	ASN1_TYPE *stmt;
} ATTEST_STMT;

DEFINE_STACK_OF(ATTEST_STMT)

typedef struct attest_bundle_st {
	STACK_OF(ATTEST_STMT) * attestations;
	STACK_OF(X509) * certs;
} ATTEST_BUNDLE;

DECLARE_ASN1_FUNCTIONS(ATTEST_STMT)
DECLARE_ASN1_FUNCTIONS(ATTEST_BUNDLE)

/* The first statement of kinko's type, its certificate: the whole stmt, nothing after it. */
static X509 *kinko_statement(const ATTEST_BUNDLE *b)
{
	ASN1_OBJECT *kinko = OBJ_txt2obj(ATTEST_OID_X509, 1);
	X509 *x = NULL;
	int i;

	for (i = 0; kinko != NULL && i < sk_ATTEST_STMT_num(b->attestations); i++) {
		const ATTEST_STMT *s = sk_ATTEST_STMT_value(b->attestations, i);
		const unsigned char *p;
		const ASN1_STRING *seq;

		if (OBJ_cmp(s->type, kinko) != 0)
			continue;
		if (s->stmt->type != V_ASN1_SEQUENCE)
			break;
		seq = s->stmt->value.sequence;
		p = ASN1_STRING_get0_data(seq);
		x = d2i_X509(NULL, &p, ASN1_STRING_length(seq));
		if (x != NULL && p != ASN1_STRING_get0_data(seq) + ASN1_STRING_length(seq)) {
			X509_free(x);
			x = NULL;
		}
		break;
	}
	ASN1_OBJECT_free(kinko);
	return x;
}

int attest_bundle_decode(const unsigned char *der, size_t n, X509 **att, STACK_OF(X509) * *certs)
{
	const unsigned char *p = der;
	ATTEST_BUNDLE *b;
	int ok;

	*att = NULL;
	*certs = NULL;
	if (n == 0 || n > LONG_MAX)
		return -1;
	b = d2i_ATTEST_BUNDLE(NULL, &p, (long)n);
	ok = b != NULL && p == der + n && sk_ATTEST_STMT_num(b->attestations) > 0 &&
	     (b->certs == NULL || sk_X509_num(b->certs) > 0);
	if (ok && (*att = kinko_statement(b)) != NULL) {
		/* Taken over: the bundle frees an empty stack. */
		*certs = b->certs != NULL ? b->certs : sk_X509_new_null();
		b->certs = NULL;
		ok = *certs != NULL;
	} else {
		ok = 0;
	}
	ATTEST_BUNDLE_free(b);
	if (!ok) {
		X509_free(*att);
		*att = NULL;
	}
	return ok ? 0 : -1;
}

int attest_bundle_encode(X509 *att, STACK_OF(X509) * certs, unsigned char **der, size_t *n)
{
	ATTEST_BUNDLE *b = ATTEST_BUNDLE_new();
	ATTEST_STMT *s = ATTEST_STMT_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	unsigned char *cert = NULL;
	int len = i2d_X509(att, &cert);
	int ok;

	*der = NULL;
	ok = b != NULL && s != NULL && seq != NULL && len > 0 &&
	     ASN1_STRING_set(seq, cert, len) == 1 &&
	     (s->type = OBJ_txt2obj(ATTEST_OID_X509, 1)) != NULL;
	if (ok && s->stmt == NULL)
		ok = (s->stmt = ASN1_TYPE_new()) != NULL;
	if (ok && b->attestations == NULL)
		ok = (b->attestations = sk_ATTEST_STMT_new_null()) != NULL;
	if (ok) {
		ASN1_TYPE_set(s->stmt, V_ASN1_SEQUENCE, seq);
		seq = NULL;
		ok = sk_ATTEST_STMT_push(b->attestations, s) > 0;
	}
	if (ok) {
		s = NULL;
		b->certs =
			certs != NULL && sk_X509_num(certs) > 0 ? X509_chain_up_ref(certs) : NULL;
		ok = certs == NULL || sk_X509_num(certs) == 0 || b->certs != NULL;
	}
	len = ok ? i2d_ATTEST_BUNDLE(b, der) : -1;
	*n = len > 0 ? (size_t)len : 0;
	OPENSSL_free(cert);
	ASN1_STRING_free(seq);
	ATTEST_STMT_free(s);
	ATTEST_BUNDLE_free(b);
	return len > 0 ? 0 : -1;
}

int attest_req_add(X509_REQ *req, X509 *att, STACK_OF(X509) * certs)
{
	unsigned char *der = NULL;
	size_t n = 0;
	int ok = attest_bundle_encode(att, certs, &der, &n) == 0 && n <= INT_MAX &&
	         X509_REQ_add1_attr_by_txt(req, ATTEST_OID_ATTR, V_ASN1_SEQUENCE, der, (int)n) == 1;

	OPENSSL_free(der);
	return ok ? 0 : -1;
}

/* The templates, last: their macros end without a semicolon, which clang-format cannot indent
 * (the functions above use them through DECLARE_ASN1_FUNCTIONS). */
// clang-format off
ASN1_SEQUENCE(ATTEST_STMT) = {
	ASN1_SIMPLE(ATTEST_STMT, type, ASN1_OBJECT),
	ASN1_SIMPLE(ATTEST_STMT, stmt, ASN1_ANY),
} ASN1_SEQUENCE_END(ATTEST_STMT)

ASN1_SEQUENCE(ATTEST_BUNDLE) = {
	ASN1_SEQUENCE_OF(ATTEST_BUNDLE, attestations, ATTEST_STMT),
	ASN1_SEQUENCE_OF_OPT(ATTEST_BUNDLE, certs, X509),
} ASN1_SEQUENCE_END(ATTEST_BUNDLE)

IMPLEMENT_ASN1_FUNCTIONS(ATTEST_STMT)
IMPLEMENT_ASN1_FUNCTIONS(ATTEST_BUNDLE)
