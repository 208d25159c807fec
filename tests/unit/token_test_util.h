/* Helpers shared by the token state tests (test_token_state.c, test_token_codec.c).
 * Include after cmocka.h. */
#ifndef KINKO_TOKEN_TEST_UTIL_H
#define KINKO_TOKEN_TEST_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "piv.h"
#include "token_state.h"

static inline void pad(const char *s, uint8_t out[PIV_PIN_MAX])
{
	memset(out, PIV_PIN_PAD, PIV_PIN_MAX);
	memcpy(out, s, strlen(s));
}

static inline bool secret_is(const tok_secret *s, const char *value)
{
	uint8_t p[PIV_PIN_MAX];

	pad(value, p);
	return tok_secret_matches(s, p);
}

static inline void assert_state_empty(const tok_state *st)
{
	static const tok_state empty;

	assert_memory_equal(st, &empty, sizeof(*st));
}

static inline uint8_t *dup_bytes(uint8_t fill, size_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	memset(p, fill, len);
	return p;
}

/* A provisioned token with two keys and a certificate, some counters used. */
static inline void populated_state(tok_state *st)
{
	uint8_t cert[2000];

	assert_int_equal(tok_state_provision(st, NULL), 0);
	tok_key_set(&st->keys[piv_key_slot_index(PIV_KEY_AUTH)], PIV_ALG_ECCP256,
	            PIV_ORIGIN_GENERATED, PIV_PIN_POLICY_ONCE, dup_bytes(0x11, 138), 138);
	tok_key_set(&st->keys[piv_key_slot_index(0x95)], PIV_ALG_RSA3072, PIV_ORIGIN_IMPORTED,
	            PIV_PIN_POLICY_ALWAYS, dup_bytes(0x22, 1800), 1800);
	memset(cert, 0x5A, sizeof(cert));
	assert_int_equal(tok_object_put(st, PIV_TAG_CERT_9A, cert, sizeof(cert)), 0);
	st->pin.tries_left = 1;
	st->puk.tries_left = 0;
	st->pin_must_change = true;
}

/* Tags a full token can use: 5FC101..5FC123 then 5FFF00.. */
static inline uint32_t nth_tag(size_t i)
{
	return i < 35 ? 0x5FC101u + (uint32_t)i : 0x5FFF00u + (uint32_t)(i - 35);
}

#endif
