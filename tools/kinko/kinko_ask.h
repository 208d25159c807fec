/* kinko: what the bank flows ask before they spend anything (kinko_ask.c): the token chosen
 * first, then secrets of the right form, asked again on a terminal rather than discarded. */
#ifndef KINKO_ASK_H
#define KINKO_ASK_H

#include <stdbool.h>
#include <stddef.h>

#include "kinko.h"

/* The form of a bank secret kinko-bankd accepts: 4 to 64 printable ASCII characters. */
bool kinko_ask_bank_pin_ok(const char *s);
/* Two digits of the customer card ("47" or "4 7"), copied without blanks into out[3]. */
bool kinko_ask_card_digits_ok(const char *s, char out[3]);

/* kinko_secret_read, and the answer must have the form check() accepts (form: the rule in
 * words, e.g. "a bank PIN has 4 to 64 letters, digits or symbols"). Typed at the terminal: asked again, 3 attempts in all. From
 * --secrets-file: an error at once naming the entry. Exit code. */
int kinko_ask_secret(const kinko_ctx *ctx, const char *key, const char *prompt,
                     bool (*check)(const char *), const char *form, char *buf, size_t cap);

/* The same for a new secret (kinko_secret_read_new: asked twice on a terminal). */
int kinko_ask_new_secret(const kinko_ctx *ctx, const char *key, const char *prompt,
                         bool (*check)(const char *), const char *form, char *buf, size_t cap);

/* Several tokens, no --token, and a terminal: a numbered list (label, serial) to choose the
 * token from, which then stands as --token for the run. Without a terminal nothing is chosen
 * here (kinko_p11_open lists the tokens and asks for --token). Call before any secret is asked.
 * Exit code. */
int kinko_ask_token(kinko_ctx *ctx);

#endif
