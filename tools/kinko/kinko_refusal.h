/* kinko: the bank's refusal of a secret in the user's terms (kinko_refusal.c). kinko-bankd says
 * which secret was wrong and how many tries are left: in the JSON API's 401
 * {"error", "secret": "<name>[,<name>]", "tries_left": N} and 403 {"locked": true}, in EST's
 * 401 headers Kinko-Wrong-Secret, Kinko-Tries-Left and Kinko-Locked. */
#ifndef KINKO_REFUSAL_H
#define KINKO_REFUSAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "kinko.h"

typedef struct {
	char secret
		[128]; /* "contract_pin" or "contract_pin,contract_confirmation_pin"; "" unknown */
	long tries_left; /* -1 when the bank did not say */
	char locked[16]; /* "contract", "user", "yes" (JSON's locked: true); "" not locked */
} kinko_refusal;

void kinko_refusal_init(kinko_refusal *r);

/* One response header line ("Name: value\r\n", n bytes, no NUL needed): Kinko-Wrong-Secret,
 * Kinko-Tries-Left and Kinko-Locked are kept in r, other headers ignored. */
void kinko_refusal_header(kinko_refusal *r, const char *line, size_t n);

/* The fields of a JSON API refusal ({"secret", "tries_left", "locked"}) kept in r; a field of
 * the wrong type or form is ignored. */
void kinko_refusal_json(kinko_refusal *r, const json_t *reply);

/* The sentence for the user: "the bank refused the contract PIN (イ): 4 tries left", "... the
 * customer card digits: 1 try left", "... the contract is locked ...". When r names no secret
 * the user knows (or none at all), the bank's own sentence: "the bank refused: <bank_says>".
 * Always NUL-terminated in out. */
void kinko_refusal_text(const kinko_refusal *r, const char *bank_says, char *out, size_t cap);

/* kinko_err with that sentence (detail: the HTTP status), the secret and the tries attached for
 * --json. */
void kinko_refusal_report(const kinko_ctx *ctx, const kinko_refusal *r, const char *bank_says,
                          long http_status);

#endif
