/* kinko's PKCS#11 layer: any module (kinko's, SoftHSM2, OpenSC), loaded with p11-kit; tokens
 * and objects named by RFC 7512 URIs. Implemented in kinko_p11*.c. */
#ifndef KINKO_P11_H
#define KINKO_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kinko.h"

typedef enum { KINKO_KEY_RSA2048 = 1, KINKO_KEY_P256 = 2 } kinko_key_type;

typedef struct {
	CK_OBJECT_HANDLE priv, pub, cert; /* 0 when absent */
	CK_BYTE id[64];
	size_t id_len;
	char label[128];
	kinko_key_type type;
	X509 *x509;    /* parsed certificate, NULL when none */
	char uri[512]; /* pkcs11: URI of the certificate (or key) */
} kinko_keyobj;

/* Load the module, pick the token (the one matching ctx->token_uri, else the only initialised
 * token present; several without --token: listed, KINKO_EXIT_USAGE), open an R/W session.
 * Returns an exit code; on failure prints why. */
int kinko_p11_open(kinko_ctx *ctx);
void kinko_p11_close(kinko_ctx *ctx);

/* Token PIN login (opens the token first when needed): PIN from --pin-file/--pin-fd/secrets
 * (token_pin)/prompt; handles the forced first change (CKF_USER_PIN_TO_BE_CHANGED) unless
 * --no-pin-change. A wrong PIN is reported with the tries the token flags show ("wrong token
 * PIN: 1 try left before it locks") and gives KINKO_EXIT_TOKEN. */
int kinko_p11_login(kinko_ctx *ctx);
/* The PIN used at login, for libp11 (kinko_tls.c) which logs in itself; NUL-terminated,
 * wiped at kinko_p11_close. NULL before a login. */
const char *kinko_p11_pin(const kinko_ctx *ctx);

/* Key pairs with certificates (or without), as a list; caller frees with kinko_keyobj_free. */
int kinko_p11_list(kinko_ctx *ctx, kinko_keyobj **objs, size_t *n);
void kinko_keyobj_free(kinko_keyobj *objs, size_t n);
/* An attribute's value of object h, malloc'd; NULL when the object has none (or it is empty). */
CK_BYTE *kinko_p11_attr(kinko_ctx *ctx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, size_t *len);

/* Generate a key pair on the token (logs in when needed): sensitive, never extractable. On
 * kinko's module no CKA_ID is given (the module picks the PIV slot) and the id is read back;
 * on other modules a fresh random 8-byte id is used. Fills out (handles, id, type, label,
 * uri). A full token: "the token is full: no free key slot", KINKO_EXIT_TOKEN. */
int kinko_p11_generate(kinko_ctx *ctx, kinko_key_type type, const char *label, kinko_keyobj *out);
/* Remove a key pair (both halves) and its certificate if any. Exit code. */
int kinko_p11_destroy(kinko_ctx *ctx, const kinko_keyobj *k);
/* The public key of k as an OpenSSL EVP_PKEY (from CKA_MODULUS/CKA_PUBLIC_EXPONENT or
 * CKA_EC_PARAMS/CKA_EC_POINT). NULL on failure (printed). */
EVP_PKEY *kinko_p11_public_key(kinko_ctx *ctx, const kinko_keyobj *k);
/* Sign data (not a digest) with k's private key: RSA as CKM_SHA256_RSA_PKCS, EC as CKM_ECDSA
 * over SHA-256 computed here (SoftHSM2 has no CKM_ECDSA_SHA256), returned as the DER
 * ECDSA-Sig-Value X.509 expects. *sig is OPENSSL_malloc'd. Exit code. */
int kinko_p11_sign(kinko_ctx *ctx, const kinko_keyobj *k, const unsigned char *data, size_t len,
                   unsigned char **sig, size_t *sig_len);
/* Write cert as the certificate object of k (same CKA_ID, CKA_LABEL label). Exit code. */
int kinko_p11_write_cert(kinko_ctx *ctx, const kinko_keyobj *k, X509 *cert, const char *label);
/* Remove only the certificate object of k. Exit code. */
int kinko_p11_delete_cert(kinko_ctx *ctx, const kinko_keyobj *k);

/* ---- tokens, PINs and failures in user terms ---- */
/* Load and initialise ctx->module only, no token chosen (token list). Exit code. */
int kinko_p11_load(kinko_ctx *ctx);
/* Slots holding a token, those matching ctx->token_uri when given; *slots is malloc'd.
 * Exit code (2 for a URI that does not parse). */
int kinko_p11_tokens(kinko_ctx *ctx, CK_SLOT_ID **slots, size_t *n);
/* The token's pkcs11: URI (token, manufacturer, model, serial). false when it does not fit. */
bool kinko_p11_token_uri(const CK_TOKEN_INFO *ti, char *buf, size_t cap);
/* The state in words from the token flags of the user PIN (so: the PUK): "ok", "must be
 * changed" (the PIN only), "tries used (fewer left)", "1 try left", "locked". */
const char *kinko_p11_pin_state(CK_FLAGS flags, bool so);
/* The slots of the module (present: those holding a token); *slots is malloc'd, NULL when
 * there are none or on failure. The module's answer; nothing is reported. */
CK_RV kinko_p11_slot_list(kinko_ctx *ctx, bool present, CK_SLOT_ID **slots, CK_ULONG *n);
/* The chosen token's info, opening it first when needed; a failure is reported ("cannot
 * read the token"). Exit code. */
int kinko_p11_token_info(kinko_ctx *ctx, CK_TOKEN_INFO *ti);
/* kinko's own module (kinko_p11_vendor.c, from the module's kinko-pkcs11.h): the exact tries
 * left of the PIN (so: the PUK), -1 on other modules; the key slots a key generated without a
 * CKA_ID can still go to (on the token in slot, no login needed), -1 on other modules or when
 * unknown. */
long kinko_p11_vendor_tries_left(kinko_ctx *ctx, bool so);
int kinko_p11_vendor_free_slots(kinko_ctx *ctx, CK_SLOT_ID slot);
/* Make s safe to print and to put in JSON: control characters and invalid UTF-8 become '?'. */
void kinko_p11_clean_text(char *s);
/* A trimmed copy of a blank-padded PKCS#11 text field, cleaned as above. */
void kinko_p11_text(const CK_UTF8CHAR *field, size_t len, char *out, size_t cap);
/* Report a failed PKCS#11 call in user terms ("<what>: <why>") and return its exit code. */
int kinko_p11_fail(const kinko_ctx *ctx, CK_RV rv, const char *what);
/* A refused PIN or PUK (so: the PUK) in user terms with the tries the token flags show; exit 3. */
int kinko_p11_pin_refused(kinko_ctx *ctx, CK_RV rv, bool so);
/* After the token PIN was changed: when the old PIN came from a file (--pin-file, token_pin in
 * --secrets-file), say that the file still holds the old PIN. */
void kinko_p11_note_stale_pin_file(const kinko_ctx *ctx);
/* The object URI of k (class cert when it has one, else private key) into k->uri. */
void kinko_p11_object_uri(kinko_ctx *ctx, kinko_keyobj *k);
/* Does the pkcs11: URI u name k (its certificate or a half of its key) on the open token?
 * kinko's URIs and p11tool's: type= any or none, id= and/or object= (one is needed), and
 * token=/manufacturer=/model=/serial= must be the token's. 1 yes, 0 no, -1 not a URI. */
int kinko_p11_uri_matches(const kinko_keyobj *k, const char *u);

#endif
