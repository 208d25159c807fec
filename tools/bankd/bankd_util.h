/* Small shared helpers: the clock (with its test-only override), hex, base64, digests. */
#ifndef KINKO_BANKD_UTIL_H
#define KINKO_BANKD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Exit codes of every kinko-bankd command. */
enum {
	BANKD_EXIT_OK = 0,
	BANKD_EXIT_FAIL = 1,     /* I/O, database or crypto failure; the server could not start */
	BANKD_EXIT_USAGE = 2,    /* bad command line or input */
	BANKD_EXIT_NOTFOUND = 3, /* no such contract or user */
	BANKD_EXIT_EXISTS = 4    /* the bank directory or the contract already exists */
};

/* Now, or KINKO_BANKD_NOW (epoch seconds or YYYY-MM-DD, midnight UTC) when set: test only.
 * Read at every call. */
time_t bankd_now(void);
/* 0 when KINKO_BANKD_NOW is unset or well-formed, -1 when it is set but malformed. */
int bankd_now_check(void);

void bankd_hex(const uint8_t *in, size_t n, char *out);
/* SHA-256 as 64 lowercase hex digits and a NUL. */
int bankd_sha256_hex(const uint8_t *in, size_t n, char out[65]);
/* n random bytes as 2n hex digits and a NUL. */
int bankd_random_hex(size_t n, char *out);

/* Base64 with whitespace allowed between characters; -1 for anything else malformed.
 * *out is malloc'ed. */
int bankd_b64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len);
/* Base64 in lines of 64 characters, each ending in "\n"; malloc'ed, NUL-terminated. */
char *bankd_b64_encode(const uint8_t *in, size_t n);

/* A decimal count up to max whose first digit is at least first ('1': no zero, no leading
 * zero), digits only: 0 with the value in *out, or -1. */
int bankd_count_parse(const char *s, char first, unsigned long max, unsigned long *out);

/* Writes a file that must not exist yet, with the given mode (0600 for keys). */
int bankd_write_new_file(const char *path, int mode, const void *data, size_t n);

#endif
