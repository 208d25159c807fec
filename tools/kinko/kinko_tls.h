/* kinko: mutual TLS for libcurl with a key that stays on the token (kinko_tls.c).
 * ALL token-key loading for TLS lives in kinko_tls.c (libp11's library API today), so an
 * OpenSSL pkcs11 provider can replace it without touching the callers. */
#ifndef KINKO_TLS_H
#define KINKO_TLS_H

#include <curl/curl.h>

#include "kinko.h"
#include "kinko_p11.h"

/* The token key of one certificate, loaded for TLS. Must outlive every transfer of the curl
 * handles it was set up on. */
typedef struct kinko_tls kinko_tls;

/* Load k's private key (matched by CKA_ID on ctx's token) through libp11, logging in with
 * kinko_p11_pin(ctx) (call kinko_p11_login first). k->x509 is the client certificate and is
 * copied. On success *out is set and KINKO_EXIT_OK returned; else an exit code (printed). */
int kinko_tls_open(kinko_ctx *ctx, const kinko_keyobj *k, kinko_tls **out);

/* Configure curl for the bank: TLS 1.2 or later, the server verified against cacert (a PEM
 * file; NULL: the system's CAs) with host name checks, and, when t is not NULL, client
 * authentication with t's certificate and token key (CURLOPT_SSL_CTX_FUNCTION). */
int kinko_tls_setup(const kinko_ctx *ctx, kinko_tls *t, CURL *curl, const char *cacert);

void kinko_tls_free(kinko_tls *t);

/* After a failed transfer that used a token key: was the token the cause, whatever layer
 * (curl, TLS) reported it? The token removed (the slot empty, or the session gone with it) or
 * a PKCS#11 error from libp11 under the TLS error: printed in the user's terms and
 * KINKO_EXIT_TOKEN. KINKO_EXIT_OK when the token is fine (the caller says what else failed).
 * errbuf: curl's error text. Clears OpenSSL's error queue. */
int kinko_tls_token_failure(kinko_ctx *ctx, const char *errbuf);

#endif
