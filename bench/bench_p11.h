/* The benchmark's PKCS#11 side: load a module, prepare a token with an RSA-2048 and a
 * P-256 key (kinko's emulated token, or a fresh SoftHSM2 token), sign. */
#ifndef KINKO_BENCH_P11_H
#define KINKO_BENCH_P11_H

#include <stdbool.h>
#include <stddef.h>

#include "p11_compat.h"

typedef struct {
	void *dl;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE rsa_pub, rsa_priv, ec_pub, ec_priv;
} bench_token;

#define BENCH_PIN "123456"
#define BENCH_SO_PIN "12345678"

/* Print "bench: what: CKR 0x.." to stderr when rv is not CKR_OK; returns rv == CKR_OK. */
bool bench_ok(const char *what, CK_RV rv);

/* dlopen + C_GetFunctionList (no C_Initialize). false after printing why. */
bool bench_load(bench_token *b, const char *path);
void bench_unload(bench_token *b);

/* Open an R/W session on the first slot with a token and log in. For SoftHSM2 the token
 * is initialised first (SO PIN, then the user PIN). */
bool bench_open(bench_token *b, bool init_softhsm);
/* RSA-2048 (CKA_ID 01) and P-256 (CKA_ID 03) key pairs; on_token FALSE makes session
 * objects (SoftHSM2), TRUE token objects (kinko: generated on the card). */
bool bench_keys(bench_token *b, bool on_token);
/* One C_SignInit + C_Sign. */
CK_RV bench_sign_once(bench_token *b, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                      const unsigned char *data, CK_ULONG len);

#endif
