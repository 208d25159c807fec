/* PINs and passwords: scrypt with a per-secret salt, constant-time comparison, lockout. */
#ifndef KINKO_BANKD_SECRET_H
#define KINKO_BANKD_SECRET_H

#include <stddef.h>
#include <stdint.h>

/* Stored form: version 1, log2(N), r, p, 16-byte salt, 32-byte scrypt output. */
#define BANKD_SECRET_LEN 52
#define BANKD_SECRET_MAX_TRIES 5
#define BANKD_SECRET_MIN_LEN 4
#define BANKD_SECRET_MAX_LEN 64

typedef struct bankd_secret_cost {
	uint8_t log2_n;
	uint8_t r;
	uint8_t p;
} bankd_secret_cost;

/* N = 16384, r = 8, p = 1: about 16 MiB and a few tens of ms per check. */
extern const bankd_secret_cost bankd_secret_default_cost;

/* A secret must be 4-64 printable ASCII characters. */
int bankd_secret_acceptable(const char *secret);
/* Hashes secret into out with a fresh salt. 0 or -1. */
int bankd_secret_hash(const char *secret, const bankd_secret_cost *cost,
                      uint8_t out[BANKD_SECRET_LEN]);
/* 1 match, 0 no match, -1 malformed record or KDF failure. Constant time in the secret. */
int bankd_secret_verify(const char *secret, const uint8_t *stored, size_t stored_len);

/* Compares several secrets of one credential, all of them (so the timing does not tell which
 * was wrong): a mask of the wrong ones (bit i for secrets[i]), 0 when all match, -1 for a
 * malformed record or a KDF failure. The lockout is bankd_attempt's. */
int bankd_secret_verify_all(const char *const *secrets, const uint8_t *const *stored, size_t n);

#endif
