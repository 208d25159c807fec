/* kinko: the EST client (RFC 7030) on libcurl: simpleenroll with the bank credentials,
 * simplereenroll over mutual TLS with the current certificate (kinko_est.c). */
#ifndef KINKO_EST_H
#define KINKO_EST_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "kinko.h"
#include "kinko_tls.h"

typedef struct {
	const char *bank_url; /* https://host[:port][/] */
	const char *cacert; /* PEM file with the bank's CA: the TLS server is verified against it */
	long max_wait;      /* seconds an enrollment may stay pending (202) before giving up */
	/* simpleenroll: Basic user ("A" or "A/ニ") and password (イ or ト), the confirmation PIN
	 * (ロ or チ) in Kinko-Confirmation-PIN. All NULL for simplereenroll. */
	const char *user;
	const char *password;
	const char *confirmation;
	kinko_tls *tls; /* simplereenroll: client authentication with the current key */
} kinko_est_req;

/* POST the request to /.well-known/est/simpleenroll (r->tls NULL) or simplereenroll (r->tls
 * set). A 202 is retried after its Retry-After (seconds or an HTTP date), never waiting more
 * than r->max_wait in all. On success *cert is the issued certificate (the first of the
 * certs-only answer) and KINKO_EXIT_OK is returned. Otherwise, printed: KINKO_EXIT_BANK (401,
 * 403, or still pending at max_wait: "the bank refused: <its reason>"), KINKO_EXIT_NETWORK (no
 * connection), KINKO_EXIT_VERIFY (the server's TLS certificate is not from r->cacert's CA),
 * KINKO_EXIT_FAIL (another answer). */
int kinko_est_enroll(kinko_ctx *ctx, const kinko_est_req *r, X509_REQ *req, X509 **cert);

/* Is the bank there, and is its TLS certificate from cacert's CA? A GET of
 * /.well-known/est/cacerts, before any key is generated (a token needs seconds for an RSA key)
 * and before the user types a bank secret. KINKO_EXIT_OK, or printed as for kinko_est_enroll:
 * KINKO_EXIT_NETWORK, KINKO_EXIT_VERIFY, KINKO_EXIT_FAIL. */
int kinko_est_reach(kinko_ctx *ctx, const char *bank_url, const char *cacert);

/* The certificates of a certs-only CMS (PKCS#7 signed-data) given as base64 text (line breaks
 * allowed). NULL when it is not one. */
STACK_OF(X509) * kinko_est_parse_certs(const char *b64, size_t len);

/* A Retry-After value (RFC 9110 10.2.3: delay-seconds or an HTTP-date; blanks around it
 * allowed; n bytes, no NUL needed) as seconds from now, at most one day; 0 for a date already
 * past; -1 when it is neither. */
long kinko_est_retry_after(const char *v, size_t n);

/* Seconds to wait before asking again about a pending (202) enrollment: the bank's Retry-After
 * (-1: none) when shorter, else KINKO_EST_WAIT_MAX, never past the remaining --max-wait and
 * at least 1. */
#define KINKO_EST_WAIT_MAX 10L
long kinko_est_next_wait(long retry_after, long remaining);

/* The Accept-Language header line every request to the bank carries, so the bank's own texts
 * come in the user's language: "Accept-Language: ja, en;q=0.5" when kinko's messages are
 * Japanese (LC_MESSAGES "ja..."), else "Accept-Language: en". */
const char *kinko_est_accept_language(void);

#endif
