/* Key attestation at enrollment: the CSR attribute of draft-ietf-lamps-csr-attestation-28
 * (id-aa-attestation, an AttestationBundle) carrying the token's attestation certificate and
 * its chain, the manufacturer roots the bank trusts, and the checks made on them. */
#ifndef KINKO_BANKD_ATTEST_H
#define KINKO_BANKD_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The manufacturer CAs init --attestation-root stored, PEM. */
#define BANKD_ATTEST_ROOTS_FILE "attestation-roots.pem"
#define BANKD_ATTEST_MAX_ROOTS 16
#define BANKD_ATTEST_SERIAL_MAX 24

/* A contract's demand (contract add --attestation): stored as its word. */
typedef enum { BANKD_ATTEST_OFF, BANKD_ATTEST_OPTIONAL, BANKD_ATTEST_REQUIRED } bankd_attest_policy;

/* Why a request's attestation is refused; OK when it passes. */
typedef enum {
	BANKD_ATTEST_OK,
	BANKD_ATTEST_MISSING,   /* required, and the request carries none */
	BANKD_ATTEST_MALFORMED, /* the attribute or the certificate cannot be read */
	BANKD_ATTEST_UNTRUSTED, /* the chain does not lead to a trusted manufacturer root */
	BANKD_ATTEST_EXPIRED,   /* it does, but a certificate is not valid at the bank's clock */
	BANKD_ATTEST_OTHER_KEY, /* it attests another key than the request's */
	BANKD_ATTEST_IMPORTED,  /* the key was not generated on the token */
	BANKD_ATTEST_PIN_NEVER, /* the key is usable without its PIN */
	BANKD_ATTEST_NO_SERIAL  /* no token serial to record */
} bankd_attest_rule;

/* The attribute's contents: the attestation certificate and the certificates sent with it. */
typedef struct bankd_attest_evidence {
	X509 *att;
	STACK_OF(X509) * certs;
} bankd_attest_evidence;

/* bankd_attest_asn1.c. The request's attribute: 1 there (ev filled), 0 absent, -1 malformed
 * (more than one attribute or value, not the bundle's syntax, no kinko statement, trailing
 * bytes). */
int bankd_attest_decode(const X509_REQ *req, bankd_attest_evidence *ev);
void bankd_attest_evidence_free(bankd_attest_evidence *ev);
/* The bundle's DER (the attribute value) into ev: 0, or -1 malformed. */
int bankd_attest_bundle_decode(const unsigned char *der, size_t n, bankd_attest_evidence *ev);

/* bankd_attest.c. "required", "optional", "off": 0, or -1 for another word. */
int bankd_attest_policy_parse(const char *word, bankd_attest_policy *p);
const char *bankd_attest_policy_word(bankd_attest_policy p);
/* A stored word in the staff's terms (English, marked N_: the caller translates). */
const char *bankd_attest_policy_explain(const char *word);
/* The checks in order: chain to a root of roots (NULL: none trusted) at now, the attested key
 * is pub, origin generated, PIN policy not never, the token serial (decimal) into serial. */
bankd_attest_rule bankd_attest_check(const bankd_attest_evidence *ev, X509_STORE *roots,
                                     EVP_PKEY *pub, time_t now,
                                     char serial[BANKD_ATTEST_SERIAL_MAX]);
/* The refusal in the user's terms (English, marked N_: the caller translates). */
const char *bankd_attest_rule_explain(bankd_attest_rule rule);
/* init --attestation-root: every file's certificates (CA certificates only) into
 * DIR/attestation-roots.pem. 0, or -1 with the reason printed. */
int bankd_attest_roots_write(const char *dir, const char *const *files, size_t n);
/* DIR/attestation-roots.pem as a store: 1 loaded, 0 no such file (*roots NULL), -1 error. */
int bankd_attest_roots_load(const char *dir, X509_STORE **roots);

#endif
