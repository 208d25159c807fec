/* kinko: a PKCS#10 certificate request whose signature is made on the token (kinko_csr.c). */
#ifndef KINKO_CSR_H
#define KINKO_CSR_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kinko.h"
#include "kinko_p11.h"

/* A request with subject CN=cn and pub (the public half of k, from kinko_p11_public_key) as its
 * key, signed with k on the token (sha256WithRSAEncryption or ecdsa-with-SHA256), then checked
 * against pub. On success *out is set and KINKO_EXIT_OK returned; else an exit code (printed). */
int kinko_csr_build(kinko_ctx *ctx, const kinko_keyobj *k, EVP_PKEY *pub, const char *cn,
                    X509_REQ **out);

/* The request as base64 of its DER (no line breaks), NUL-terminated, OPENSSL_malloc'd. NULL on
 * failure. */
char *kinko_csr_base64(X509_REQ *req);

#endif
