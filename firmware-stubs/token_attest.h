/* The token's attestation key (F9): made at provisioning with a certificate from the
 * manufacturer's attestation CA, and the X.509 pieces ATTEST builds its certificates with. */
#ifndef KINKO_TOKEN_ATTEST_H
#define KINKO_TOKEN_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "token_state.h"

/* The algorithm of every token's F9 key. */
#define TOK_ATTEST_ALG PIV_ALG_ECCP256

/* Give the token an attestation key and its certificate (object 5FFF01), issued by the
 * manufacturer CA: subject "CN=kinko PIV Attestation, serialNumber=<serial>", valid from
 * now to the CA's notAfter, a CA itself (it signs the attestations) limited to path
 * length 0. 0; -EINVAL when ca_cert is not a CA certificate, -EKEYREJECTED when ca_key is
 * not its key, -EKEYEXPIRED when it is outside its validity, -ENOMEM or -EIO. st is
 * unchanged on error. */
int tok_attest_provision(tok_state *st, X509 *ca_cert, EVP_PKEY *ca_key);

/* A self-signed manufacturer attestation CA for tests and demos: a P-256 key, subject
 * "CN=kinko test attestation CA", valid 20 years from now. 0, -ENOMEM or -EIO. */
int tok_attest_ca_make(X509 **cert, EVP_PKEY **key);

/* A version-3 certificate: random 16-byte positive serial, issuer, subject, public key
 * of pub and validity copied; NULL on failure. */
X509 *tok_attest_cert_new(const X509_NAME *issuer, const X509_NAME *subject, EVP_PKEY *pub,
                          const ASN1_TIME *not_before, const ASN1_TIME *not_after);

/* Add an X.509v3 extension in OpenSSL's configuration syntax ("critical,CA:TRUE"), with
 * issuer as the issuing certificate (NULL: self-signed). 0 or -EIO. */
int tok_attest_ext_conf(X509 *x, X509 *issuer, int nid, const char *value);

/* Add a non-critical extension of a dotted OID with the raw extnValue bytes. 0 or -EIO. */
int tok_attest_ext_raw(X509 *x, const char *oid, const uint8_t *value, size_t len);

/* The F9 certificate stored in the token (object 5FFF01), or NULL when there is none. */
X509 *tok_attest_cert_get(const tok_state *st);

#endif
