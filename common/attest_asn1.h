/* The key attestation a PKCS#10 request carries (draft-ietf-lamps-csr-attestation-28): the
 * attribute id-aa-attestation holding one AttestationBundle. One codec for the client that
 * builds it (kinko) and the bank that reads it (kinko-bankd). */
#ifndef KINKO_ATTEST_ASN1_H
#define KINKO_ATTEST_ASN1_H

#include <stddef.h>

#include <openssl/x509.h>

/* { id-aa 59 }: early-allocated as id-aa-evidence, named id-aa-attestation since -23. */
#define ATTEST_OID_ATTR "1.2.840.113549.1.9.16.2.59"
/* The draft defines no statement type; kinko's: stmt is the DER attestation certificate. */
#define ATTEST_OID_X509 "1.3.6.1.4.1.32473.2.1"

/* The attribute's value (a DER AttestationBundle) of one kinko statement for att and the
 * chain certs (NULL or empty: no certs field). *der OPENSSL_malloc'ed; 0 or -1. */
int attest_bundle_encode(X509 *att, STACK_OF(X509) * certs, unsigned char **der, size_t *n);
/* A bundle's DER: the first kinko statement's certificate into *att and the certs sent with it
 * into *certs (an empty stack when none). 0, or -1 malformed (not the bundle's syntax, no
 * kinko statement, trailing bytes): then both NULL. */
int attest_bundle_decode(const unsigned char *der, size_t n, X509 **att, STACK_OF(X509) * *certs);
/* Adds the attribute holding att's bundle to req (before it is signed). 0 or -1. */
int attest_req_add(X509_REQ *req, X509 *att, STACK_OF(X509) * certs);

#endif
