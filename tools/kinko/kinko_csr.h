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

/* kinko_csr_attest.c. When the module attests k (kinko's CKA_KINKO_ATTESTATION on the private
 * key, and the token's F9 certificate), the request gets the attestation attribute of
 * draft-ietf-lamps-csr-attestation. Without it (SoftHSM2, a token without attestation key)
 * nothing is added and nothing said: a bank that requires one refuses the request itself. */
void kinko_csr_attest_add(kinko_ctx *ctx, const kinko_keyobj *k, X509_REQ *req);

/* The request as base64 of its DER (no line breaks), NUL-terminated, OPENSSL_malloc'd. NULL on
 * failure. */
char *kinko_csr_base64(X509_REQ *req);

#endif
