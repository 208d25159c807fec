/* libFuzzer target for the bank's reading of a request's key attestation: the input as a DER
 * PKCS#10 request through bankd_attest_decode, or else as the attribute's AttestationBundle
 * through bankd_attest_bundle_decode; whatever decodes goes through bankd_attest_check (a store
 * with one throwaway root, the request's key or the attested one) and must give a known rule.
 * A bundle that decodes must re-encode and decode again to the same attestation certificate. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "attest_asn1.h"
#include "bankd_attest.h"

#include <openssl/x509.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_csr_evidence_verify(const bankd_attest_evidence *ev, EVP_PKEY *pub)
{
	static X509_STORE *roots;
	char serial[BANKD_ATTEST_SERIAL_MAX];
	bankd_attest_rule rule;

	if (roots == NULL)
		roots = X509_STORE_new();
	rule = bankd_attest_check(ev, roots, pub, 1800000000, serial);
	check(rule >= BANKD_ATTEST_OK && rule <= BANKD_ATTEST_NO_SERIAL);
	check(bankd_attest_rule_explain(rule) != NULL);
	check(strlen(serial) < BANKD_ATTEST_SERIAL_MAX);
}

/* Encode what decoded, decode it again: the same attestation certificate. */
static void fuzz_csr_evidence_roundtrip(const bankd_attest_evidence *ev)
{
	unsigned char *der = NULL;
	size_t n = 0;
	bankd_attest_evidence again;

	if (attest_bundle_encode(ev->att, ev->certs, &der, &n) != 0)
		return;
	check(bankd_attest_bundle_decode(der, n, &again) == 0);
	check(X509_cmp(ev->att, again.att) == 0);
	check(sk_X509_num(again.certs) == sk_X509_num(ev->certs));
	bankd_attest_evidence_free(&again);
	OPENSSL_free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req = size <= LONG_MAX ? d2i_X509_REQ(NULL, &p, (long)size) : NULL;
	bankd_attest_evidence ev;
	int rc;

	if (req != NULL) {
		rc = bankd_attest_decode(req, &ev);
		check(rc >= -1 && rc <= 1);
		check(rc == 1 || (ev.att == NULL && ev.certs == NULL));
		if (rc == 1) {
			fuzz_csr_evidence_verify(&ev, X509_REQ_get0_pubkey(req));
			fuzz_csr_evidence_roundtrip(&ev);
		}
		bankd_attest_evidence_free(&ev);
		X509_REQ_free(req);
		return 0;
	}
	if (bankd_attest_bundle_decode(data, size, &ev) == 0) {
		check(ev.att != NULL && ev.certs != NULL);
		fuzz_csr_evidence_verify(&ev, X509_get0_pubkey(ev.att));
		fuzz_csr_evidence_roundtrip(&ev);
		bankd_attest_evidence_free(&ev);
	}
	return 0;
}
