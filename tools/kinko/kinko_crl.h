/* A certificate's revocation state from its bank's CRL (kinko_crl.c). */
#ifndef KINKO_CRL_H
#define KINKO_CRL_H

#include <stddef.h>

#include <openssl/x509.h>

typedef enum {
	KINKO_CRL_GOOD,        /* on no CRL entry of a verified, current CRL */
	KINKO_CRL_REVOKED,     /* listed; detail: the reason in words ("superseded") or "" */
	KINKO_CRL_UNKNOWN,     /* detail: why (CRL out of reach, CA not pinned, bad signature) */
	KINKO_CRL_NOT_CHECKED, /* the certificate names no CRL */
} kinko_crl_state;

/* Fetch (once per run and URL) the CRL cert names, verify it with the pinned CA that issued
 * cert, and look cert up. Never fails: a problem is KINKO_CRL_UNKNOWN with its reason. */
kinko_crl_state kinko_crl_check(X509 *cert, char *detail, size_t cap);
/* Free the CRL kept for the run. */
void kinko_crl_cleanup(void);

#endif
