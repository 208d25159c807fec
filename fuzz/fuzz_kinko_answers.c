/* libFuzzer target for kinko's parsing of what a bank answers: the EST certs-only CMS
 * (kinko_est_parse_certs), Retry-After (kinko_est_retry_after, kinko_est_next_wait), the
 * cleaning of the bank's texts for the terminal (kinko_text_clean, kinko_text_clean_json),
 * JSON bodies and their refusal fields (kinko_refusal_json), EST's Kinko-* headers
 * (kinko_refusal_header) and the sentence made from them (kinko_refusal_text).
 *
 * Input: one selector byte, then the answer's bytes. Every parser must return without
 * crashing or reading outside its input, waits stay within 1..10 s, and a cleaned text must
 * hold no control character and be valid UTF-8; violations abort. No network, no token. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "kinko_est.h"
#include "kinko_p11.h"
#include "kinko_refusal.h"
#include "kinko_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The token is absent here; the report and TLS are tests/cli/cli_doubles.c. */
int kinko_p11_sign(kinko_ctx *ctx, const kinko_keyobj *k, const unsigned char *data, size_t len,
                   unsigned char **sig, size_t *sig_len)
{
	(void)ctx, (void)k, (void)data, (void)len, (void)sig, (void)sig_len;
	return KINKO_EXIT_FAIL;
}

/* No attestation either: the request builder asks the token for one (kinko_csr_attest.c),
 * and without this the linker takes the real kinko_p11_keys.o, whose kinko_p11_sign and
 * messages collide with the stand-ins. */
CK_BYTE *kinko_p11_attr(kinko_ctx *ctx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, size_t *len)
{
	(void)ctx, (void)h, (void)type;
	*len = 0;
	return NULL;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* What kinko_text_clean promises: valid UTF-8 without C0, DEL, C1 or bidi overrides. */
static void check_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		uint32_t c;
		size_t n;
		if (p[0] < 0x80)
			c = p[0], n = 1;
		else if (p[0] >= 0xc2 && p[0] <= 0xdf)
			c = p[0] & 0x1fu, n = 2;
		else if (p[0] >= 0xe0 && p[0] <= 0xef)
			c = p[0] & 0x0fu, n = 3;
		else if (p[0] >= 0xf0 && p[0] <= 0xf4)
			c = p[0] & 0x07u, n = 4;
		else
			abort();
		for (size_t i = 1; i < n; i++) {
			check((p[i] & 0xc0) == 0x80);
			c = (c << 6) | (p[i] & 0x3fu);
		}
		check(c >= 0x20 && !(c >= 0x7f && c <= 0x9f) && !(c >= 0x202a && c <= 0x202e) &&
		      !(c >= 0x2066 && c <= 0x2069));
		p += n;
	}
}

static void check_json_clean(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v) check_json_clean(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) check_json_clean(v);
	} else if (json_is_string(j)) {
		check(strlen(json_string_value(j)) ==
		      json_string_length(j)); /* no NUL left inside */
		check_clean(json_string_value(j));
	}
}

static void refusal_sentence(const kinko_refusal *r, const char *bank_says)
{
	char out[512];
	memset(out, 'x', sizeof out);
	kinko_refusal_text(r, bank_says, out, sizeof out);
	check(memchr(out, '\0', sizeof out) != NULL);
}

static void fuzz_certs(const uint8_t *d, size_t n)
{
	STACK_OF(X509) *certs = kinko_est_parse_certs((const char *)d, n);
	check(certs == NULL || sk_X509_num(certs) > 0);
	sk_X509_pop_free(certs, X509_free);
}

static void fuzz_retry_after(const uint8_t *d, size_t n)
{
	long ra = kinko_est_retry_after((const char *)d, n);
	check(ra == -1 || (ra >= 0 && ra <= 86400));
	static const long remaining[] = {-5, 0, 1, 3, 60, 86400};
	for (size_t i = 0; i < sizeof remaining / sizeof remaining[0]; i++) {
		long w = kinko_est_next_wait(ra, remaining[i]);
		check(w >= 1 && w <= KINKO_EST_WAIT_MAX);
	}
}

static void fuzz_text(const uint8_t *d, size_t n)
{
	/* The first byte is the room given, as the callers' buffers differ. */
	size_t cap = n > 0 ? (size_t)d[0] + 1 : 1;
	char *out = malloc(cap);
	check(out != NULL);
	size_t len =
		kinko_text_clean(n > 0 ? (const char *)d + 1 : NULL, n > 0 ? n - 1 : 0, out, cap);
	check(len < cap && strlen(out) == len);
	check_clean(out);
	free(out);
}

static void fuzz_json(const uint8_t *d, size_t n)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)d, n, 0, &je);
	if (j == NULL)
		return;
	kinko_text_clean_json(j);
	check_json_clean(j);
	kinko_refusal r;
	kinko_refusal_init(&r);
	kinko_refusal_json(&r, j);
	check(r.tries_left >= -1 && r.tries_left < 1000000);
	refusal_sentence(&r, json_string_value(json_object_get(j, "error")));
	json_decref(j);
}

static void fuzz_headers(const uint8_t *d, size_t n)
{
	kinko_refusal r;
	kinko_refusal_init(&r);
	const char *p = (const char *)d, *end = p + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		kinko_refusal_header(&r, p, len);
		p += len;
	}
	check(strspn(r.secret, "abcdefghijklmnopqrstuvwxyz_,") == strlen(r.secret));
	refusal_sentence(&r, "no");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0: fuzz_certs(d, n); break;
	case 1: fuzz_retry_after(d, n); break;
	case 2: fuzz_text(d, n); break;
	case 3: fuzz_json(d, n); break;
	default: fuzz_headers(d, n); break;
	}
	return 0;
}
