/* The request's attestation attribute as the bank reads it: the bundle's ASN.1 is common's
 * (attest_asn1.c, shared with the client that builds it); here, the PKCS#10 attribute's rule of
 * exactly one value. */
#include "bankd_attest.h"
#include "attest_asn1.h"

#include <string.h>

#include <openssl/objects.h>

void bankd_attest_evidence_free(bankd_attest_evidence *ev)
{
	X509_free(ev->att);
	sk_X509_pop_free(ev->certs, X509_free);
	ev->att = NULL;
	ev->certs = NULL;
}

int bankd_attest_bundle_decode(const unsigned char *der, size_t n, bankd_attest_evidence *ev)
{
	memset(ev, 0, sizeof *ev);
	return attest_bundle_decode(der, n, &ev->att, &ev->certs);
}

int bankd_attest_decode(const X509_REQ *req, bankd_attest_evidence *ev)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(ATTEST_OID_ATTR, 1);
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
