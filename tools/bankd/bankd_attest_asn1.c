/* The attestation attribute's ASN.1 (draft-ietf-lamps-csr-attestation-28), by OpenSSL's
 * templates:
 *   AttestationBundle ::= SEQUENCE {
 *      attestations SEQUENCE SIZE (1..MAX) OF AttestationStatement,
 *      certs SEQUENCE SIZE (1..MAX) OF CertificateChoices OPTIONAL }  -- certificate only
 *   AttestationStatement ::= SEQUENCE { type OBJECT IDENTIFIER, stmt ANY DEFINED BY type } */
#include "bankd_attest.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/objects.h>
#include <openssl/safestack.h>

typedef struct bankd_attest_stmt_st {
	ASN1_OBJECT *type;
	ASN1_TYPE *stmt;
} BANKD_ATTEST_STMT;

DEFINE_STACK_OF(BANKD_ATTEST_STMT)

typedef struct bankd_attest_bundle_st {
	STACK_OF(BANKD_ATTEST_STMT) * attestations;
	STACK_OF(X509) * certs;
} BANKD_ATTEST_BUNDLE;

DECLARE_ASN1_FUNCTIONS(BANKD_ATTEST_STMT)
DECLARE_ASN1_FUNCTIONS(BANKD_ATTEST_BUNDLE)

ASN1_SEQUENCE(BANKD_ATTEST_STMT) =
	{
		ASN1_SIMPLE(BANKD_ATTEST_STMT, type, ASN1_OBJECT),
		ASN1_SIMPLE(BANKD_ATTEST_STMT, stmt, ASN1_ANY),
} ASN1_SEQUENCE_END(BANKD_ATTEST_STMT)

		ASN1_SEQUENCE(BANKD_ATTEST_BUNDLE) =
			{
				ASN1_SEQUENCE_OF(BANKD_ATTEST_BUNDLE, attestations,
                                                 BANKD_ATTEST_STMT),
				ASN1_SEQUENCE_OF_OPT(BANKD_ATTEST_BUNDLE, certs, X509),
} ASN1_SEQUENCE_END(BANKD_ATTEST_BUNDLE)

				IMPLEMENT_ASN1_FUNCTIONS(BANKD_ATTEST_STMT)
					IMPLEMENT_ASN1_FUNCTIONS(BANKD_ATTEST_BUNDLE)

						void bankd_attest_evidence_free(
							bankd_attest_evidence * ev)
{
	X509_free(ev->att);
	sk_X509_pop_free(ev->certs, X509_free);
	ev->att = NULL;
	ev->certs = NULL;
}

/* The first statement of kinko's type, its certificate: the whole stmt, nothing after it. */
static X509 *kinko_statement(const BANKD_ATTEST_BUNDLE *b)
{
	ASN1_OBJECT *kinko = OBJ_txt2obj(BANKD_ATTEST_OID_X509, 1);
	X509 *x = NULL;
	int i;

	for (i = 0; kinko != NULL && i < sk_BANKD_ATTEST_STMT_num(b->attestations); i++) {
		const BANKD_ATTEST_STMT *s = sk_BANKD_ATTEST_STMT_value(b->attestations, i);
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

int bankd_attest_bundle_decode(const unsigned char *der, size_t n, bankd_attest_evidence *ev)
{
	const unsigned char *p = der;
	BANKD_ATTEST_BUNDLE *b;
	int ok;

	memset(ev, 0, sizeof *ev);
	if (n == 0 || n > LONG_MAX)
		return -1;
	b = d2i_BANKD_ATTEST_BUNDLE(NULL, &p, (long)n);
	ok = b != NULL && p == der + n && sk_BANKD_ATTEST_STMT_num(b->attestations) > 0 &&
	     (b->certs == NULL || sk_X509_num(b->certs) > 0);
	if (ok && (ev->att = kinko_statement(b)) != NULL) {
		/* Taken over: the bundle frees an empty stack. */
		ev->certs = b->certs != NULL ? b->certs : sk_X509_new_null();
		b->certs = NULL;
		ok = ev->certs != NULL;
	} else {
		ok = 0;
	}
	BANKD_ATTEST_BUNDLE_free(b);
	if (!ok)
		bankd_attest_evidence_free(ev);
	return ok ? 0 : -1;
}

int bankd_attest_decode(const X509_REQ *req, bankd_attest_evidence *ev)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(BANKD_ATTEST_OID_ATTR, 1);
	int loc;
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;
	int rc;

	memset(ev, 0, sizeof *ev);
	if (oid == NULL)
		return -1;
	loc = X509_REQ_get_attr_by_OBJ(req, oid, -1);
	rc = loc < 0 ? 0 : -1;
	/* COUNTS MAX 1: one attribute holding exactly one bundle. */
	if (loc >= 0 && X509_REQ_get_attr_by_OBJ(req, oid, loc) < 0) {
		a = X509_REQ_get_attr(req, loc);
		v = a != NULL && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) :
		                                                NULL;
		if (v != NULL && v->type == V_ASN1_SEQUENCE &&
		    bankd_attest_bundle_decode(ASN1_STRING_get0_data(v->value.sequence),
		                               (size_t)ASN1_STRING_length(v->value.sequence),
		                               ev) == 0)
			rc = 1;
	}
	ASN1_OBJECT_free(oid);
	return rc;
}

int bankd_attest_bundle_encode(X509 *att, STACK_OF(X509) * certs, unsigned char **der, size_t *n)
{
	BANKD_ATTEST_BUNDLE *b = BANKD_ATTEST_BUNDLE_new();
	BANKD_ATTEST_STMT *s = BANKD_ATTEST_STMT_new();
	ASN1_STRING *seq = ASN1_STRING_new();
	unsigned char *cert = NULL;
	int len = i2d_X509(att, &cert);
	int ok;

	*der = NULL;
	ok = b != NULL && s != NULL && seq != NULL && len > 0 &&
	     ASN1_STRING_set(seq, cert, len) == 1 &&
	     (s->type = OBJ_txt2obj(BANKD_ATTEST_OID_X509, 1)) != NULL;
	if (ok && s->stmt == NULL)
		ok = (s->stmt = ASN1_TYPE_new()) != NULL;
	if (ok && b->attestations == NULL)
		ok = (b->attestations = sk_BANKD_ATTEST_STMT_new_null()) != NULL;
	if (ok) {
		ASN1_TYPE_set(s->stmt, V_ASN1_SEQUENCE, seq);
		seq = NULL;
		ok = sk_BANKD_ATTEST_STMT_push(b->attestations, s) > 0;
	}
	if (ok) {
		s = NULL;
		b->certs =
			certs != NULL && sk_X509_num(certs) > 0 ? X509_chain_up_ref(certs) : NULL;
		ok = certs == NULL || sk_X509_num(certs) == 0 || b->certs != NULL;
	}
	len = ok ? i2d_BANKD_ATTEST_BUNDLE(b, der) : -1;
	*n = len > 0 ? (size_t)len : 0;
	OPENSSL_free(cert);
	ASN1_STRING_free(seq);
	BANKD_ATTEST_STMT_free(s);
	BANKD_ATTEST_BUNDLE_free(b);
	return len > 0 ? 0 : -1;
}
