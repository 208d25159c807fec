/* kinko: text from the bank made safe for a terminal (kinko_text.c). ONE function for every
 * text the bank sends that kinko prints: EST answers, the JSON "error", the status screen's
 * fields. */
#ifndef KINKO_TEXT_H
#define KINKO_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* n bytes of in (no NUL needed) into out (cap >= 1, always NUL-terminated) on one line:
 * CR, LF and TAB become a blank; other control characters (C0, DEL, C1 such as U+009B CSI),
 * the bidirectional overrides (U+202A-U+202E, U+2066-U+2069) and bytes that are not UTF-8
 * become '?'. Cut at a character boundary when it does not fit. Returns the length of out. */
size_t kinko_text_clean(const char *in, size_t n, char *out, size_t cap);

/* Every string in j (object values, array items, recursively; keys stay) cleaned as above,
 * in place. A bank's JSON answer goes through this before anything reads it. */
void kinko_text_clean_json(json_t *j);

/* A date the bank sent ("2027-12-07", or a timestamp starting so) in the user's language
 * (i18n_date_format: 「2027年12月7日」 under ja); anything else is copied, cleaned. */
void kinko_text_date(const char *iso, char *out, size_t cap);

#endif
