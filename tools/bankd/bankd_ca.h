/* The bank's CA: creation, loading, issuing client certificates, CRLs, certs-only CMS. */
#ifndef KINKO_BANKD_CA_H
#define KINKO_BANKD_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct bankd_ca {
	EVP_PKEY *key;
	X509 *cert;
	X509_STORE *store;
} bankd_ca;

typedef struct bankd_revoked {
	char serial[48];
	int64_t revoked_at;
	int reason;
} bankd_revoked;

/* Writes DIR/ca.key, ca.crt, server.key, server.crt. rsa: RSA-3072 CA key, else P-256.
 * names: the server certificate's DNS names or IP addresses (SAN). */
int bankd_ca_create(const char *dir, const char *bank_code, const char *bank_name, int rsa,
                    const char *const *names, size_t n_names, time_t now);
int bankd_ca_load(const char *dir, bankd_ca *ca);
void bankd_ca_free(bankd_ca *ca);

/* Issues a client certificate for pub: subject CN/O/OU as given, 1 year from now, clientAuth,
 * digitalSignature, AKI/SKI, the CRL distribution point. serial gets the hex serial. */
X509 *bankd_ca_issue(const bankd_ca *ca, EVP_PKEY *pub, const char *cn, const char *o,
                     const char *ou, time_t now, const char *crl_url, char serial[48]);
/* A CRL listing the revoked serials, valid for a day. *der is OPENSSL_malloc'ed. */
int bankd_ca_crl(const bankd_ca *ca, const bankd_revoked *r, size_t n, int64_t number, time_t now,
                 uint8_t **der, size_t *der_len);
/* base64 of a DER certs-only SignedData holding certs (malloc'ed). */
char *bankd_ca_certs_only(X509 *const *certs, size_t n);
/* Verifies a client certificate chains to the CA at time now, for client use.
 * NULL when fine, else the reason in plain words. */
const char *bankd_ca_verify_client(const bankd_ca *ca, X509 *cert, time_t now);
/* SHA-256 of a certificate's DER and of its SubjectPublicKeyInfo, in hex. */
int bankd_ca_fingerprints(X509 *cert, char cert_sha256[65], char key_sha256[65]);
/* SHA-256 of a key's SubjectPublicKeyInfo, in hex. */
int bankd_ca_key_fingerprint(EVP_PKEY *key, char key_sha256[65]);
/* The certificate's subject as a one-line string (RFC 2253). */
void bankd_ca_subject(X509 *cert, char *buf, size_t len);

#endif
